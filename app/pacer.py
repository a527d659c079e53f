"""Pacing of GUI updates: one widget update per event-loop pass, never a pile-up.

Why: Qt's event loop (glib dispatcher on Linux) delivers all posted events back to back
before it lets timers and input in again. A result handler is a posted event (a queued
signal from the engine thread), and the repaint it causes is another one, posted by the
handler; the next result's handler and repaint chain on. With the chart and three
analysis views live, these chains added up to 50-70 ms during which the window did not
react.

`Pacer.post(key, fn)` stores `fn` (the newest per key wins) and runs one stored update
per tick of a real (non-zero) single-shot timer. The repaint an update causes follows in
the next posted batch, and only then is the next update due: input and other timers get
their turn between any two updates. Urgent updates (the chart) go to the front.

A failing update prints its traceback and the others still run; under the test suite
(strict mode, `depthlens.strict`) it is raised again, so the test fails.

GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer

from . import strict

PACE_MS = 2  # between two updates (a real timer, so input and other timers get in between)


class Pacer(QObject):
    """Runs posted GUI updates one per timer tick, newest per key, urgent ones first."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = PACE_MS) -> None:
        super().__init__(parent)
        self._items: dict[str, Callable[[], None]] = {}  # insertion order = run order
        self._timer = QTimer(self)
        self._timer.setObjectName("depthlens.pacer")
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, int(interval_ms)))  # 0 would be a posted event again
        self._timer.timeout.connect(self._tick)
        self._stopped = False
        self.ran = 0  # updates run so far (tests, benchmarks)

    def post(self, key: str, fn: Callable[[], None], *, urgent: bool = False) -> None:
        """Run `fn` at a coming tick, replacing a not yet run update of the same `key`.

        Ignored once `stop()` was called (the window is closing).
        """
        if self._stopped:
            return
        self._items.pop(key, None)
        if urgent:
            self._items = {key: fn, **self._items}
        else:
            self._items[key] = fn
        if not self._timer.isActive():
            self._timer.start()

    def pending(self, key: str | None = None) -> bool:
        """True if an update (of `key`, or any) is waiting."""
        return bool(self._items) if key is None else key in self._items

    def flush(self) -> None:
        """Run every waiting update now, in order (exports, tests, before reading state)."""
        self._timer.stop()
        while self._items:
            self._run_first()

    def stop(self) -> None:
        """Drop every waiting update, stop the timer and accept no more (the window is closing)."""
        self._stopped = True
        self._timer.stop()
        self._items.clear()

    def _run_first(self) -> None:
        key = next(iter(self._items))
        fn = self._items.pop(key)
        self.ran += 1
        try:
            fn()
        except Exception:  # one failing update must not hold up the others (tests: it fails them)
            strict.survive(f"pacer update {key!r}")

    def _tick(self) -> None:
        if self._items:
            self._run_first()
        if self._items and not self._stopped and not self._timer.isActive():
            self._timer.start()
