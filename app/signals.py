"""SIGINT / SIGTERM / SIGHUP in the window: save the session, cancel jobs, exit cleanly.

Python runs its signal handlers only when the interpreter gets control, which it does not
while Qt's event loop waits. `signal.set_wakeup_fd` makes the C-level handler write a
byte to a socket that a QSocketNotifier watches, so the loop wakes, the Python handler
runs, and the window is closed the normal way (the session is saved, the engine thread
cancels its job between layers, a half-written export removes its temporary file). A
second signal while closing exits at once, still removing temporary files.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from depthlens.engine.fileio import remove_live_temps

SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None)


class SignalBridge(QObject):
    """Turns a terminating signal into `on_signal(signum)` on the GUI thread."""

    def __init__(
        self, on_signal: Callable[[int], None], parent: QObject | None = None, pending: int | None = None
    ) -> None:
        super().__init__(parent)
        self.on_signal = on_signal
        self.received: int | None = None
        self._read, self._write = socket.socketpair()
        for sock in (self._read, self._write):
            sock.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._old = {sig: signal.signal(sig, self._handle) for sig in SIGNALS}
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        if pending is not None:  # a signal that came before the bridge existed
            self._handle(pending, None)

    def _handle(self, signum: int, _frame) -> None:
        # Runs on the main (GUI) thread between two bytecodes; Qt calls are safe here,
        # but the real work is deferred to the event loop.
        if self.received is not None:  # a second signal: stop now
            remove_live_temps()
            os._exit(128 + signum)
        self.received = signum
        QTimer.singleShot(0, lambda: self.on_signal(signum))

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            while self._read.recv(64):
                pass

    def close(self) -> None:
        """Restore the previous handlers and wakeup fd."""
        self._notifier.setEnabled(False)
        for sig, handler in self._old.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)
        with contextlib.suppress(ValueError, OSError):
            signal.set_wakeup_fd(self._old_fd)
        for sock in (self._read, self._write):
            sock.close()


def exit_code(signum: int | None) -> int:
    """128 + the signal number (130 for SIGINT, 143 for SIGTERM), or 0."""
    return 0 if signum is None else 128 + signum
