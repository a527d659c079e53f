"""The controls' throttle in Qt: one single-shot timer over the policy `scheduler.Throttle`.

A user edit is `offer`ed; the first goes out at once (`fired`), the ones that follow
while the interval runs wait, and only the latest goes out when it ends. The window sets
the interval from the engine's last compute time (`scheduler.throttle_ms`), so a drag
requests as fast as the engine answers: live, yet never a flood. GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from .scheduler import Throttle


class Throttled(QObject):
    """Forwards offered values as `fired(value)` at the pace of a `scheduler.Throttle`."""

    fired = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.policy: Throttle[object] = Throttle()
        self._timer = QTimer(self)
        self._timer.setObjectName("depthlens.controls.throttle")
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)

    def offer(self, value: object) -> None:
        """A new value: sent now, or the latest sent when the interval ends."""
        if self.policy.offer(value):
            self.fired.emit(value)
        elif not self._timer.isActive():
            self._timer.start(self.policy.wait_ms())

    def set_interval_ms(self, ms: int) -> None:
        """Send at most one value per `ms` (at least one frame)."""
        self.policy.set_interval_ms(ms)

    def interval_ms(self) -> int:
        """The interval in force."""
        return self.policy.interval_ms

    def flush(self) -> None:
        """Send the waiting value now (before reading state; tests)."""
        self._timer.stop()
        self._on_timer()

    def reset(self) -> None:
        """Drop the waiting value (a setting pushed in from elsewhere replaces it) and stop the timer."""
        self._timer.stop()
        self.policy.reset()

    def _on_timer(self) -> None:
        if self.policy.pending():
            self.fired.emit(self.policy.due())
