"""The controls' throttle follows the engine's pace, so drags stay live with strict cancelling."""

from __future__ import annotations

from app.worker import INTERIM_BUDGET_S
from engine import Settings
from tests.conftest import wait_shown


def test_worker_is_strict_latest_wins_by_default():
    assert INTERIM_BUDGET_S == 0.0


def test_throttle_interval_tracks_compute_time(make_window, qtbot):
    win = make_window(Settings(depth=5, width=4, batch=2))
    wait_shown(qtbot, win, win.settings())
    fast = win.controls._timer.interval()
    assert fast >= 16
    deep = Settings(depth=1000, width=128, batch=64)
    win.set_settings(deep)
    wait_shown(qtbot, win, deep)
    slow = win.controls._timer.interval()
    expected = min(300, round(1250 * win.result.seconds))
    assert slow == max(16, expected)
    assert slow > fast or expected <= 16
