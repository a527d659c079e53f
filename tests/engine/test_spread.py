"""Finite-width spread over seeds (engine.spread)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from depthlens.engine import Cancelled, Engine, Settings, drive
from depthlens.engine.analysis import SPREAD_QUANTITIES, percentiles, seed_list, spread, spread_steps


def test_band_is_wider_at_small_width_hanin_rolnick():
    # Variance of the log-norm grows like L / n: at L = 50 the n = 16 band dwarfs n = 256.
    base = Settings(depth=50, batch=16, activation="relu", init="gaussian", scale=math.sqrt(2), input="gaussian")
    narrow = spread(base.replace(width=16), seeds=8)
    wide = spread(base.replace(width=256), seeds=8)
    for q in SPREAD_QUANTITIES:
        w16 = np.nanmean(narrow.width(q)[1:-1])
        w256 = np.nanmean(wide.width(q)[1:-1])
        assert w16 > 2 * w256, (q, w16, w256)
    # and at the deepest layer of the forward pass in particular
    assert narrow.width("activation_rms")[-1] > 2 * wide.width("activation_rms")[-1]


def test_per_seed_values_are_the_engine_results_and_progressive():
    s = Settings(depth=6, width=8, batch=4, activation="tanh", scale=1.3, seed=41)
    partials = []
    sp = drive(spread_steps(s, seeds=5), partial=partials.append)
    assert [p.complete for p in partials] == [1, 2, 3, 4, 5]
    assert partials[-1].seeds == sp.seeds == (41, 42, 43, 44, 45)
    assert sp.log10.shape == (5, 3, 7) and sp.p10.shape == (3, 7)
    eng = Engine()
    for k, seed in enumerate(sp.seeds):
        m = eng.compute(s.replace(seed=seed)).measured
        for i, q in enumerate(SPREAD_QUANTITIES):
            with np.errstate(divide="ignore", invalid="ignore"):
                np.testing.assert_array_equal(sp.log10[k, i], np.log10(getattr(m, q)))
    # the first partial band is a single seed: p10 = p50 = p90
    np.testing.assert_array_equal(partials[0].p10, partials[0].p90)
    # percentiles are over the seeds
    lo, mid, hi = sp.band("gradient_rms")
    np.testing.assert_allclose(mid, np.median(sp.log10[:, 1], axis=0))
    np.testing.assert_allclose(lo, np.percentile(sp.log10[:, 1], 10, axis=0))
    np.testing.assert_allclose(hi, np.percentile(sp.log10[:, 1], 90, axis=0))
    assert np.all(np.isnan(sp.band("weight_grad_rms")[0][0]))  # row 0 is blank


def test_identical_networks_give_a_zero_band():
    s = Settings(depth=10, width=4, batch=2, init="identity", input="ones", activation="tanh", scale=1.2)
    sp = spread(s, seeds=4)
    np.testing.assert_array_equal(sp.width("activation_rms"), 0.0)


def test_seed_wraps_and_validation():
    s = Settings(seed=2**32 - 2)
    assert seed_list(s, 4) == (2**32 - 2, 2**32 - 1, 0, 1)
    with pytest.raises(ValueError, match="seeds"):
        spread(s, seeds=0)


def test_overflowing_seeds_give_infinite_percentiles_not_nan():
    s = Settings(depth=300, width=8, batch=2, activation="linear", scale=1.5, dtype="float32")
    sp = spread(s, seeds=3)
    logs = sp.log10[:, 0]  # activation_rms per seed and layer
    mixed = np.nonzero(np.isinf(logs).any(axis=0) & np.isfinite(logs).any(axis=0))[0]
    assert mixed.size  # some layer overflowed for some seeds only
    lo, mid, hi = sp.band("activation_rms")
    for layer in mixed:
        assert hi[layer] == np.inf
        assert not np.isnan([lo[layer], mid[layer]]).any() and lo[layer] <= mid[layer]
    assert np.isfinite(lo[mixed[0]])  # the first such layer overflowed for one seed only


def test_cancel_and_progress():
    s = Settings(depth=5, width=4, batch=2)
    seen: list[float] = []
    drive(spread_steps(s, seeds=3), progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and seen[0] == 0.0
    calls = iter(range(1000))
    with pytest.raises(Cancelled):
        drive(spread_steps(s, seeds=3), cancel=lambda: next(calls) > 12)


def test_percentiles_with_inf_and_nan():
    v = np.array([[1.0, np.nan, -np.inf], [2.0, np.nan, 0.0], [3.0, np.nan, np.inf]])
    p = percentiles(v)
    np.testing.assert_allclose(p[:, 0], [1.2, 2.0, 2.8])
    assert np.all(np.isnan(p[:, 1]))
    assert p[0, 2] == -np.inf and p[1, 2] == 0.0 and p[2, 2] == np.inf


@hsettings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20))
def test_percentiles_equal_numpy_for_finite_data(values):
    v = np.array(values)[:, None]
    np.testing.assert_allclose(percentiles(v)[:, 0], np.percentile(v[:, 0], [10, 50, 90]), rtol=1e-12, atol=1e-9)
