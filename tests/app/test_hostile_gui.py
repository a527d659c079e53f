"""Hostile use of the window: a long job never blocks a small request; a seeded GUI fuzz."""

from __future__ import annotations

from conftest import wait_shown
from gui_fuzz import fuzz

from depthlens.engine import Settings
from depthlens.worker import CHART


def test_a_small_request_never_waits_behind_a_long_one(make_window, qtbot):
    start = Settings(depth=1, width=1024, batch=512, init="gaussian")
    window = make_window(start)
    shown: list[int] = []
    window.worker.result_ready.connect(lambda kind, r: shown.append(r.settings.depth) if kind == CHART else None)
    window.controls.depth_control.spin.setValue(1000)  # typed into the box: a job of over a minute
    window.throttle.flush()
    qtbot.waitUntil(lambda: window.worker.is_running(CHART), timeout=5000)
    qtbot.wait(300)  # it is well under way
    window.controls.depth_control.spin.setValue(5)
    window.throttle.flush()
    wait_shown(qtbot, window, start.replace(depth=5), timeout=30000)
    assert shown == [5]  # the 1000-layer job was cancelled, never shown, never waited for


def test_seeded_gui_fuzz_leaves_a_consistent_window(make_window, qtbot, tmp_path):
    from depthlens.classroom import attach
    from depthlens.session import Store

    window = make_window(Settings(depth=12, width=8, batch=4))
    attach(window, store=Store(tmp_path / "store.conf"), restore=False)
    counts = fuzz(window, 500, seed=7)
    assert counts["events"] == 500 and counts["states"] > 200  # the events really changed things
    assert counts["exceptions"] == 0, counts["errors"]
    window.throttle.flush()
    wait_shown(qtbot, window, window.settings(), timeout=60000)
    assert window.chart.result.settings == window.settings()
