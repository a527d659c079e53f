"""The controls' throttle follows the engine's pace, so drags stay live with strict cancelling."""

from __future__ import annotations

from depthlens import scheduler
from depthlens.engine import Settings
from tests.conftest import wait_shown


def test_worker_is_strict_latest_wins():
    # no "interim" path: a superseded job is cancelled and its result never shown
    from depthlens.worker import EngineWorker

    assert not hasattr(EngineWorker, "interim_budget_s")


def test_throttle_interval_tracks_compute_time(make_window, qtbot):
    win = make_window(Settings(depth=5, width=4, batch=2))
    wait_shown(qtbot, win, win.settings())
    fast = win.throttle.interval_ms()
    assert fast >= 16
    deep = Settings(depth=1000, width=128, batch=64)
    win.set_settings(deep)
    wait_shown(qtbot, win, deep)
    slow = win.throttle.interval_ms()
    expected = min(300, round(1250 * win.result.seconds))
    assert slow == max(16, expected) == scheduler.throttle_ms(win.result.seconds)
    assert slow > fast or expected <= 16


def test_a_drag_holds_requests_while_the_engine_works_and_ends_on_the_last(make_window, qtbot):
    win = make_window(Settings(depth=300, width=256, batch=64))
    depth = win.controls.depth_control
    shown = []
    win.worker.result_ready.connect(lambda kind, r: shown.append(r.settings.depth))
    depth.slider.setSliderDown(True)
    targets = [320, 340, 360, 380, 400, 420]
    for t in targets:
        depth.slider.setValue(depth.slider_pos(t))
        qtbot.wait(5)
    depth.slider.setSliderDown(False)
    win.throttle.flush()
    qtbot.waitUntil(lambda: win.result is not None and win.result.settings.depth == depth.spin.value(), timeout=30000)
    qtbot.waitUntil(lambda: not win.worker.is_busy(), timeout=30000)
    assert win._held is None
    assert shown[-1] == depth.spin.value()
    assert shown == sorted(shown)  # never a stale (older) result after a newer one


def test_the_qt_throttle_fires_the_first_value_at_once_and_only_the_latest_after(qtbot):
    from depthlens.throttle import Throttled

    t = Throttled()
    fired: list[object] = []
    t.fired.connect(fired.append)
    t.set_interval_ms(40)
    for v in range(5):
        t.offer(v)
    assert fired == [0]  # at once, without the event loop
    qtbot.waitUntil(lambda: fired == [0, 4], timeout=2000)  # the latest, once the interval is over
    qtbot.wait(80)
    assert fired == [0, 4]
    t.offer(5)
    assert fired == [0, 4, 5]  # the interval passed quietly: at once again
    t.offer(6)
    t.reset()  # dropped, and the timer stopped (the leak guard checks no timer runs on)
    qtbot.wait(80)
    assert fired == [0, 4, 5]
    t.offer(7)  # at once after a reset
    t.offer(8)
    t.flush()  # sent now, not after the interval
    assert fired == [0, 4, 5, 7, 8]
    t.reset()
