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
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


class FakeClock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += ms / 1000


def test_partials_are_deliverable_until_their_final_result_or_a_newer_request():
    s = sch.Scheduler()
    a, _ = s.submit("spread", job)
    assert s.deliverable("spread", a.generation, final=False)
    assert s.deliverable("spread", a.generation, final=False)  # a partial is not remembered ...
    assert s.deliverable("spread", a.generation)  # ... so the final result still goes out
    assert not s.deliverable("spread", a.generation, final=False)  # nothing after the final
    b, _ = s.submit("spread", job)
    c, _ = s.submit("spread", job)
    assert not s.deliverable("spread", b.generation, final=False)  # older than the newest
    assert s.deliverable("spread", c.generation, final=False)
    s.close()
    assert not s.deliverable("spread", c.generation, final=False)


def test_throttle_sends_the_first_value_at_once_then_the_latest_per_interval():
    clock = FakeClock()
    t = sch.Throttle(50, clock=clock)
    assert t.offer("a")  # the first goes out at once
    assert not t.pending() and t.wait_ms() == 0
    clock.advance(10)
    assert not t.offer("b") and not t.offer("c")  # within the interval: kept, the latest wins
    assert t.pending() and t.wait_ms() == 40
    clock.advance(40)
    assert t.due() == "c"  # the interval is over: the latest goes out, a new interval opens
    assert not t.pending()
    clock.advance(20)
    assert not t.offer("d") and t.wait_ms() == 30
    assert t.due() == "d"
    clock.advance(51)
    assert t.offer("e")  # a pause longer than the interval: at once again
    with pytest.raises(LookupError):
        t.due()


def test_throttle_interval_has_a_floor_and_reset_drops_the_waiting_value():
    clock = FakeClock()
    t = sch.Throttle(clock=clock)
    assert t.interval_ms == sch.THROTTLE_MIN_MS
    t.set_interval_ms(1)
    assert t.interval_ms == sch.THROTTLE_MIN_MS
    t.set_interval_ms(sch.throttle_ms(0.1))
    assert t.interval_ms == 125
    assert t.offer(1) and not t.offer(2)
    t.reset()  # a value pushed in from elsewhere replaces the waiting edit
    assert not t.pending()
    assert t.offer(3)  # and the next edit goes out at once
    clock.advance(125)
    assert t.offer(4)


def test_throttle_wait_is_at_least_one_ms_when_the_timer_is_late():
    clock = FakeClock()
    t = sch.Throttle(20, clock=clock)
    assert t.offer("a") and not t.offer("b")
    clock.advance(30)  # the timer fired late: the value waits for it, never lost
    assert not t.offer("c") and t.wait_ms() == 1
    assert t.due() == "c"


def test_progress_gate_reports_only_long_jobs_and_then_at_a_bounded_rate():
    clock = FakeClock()
    gate = sch.ProgressGate(0.1, 0.05, clock=clock)
    assert not gate.due()
    clock.advance(99)
    assert not gate.due()  # a job shorter than the delay never shows progress
    clock.advance(1)
    assert gate.due()
    clock.advance(49)
    assert not gate.due()
    clock.advance(1)
    assert gate.due()
