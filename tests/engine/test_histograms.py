"""Per-layer histograms of activations and gradients on asinh bins (engine.histograms)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from settings_strategies import networks

from depthlens.engine import Cancelled, Settings, drive
from depthlens.engine.analysis import asinh_decades, decades_to_value, distributions, distributions_steps
from depthlens.engine.propagate import run
from depthlens.engine.weights import WeightCache


def _reference(settings):
    cache = WeightCache()
    measured, trace = run(settings, cache, keep=True)
    return measured, trace


@pytest.mark.parametrize(
    "s",
    [
        Settings(depth=12, width=16, batch=8, activation="relu", scale=1.6, bias_std=0.1, dtype="float64"),
        Settings(depth=9, width=8, batch=5, activation="tanh", init="orthogonal", scale=2.5),
        Settings(depth=7, width=6, batch=3, activation="gelu", init="identity", scale=0.7, input="ones"),
        Settings(depth=25, width=10, batch=4, activation="sigmoid", scale=3.0, bias_std=0.5),
        Settings(depth=12, width=16, batch=8, activation="relu", scale=1.6, bias_std=0.1, loss="sum"),
    ],
)
def test_counts_equal_numpy_histograms_of_the_full_trace(s):
    measured, trace = _reference(s)
    dist = distributions(s)
    for q, arrays in (("activation", trace.activations), ("gradient", trace.gradients)):
        h = dist[q]
        assert h.counts.shape == (s.depth + 1, h.edges.size - 1)
        for layer, x in enumerate(arrays):
            ref, _ = np.histogram(asinh_decades(x.ravel()), bins=h.edges_t)
            np.testing.assert_array_equal(h.counts[layer], ref, err_msg=f"{q} layer {layer}")
        np.testing.assert_allclose(h.inactive_fraction, measured.inactive_fraction, equal_nan=True)
        assert np.isnan(h.inactive_fraction[0])


def test_tiny_and_huge_values_get_their_own_bins():
    t = asinh_decades(np.array([-1e30, -1e-30, 0.0, 1e-30, 1e30]))
    dist = distributions(Settings(depth=2, width=4, batch=2))
    edges_t = dist.activation.edges_t
    bins = np.searchsorted(edges_t, t, side="right") - 1
    assert len(set(bins.tolist())) == 5  # all five in distinct bins
    assert np.all((bins >= 0) & (bins < edges_t.size - 1))
    edges = dist.activation.edges
    assert edges[0] <= -1e30 and edges[-1] >= 1e30  # the default range shows both
    np.testing.assert_allclose(edges, -edges[::-1])  # symmetric
    assert np.all(np.diff(edges) > 0)


def test_asinh_round_trip_over_the_whole_float64_range():
    x = np.array([-1e308, -3.5e200, -1.0, -1e-45, 0.0, 5e-324, 2e-31, 1e-30, 7.0, 1e30, 1.7e308])
    t = asinh_decades(x)
    assert np.all(np.isfinite(t)) and np.all(np.diff(t) >= 0)
    np.testing.assert_allclose(decades_to_value(t), x, rtol=1e-12)
    # large |x|: t ~ log10(|x| / linthresh) + log10(2)
    assert t[-2] == pytest.approx(60 + math.log10(2), abs=1e-12)


def test_dead_relu_units_land_in_the_central_bin():
    s = Settings(depth=6, width=32, batch=16, activation="relu", scale=1.4, dtype="float64")
    _, trace = _reference(s)
    h = distributions(s).activation
    centre = (h.edges.size - 1) // 2
    assert h.edges[centre] < 0 < h.edges[centre + 1]
    for layer in range(1, s.depth + 1):
        assert h.counts[layer, centre] == np.count_nonzero(trace.activations[layer] == 0)
        assert h.counts[layer, :centre].sum() == 0  # relu: nothing negative


def test_overflow_is_counted_apart_and_never_crashes():
    s = Settings(depth=300, width=16, batch=4, activation="linear", scale=1.5, dtype="float32")
    dist = distributions(s)
    a, g = dist.activation, dist.gradient
    total = s.batch * s.width
    np.testing.assert_array_equal(a.counts.sum(axis=1) + a.nonfinite, total)
    np.testing.assert_array_equal(g.counts.sum(axis=1) + g.nonfinite, total)
    assert a.nonfinite[-1] == total and a.nonfinite[0] == 0
    assert (g.posinf + g.neginf + g.nan)[0] == total
    assert np.all(np.isfinite(a.edges_t))


def test_explicit_max_abs_clips_into_the_outer_bins():
    s = Settings(depth=20, width=8, batch=4, activation="linear", scale=3.0, dtype="float64")
    auto = distributions(s).activation
    fixed = distributions(s, max_abs=1e3).activation
    assert fixed.edges[-1] == pytest.approx(1e3, rel=0.3) and fixed.edges[-1] >= 1e3
    np.testing.assert_array_equal(fixed.counts.sum(axis=1), auto.counts.sum(axis=1))
    last = s.depth  # |a_L| ~ 3^20 ~ 3e9, beyond 1e3: all in the outermost bins
    assert fixed.counts[last, 1:-1].sum() == 0


def test_shares_and_bins_per_decade():
    s = Settings(depth=5, width=8, batch=4)
    d2 = distributions(s, bins_per_decade=2)
    d8 = distributions(s, bins_per_decade=8)
    assert d8.activation.counts.shape[1] > 3 * d2.activation.counts.shape[1]
    np.testing.assert_allclose(d2.gradient.shares.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="bins_per_decade"):
        distributions(s, bins_per_decade=0)


def test_cancel_and_progress():
    s = Settings(depth=10, width=4, batch=2)
    seen: list[float] = []
    drive(distributions_steps(s), progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and 0 <= seen[0] < 0.1
    calls = iter(range(100))
    with pytest.raises(Cancelled):
        drive(distributions_steps(s), cancel=lambda: next(calls) >= 5)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    networks(6, 8, 5, scale=st.floats(0.01, 10.0), bias_std=st.sampled_from([0.0, 0.3, 1.0])),
    st.integers(1, 8),
)
def test_every_entry_is_counted_exactly_once(s, bpd):
    dist = distributions(s, bins_per_decade=bpd)
    for q in ("activation", "gradient"):
        h = dist[q]
        assert h.counts.shape[0] == s.depth + 1
        assert np.all(h.counts >= 0)
        np.testing.assert_array_equal(h.counts.sum(axis=1) + h.nonfinite, s.batch * s.width)
        assert h.edges.size == h.counts.shape[1] + 1 == h.edges_t.size
