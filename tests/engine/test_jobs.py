"""Jobs as generators (engine/jobs.py): drive, cancellation at a checkpoint, partials, rescaling."""

from __future__ import annotations

import pytest

from depthlens.engine import Cancelled, Partial, Progress, drive
from depthlens.engine.jobs import rescaled


def counting(log: list[str], steps: int = 4):
    """A job of `steps` checkpoints that records what ran and how it ended."""
    try:
        for i in range(steps):
            log.append(f"step{i}")
            yield Progress(i / steps)
            if i == 1:
                yield Partial(f"half{i}")
        log.append("done")
        return "result"
    except Cancelled:
        log.append("cancelled inside")
        raise
    finally:
        log.append("cleaned up")


def test_drive_hands_on_checkpoints_in_order_and_returns_the_result():
    log: list[str] = []
    seen: list[object] = []
    out = drive(counting(log), progress=seen.append, partial=lambda v: seen.append(("partial", v)))
    assert out == "result"
    assert seen == [0.0, 0.25, ("partial", "half1"), 0.5, 0.75]
    assert log == ["step0", "step1", "step2", "step3", "done", "cleaned up"]
    assert drive(counting([])) == "result"  # progress and partials are optional


def test_cancel_stops_the_job_at_its_checkpoint_and_runs_its_clean_up():
    log: list[str] = []
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) == 2  # at the second checkpoint

    seen: list[float] = []
    with pytest.raises(Cancelled):
        drive(counting(log), cancel=cancel, progress=seen.append)
    assert seen == [0.0]  # the cancelled checkpoint is not reported
    assert log == ["step0", "step1", "cancelled inside", "cleaned up"]  # nothing after it ran


def test_a_job_that_swallows_cancelled_is_stopped_anyway():
    ran = []

    def stubborn():
        for i in range(10):
            try:
                yield Progress(i / 10)
            except Cancelled:
                ran.append("swallowed")
            ran.append(i)
        return "never"

    with pytest.raises(Cancelled):
        drive(stubborn(), cancel=lambda: True)
    assert ran == ["swallowed", 0]  # closed at its next checkpoint

    def ends_when_cancelled():
        try:
            yield Progress(0.0)
        except Cancelled:
            return "ended"
        return "normal"

    with pytest.raises(Cancelled):
        drive(ends_when_cancelled(), cancel=lambda: True)


def test_a_job_yields_only_checkpoint_records():
    def wrong():
        yield 0.5

    with pytest.raises(TypeError, match="Progress or Partial"):
        drive(wrong())  # type: ignore[arg-type]


def test_an_error_in_a_job_passes_through_drive():
    def broken():
        yield Progress(0.0)
        raise ValueError("bad step")

    with pytest.raises(ValueError, match="bad step"):
        drive(broken())


def test_rescaled_maps_progress_passes_partials_and_returns_the_inner_result():
    log: list[str] = []

    def outer():
        first = yield from rescaled(counting(log, steps=2), lambda f: f / 2)
        second = yield from rescaled(counting(log, steps=2), lambda f: 0.5 + f / 2)
        return first, second

    seen: list[object] = []
    out = drive(outer(), progress=seen.append, partial=seen.append)
    assert out == ("result", "result")
    assert seen == [0.0, 0.25, "half1", 0.5, 0.75, "half1"]


def test_stopping_a_rescaled_job_cleans_up_the_inner_one():
    log: list[str] = []
    with pytest.raises(Cancelled):
        drive(rescaled(counting(log), lambda f: f), cancel=lambda: len(log) >= 2)
    assert log[-1] == "cleaned up" and "done" not in log
