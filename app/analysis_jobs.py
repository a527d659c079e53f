"""The analysis views' engine jobs: each builder returns a job for `EngineWorker.submit`.

A job is `fn()` returning a result or a generator of checkpoints (`engine.jobs`): the
histograms, the Jacobian, the phase grid and the spread yield `Progress` between layers
or row blocks; the spread also yields a `Partial` after each seed, so its band grows.
Jobs run on the engine thread and use its weight cache; they never touch a widget.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from typing import Any

from depthlens.engine import Engine, Settings
from depthlens.engine.analysis import (
    critical_scale,
    distributions_steps,
    divergence_scale,
    jacobian_steps,
    phase_diagram_steps,
    point,
    spread_steps,
)
from depthlens.engine.weights import WeightCache
from depthlens.widgets.phase_view import RESOLUTION

Job = Callable[[], Any]


def timed(job: Job, record: Callable[[float], None]) -> Job:
    """`job`, reporting its run time (seconds) to `record` when it ends (the duty cycle)."""

    def run():
        t0 = time.perf_counter()
        out = job()
        if inspect.isgenerator(out):
            out = yield from out
        record(time.perf_counter() - t0)
        return out

    return run


def distributions_job(s: Settings, cache: WeightCache) -> Job:
    """The per-layer histograms of `s`."""
    return lambda: distributions_steps(s, cache=cache)


def jacobian_job(s: Settings, cache: WeightCache) -> Job:
    """The Jacobian's singular values of `s` (its size already checked)."""
    return lambda: jacobian_steps(s, cache=cache)


def phase_job(activation: str, w2: tuple[float, float], b2: tuple[float, float]) -> Job:
    """The phase diagram of `activation` over the ranges shown."""
    return lambda: phase_diagram_steps(activation, sigma_w2_range=w2, sigma_b2_range=b2, resolution=RESOLUTION)


def point_job(s: Settings) -> Job:
    """The mean-field readout (q*, chi_1, xi) at the network's (scale, bias)."""
    return lambda: point(s.activation, scale=s.scale, bias_std=s.bias_std)


def critical_job(activation: str, bias_std: float) -> Job:
    """((activation, bias_std), (critical sigma_w^2, divergence sigma_w^2)); NaN where none."""

    def run():
        sc = critical_scale(activation, bias_std)
        sd = divergence_scale(activation, bias_std)
        return (activation, bias_std), (math.nan if sc is None else sc * sc, math.nan if sd is None else sd * sd)

    return run


def spread_job(s: Settings, seeds: int, engine: Engine) -> Job:
    """The spread over `seeds` seeds; yields the band of the seeds done after each one."""
    return lambda: spread_steps(s, seeds=seeds, engine=engine)
