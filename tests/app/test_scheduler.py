"""The scheduling policy without Qt: generations, coalescing, order, hold-or-cancel, rates."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from depthlens import scheduler as sch
from depthlens.engine import Settings


def job():
    return None


def test_newest_request_wins_and_older_waiting_jobs_are_dropped():
    s = sch.Scheduler()
    first, wake1 = s.submit("chart", job)
    second, wake2 = s.submit("chart", job)
    assert (first.generation, second.generation) == (1, 2)
    assert wake1 and not wake2  # one wake-up while the engine thread is busy
    assert s.take() is second and s.take() is None
    assert s.stale(first) and not s.stale(second)


def test_the_kind_asked_for_longest_ago_runs_first():
    s = sch.Scheduler()
    s.submit("chart", job)
    s.submit("jacobian", job)
    s.submit("chart", job)  # re-asked: now newer than the jacobian request
    assert s.take().kind == "jacobian" and s.take().kind == "chart"


def test_background_kinds_yield_to_the_others():
    s = sch.Scheduler(background_kinds={"export"})
    s.submit("export", job)
    s.submit("chart", job)
    assert s.take(foreground_only=True).kind == "chart"
    assert s.take(foreground_only=True) is None
    assert s.take().kind == "export"


def test_results_are_delivered_once_and_only_when_newest():
    s = sch.Scheduler()
    a, _ = s.submit("chart", job)
    b, _ = s.submit("chart", job)
    assert not s.deliverable("chart", a.generation)
    assert s.deliverable("chart", b.generation) and not s.deliverable("chart", b.generation)


def test_close_makes_everything_stale_and_refuses_new_work():
    s = sch.Scheduler()
    a, _ = s.submit("chart", job)
    s.close()
    assert s.stale(a) and s.take() is None and s.submit("chart", job) == (None, False)
    assert not s.deliverable("chart", a.generation)


def test_the_engine_thread_is_woken_again_after_it_went_idle():
    s = sch.Scheduler()
    assert s.submit("chart", job)[1]
    assert s.take() is not None and s.take() is None  # drained: idle
    assert s.submit("chart", job)[1]


def test_generations_stay_consistent_under_two_threads():
    s = sch.Scheduler()
    seen = []

    def gui():
        for _ in range(2000):
            s.submit("chart", job)

    def engine():
        for _ in range(4000):
            j = s.take()
            if j is not None:
                seen.append(j.generation)

    threads = [threading.Thread(target=gui), threading.Thread(target=engine)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert s.latest("chart") == 2000


def test_hold_is_judged_from_the_running_jobs_size_not_the_last_result():
    small = Settings(depth=1, width=1024, batch=512)
    big = small.replace(depth=1000)
    calibration = (small, 0.05)  # the last result was quick
    assert not sch.hold(big, calibration, elapsed_s=0.3, dragging=False)  # ~50 s left: cancel it
    assert not sch.hold(big, calibration, elapsed_s=0.3, dragging=True)
    assert sch.hold(small.replace(depth=2), calibration, elapsed_s=0.01, dragging=False)
    assert not sch.hold(None, calibration, 0.0, False)


def test_a_drag_waits_a_little_longer_than_a_typed_change():
    base = Settings(depth=10, width=256, batch=64)
    calibration = (base, 0.3)
    assert sch.hold(base, calibration, elapsed_s=0.0, dragging=True)
    assert not sch.hold(base, calibration, elapsed_s=0.0, dragging=False)


def test_throttle_follows_the_engine_within_its_bounds():
    assert sch.throttle_ms(0.0) == sch.THROTTLE_MIN_MS
    assert sch.throttle_ms(0.1) == 125
    assert sch.throttle_ms(10.0) == sch.THROTTLE_MAX_MS


def test_analysis_duty_cycle():
    assert sch.analysis_interval_s([]) == sch.ANALYSIS_MIN_INTERVAL_S
    assert sch.analysis_interval_s([0.07, 0.07]) == pytest.approx(0.4)


def test_the_policy_needs_no_qt():
    code = "import sys, app.scheduler; sys.exit('PySide6' in sys.modules or 'pyqtgraph' in sys.modules)"
    assert subprocess.run([sys.executable, '-c', code], timeout=60).returncode == 0
