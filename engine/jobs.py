"""Long computations as generators: what a job yields at its checkpoints, and `drive`.

A long job (the main pass, the histograms, the Jacobian, the phase grid, the spread over
seeds, the streamed NPZ) is a generator. At each checkpoint (between layers, row blocks
or seeds) it yields a `Progress` (a fraction of the work done) or a `Partial` (a result so
far, e.g. the spread of the seeds done); its final result is its return value
(`StopIteration.value`). Whoever drives it decides between two yields whether to go on:
`drive` for the synchronous API (the CLI, notebooks), the engine thread in the app.
Stopping a job means throwing `Cancelled` into it at the checkpoint where it waits, so
its own clean-up (a half-written file) runs.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

R = TypeVar("R")


class Cancelled(Exception):
    """Raised at a checkpoint of a job when its driver's cancellation check is true."""


@dataclass(frozen=True, slots=True)
class Progress:
    """A checkpoint: `fraction` (0..1) of the job is done."""

    fraction: float


@dataclass(frozen=True, slots=True)
class Partial:
    """A checkpoint with a result so far (`value`), to show before the job ends."""

    value: Any


Step = Progress | Partial
Steps = Generator[Step, None, R]  # a job: yields its checkpoints, returns its result


def time_left(elapsed: float, fraction: float) -> float:
    """Seconds still to go at the pace so far, `fraction` (0 < fraction <= 1) of the job done in `elapsed`."""
    return elapsed * (1.0 - fraction) / fraction


def drive(
    steps: Steps[R],
    *,
    cancel: Callable[[], bool] | None = None,
    progress: Callable[[float], None] | None = None,
    partial: Callable[[Any], None] | None = None,
) -> R:
    """Run the job `steps` to its end and return its result.

    At every checkpoint `cancel()` is asked first: when true, `Cancelled` is raised inside
    the job (where it waits) and then out of `drive`. Otherwise the checkpoint is handed
    to `progress(fraction)` or `partial(value)` (both optional).
    """
    try:
        while True:
            going, step = _advance(steps)
            if not going:
                return step
            if cancel is not None and cancel():
                stop_at_checkpoint(steps)
            if isinstance(step, Progress):
                if progress is not None:
                    progress(step.fraction)
            elif isinstance(step, Partial):
                if partial is not None:
                    partial(step.value)
            else:
                raise TypeError(f"a job yields Progress or Partial, not {step!r}")
    finally:
        steps.close()


def stop_at_checkpoint(steps: Steps[Any]) -> None:
    """Raise `Cancelled` inside the job waiting at a checkpoint (its clean-up runs), then here."""
    try:
        steps.throw(Cancelled())
    except (Cancelled, StopIteration):
        pass  # re-raised by the job, or swallowed by it and ended: stopped either way
    raise Cancelled


def relayed(
    steps: Steps[R],
    *,
    fraction: Callable[[float], float] | None = None,
    partial: Callable[[Any], Any] | None = None,
) -> Steps[R]:
    """Run `steps` as part of a larger job: its progress mapped by `fraction`, its partials' values by `partial`.

    Stopping the larger job closes `steps` (its `finally` clean-up runs).
    """
    try:
        while True:
            going, step = _advance(steps)
            if not going:
                return step
            if fraction is not None and isinstance(step, Progress):
                step = Progress(fraction(step.fraction))
            elif partial is not None and isinstance(step, Partial):
                step = Partial(partial(step.value))
            yield step
    finally:
        steps.close()


def rescaled(steps: Steps[R], fraction: Callable[[float], float]) -> Steps[R]:
    """Run `steps` as part of a larger job: its progress mapped by `fraction`, partials passed on."""
    return relayed(steps, fraction=fraction)


def _advance(steps: Steps[Any]) -> tuple[bool, Any]:
    """Run `steps` to its next checkpoint: (True, the step), or (False, its result) at its end."""
    try:
        return True, next(steps)
    except StopIteration as stop:
        return False, stop.value
