"""The engine gives byte-identical numbers to its pre-refactor code (tests/engine/frozen_engine).

The layer objects, the activation table and the one propagation loop replaced string
switches and three copies of the layer step; every statistic, trace array, histogram and
singular value must come out bit for bit as before, for every activation, init, dtype and
loss, with and without bias, through each buffer path (workspace, trace, matrices held or
re-fetched when the cache is small) and at overflow (inf/NaN as data).
"""

from __future__ import annotations

import dataclasses
import itertools

import frozen_engine.histograms as old_histograms
import frozen_engine.jacobian as old_jacobian
import frozen_engine.propagate as old
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from settings_strategies import networks

from depthlens.engine import ACTIVATIONS, DTYPES, INITS, LOSSES, Engine, Settings, drive
from depthlens.engine.analysis import distributions, distributions_steps, jacobian_spectrum, jacobian_steps
from depthlens.engine.propagate import Workspace, run, run_steps
from depthlens.engine.weights import WeightCache

# The frozen engine predates the uniform and zeros inits (tests/engine/test_inits.py checks those).
FROZEN_INITS = tuple(i for i in INITS if i not in ("uniform", "zeros"))
GRID = list(itertools.product(ACTIVATIONS, FROZEN_INITS, DTYPES, (0.0, 0.3), LOSSES))


def _same(new: np.ndarray, ref: np.ndarray, what: str) -> None:
    assert new.dtype == ref.dtype and new.shape == ref.shape, what
    assert new.tobytes() == ref.tobytes(), f"{what}: {new!r} != {ref!r}"


def _same_record(new, ref, what: str) -> None:
    for field in dataclasses.fields(ref):
        a, b = getattr(new, field.name), getattr(ref, field.name)
        if isinstance(b, np.ndarray):
            _same(a, b, f"{what}.{field.name}")
        elif dataclasses.is_dataclass(b):
            _same_record(a, b, f"{what}.{field.name}")
        elif isinstance(b, tuple):
            assert len(a) == len(b), f"{what}.{field.name}"
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                _same(x, y, f"{what}.{field.name}[{i}]")
        elif field.name != "settings":
            assert a == b, f"{what}.{field.name}"


def _check_run(s: Settings, budget: int | None = None) -> None:
    kw = {} if budget is None else {"budget_bytes": budget}
    ref, ref_trace = old.run(s, WeightCache(**kw), keep=True)
    ref_ws, _ = old.run(s, WeightCache(**kw), workspace=old.Workspace())
    _same_record(ref_ws, ref, f"{s} frozen workspace")  # the reference agrees with itself
    new, new_trace = run(s, WeightCache(**kw), keep=True)
    _same_record(new, ref, f"{s} keep")
    _same_record(new_trace, ref_trace, f"{s} trace")
    new_plain, none = run(s, WeightCache(**kw))
    assert none is None
    _same_record(new_plain, ref, f"{s} plain")
    ws = Workspace()
    for _ in range(2):  # fresh buffers, then reused ones
        new_ws, _ = run(s, WeightCache(**kw), workspace=ws)
        _same_record(new_ws, ref, f"{s} workspace")


@pytest.mark.parametrize(("activation", "init", "dtype", "bias_std", "loss"), GRID)
def test_main_pass_is_byte_identical(activation, init, dtype, bias_std, loss):
    common = {"activation": activation, "init": init, "dtype": dtype, "bias_std": bias_std, "loss": loss}
    _check_run(Settings(depth=6, width=5, batch=3, scale=1.3, seed=11, **common))
    # Overflow: inf/NaN activations, NaN derivatives and non-finite weight gradients counted.
    _check_run(Settings(depth=60 if dtype == "float32" else 420, width=8, batch=3, scale=10.0, seed=3, **common))
    # A cache too small to hold the run's matrices: fetched (redrawn) again for the backward pass.
    _check_run(Settings(depth=5, width=6, batch=2, scale=0.8, input="ones", **common), budget=2 * 6 * 6 * 8)
    # Engine.compute (the app's path, its own workspace) too.
    s = Settings(depth=7, width=8, batch=4, scale=1.1, **common)
    ref, _ = old.run(s, WeightCache())
    _same_record(Engine().compute(s).measured, ref, f"{s} compute")


@pytest.mark.parametrize(("activation", "init", "dtype", "bias_std", "loss"), GRID)
def test_histograms_and_jacobian_are_byte_identical(activation, init, dtype, bias_std, loss):
    common = {"activation": activation, "init": init, "dtype": dtype, "bias_std": bias_std, "loss": loss}
    for s in (
        Settings(depth=10, width=5, batch=3, scale=1.3, seed=5, **common),
        Settings(depth=60 if dtype == "float32" else 200, width=8, batch=3, scale=10.0, seed=3, **common),
    ):
        _same_record(distributions(s), old_histograms.distributions(s), f"{s} distributions")
        _same_record(
            distributions(s, bins_per_decade=3, max_abs=1e6),
            old_histograms.distributions(s, bins_per_decade=3, max_abs=1e6),
            f"{s} distributions max_abs",
        )
        _same_record(jacobian_spectrum(s), old_jacobian.jacobian_spectrum(s), f"{s} jacobian")


def test_the_overflow_cases_reach_nan():
    # The overflow settings above must exercise the NaN-derivative rule, or they test nothing.
    for activation in ("relu", "gelu", "swish", "selu", "leaky_relu"):
        s = Settings(depth=60, width=8, batch=3, scale=10.0, seed=3, activation=activation, dtype="float32")
        _, trace = run(s, WeightCache(), keep=True)
        assert any(np.isnan(d).any() for d in trace.derivatives), activation


def test_progress_and_cancellation_points_are_unchanged():
    s = Settings(depth=9, width=4, batch=2)
    for new_fn, old_fn in (
        (lambda **kw: drive(run_steps(s, WeightCache()), **kw), lambda **kw: old.run(s, WeightCache(), **kw)),
        (lambda **kw: drive(distributions_steps(s), **kw), lambda **kw: old_histograms.distributions(s, **kw)),
        (lambda **kw: drive(jacobian_steps(s), **kw), lambda **kw: old_jacobian.jacobian_spectrum(s, **kw)),
    ):
        seen_new: list[float] = []
        seen_old: list[float] = []
        new_fn(progress=seen_new.append)
        old_fn(progress=seen_old.append)
        assert seen_new == seen_old
        calls_new: list[int] = []
        calls_old: list[int] = []
        new_fn(cancel=lambda c=calls_new: bool(c.append(1)))
        old_fn(cancel=lambda c=calls_old: bool(c.append(1)))
        assert len(calls_new) == len(calls_old) > s.depth


@hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(30, 12, 6, init=st.sampled_from(FROZEN_INITS), loss=st.sampled_from(LOSSES)))
def test_any_settings_give_byte_identical_results(s):
    _check_run(s)
    _same_record(distributions(s), old_histograms.distributions(s), f"{s} distributions")
