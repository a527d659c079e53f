"""Fixed points of the length map by root finding, against a brute-force dense scan."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from depthlens.engine import ACTIVATIONS
from depthlens.engine.analysis import critical_scale, divergence_scale, fixed_point, phase_diagram, point
from depthlens.engine.fixed_point import LINEAR_FAMILY, Q_CEIL, Q_FLOOR, fixed_points, unstable_fixed_point
from depthlens.engine.gauss import d2_at_zero, length_slope, moments

S2 = (0.1, 0.5, 0.9, 1.0, 1.3, 1.76, 2.0, 2.3, 2.7, 3.5, 4.0, 6.0, 12.0, 50.0, 100.0)
B2 = (0.0, 0.01, 0.05, 0.2, 1.0)
DENSE = np.geomspace(Q_FLOOR, Q_CEIL, 42 * 40 + 1)  # 40 points per decade


@cache
def dense_f(activation: str) -> np.ndarray:
    """E[phi(sqrt(q) u)^2] on the dense grid, by the exact quadrature (no tables)."""
    return np.array([moments(activation, float(q))[0] for q in DENSE])


def brute_force(activation: str, s2: float, b2: float) -> tuple[float, float] | None:
    """The first dense-grid interval where g = f - q < 0 starts: (lo, hi); None if g >= 0 everywhere.

    g(0) >= 0 always, so a stable fixed point exists exactly when g < 0 somewhere (then the
    first crossing goes from + to -); g < 0 already at the first point means q* ~ 0. Values
    |g| < 1e-12 q are rounding of the quadrature, not a sign (at s^2 phi'(0)^2 = 1 exactly
    g is O(q^2) near 0: ~1e-60 against rounding of ~1e-46 at q = 1e-30).
    """
    g = s2 * dense_f(activation) + b2 - DENSE
    neg = np.nonzero(g < -1e-12 * DENSE)[0]
    if neg.size == 0:
        return None
    k = int(neg[0])
    return (0.0 if k == 0 else float(DENSE[k - 1])), float(DENSE[k])


def slope(activation: str, s2: float, q: float) -> float:
    """f'(q) = s^2 dE[phi^2]/dq."""
    return s2 * length_slope(activation, q)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_reported_fixed_point_is_a_stable_root_and_agrees_with_a_dense_scan(activation):
    for s2 in S2:
        for b2 in B2:
            q = fixed_point(activation, s2, b2)
            brute = brute_force(activation, s2, b2)
            where = (activation, s2, b2, q, brute)
            if activation in LINEAR_FAMILY and s2 * LINEAR_FAMILY[activation] == 1.0 and b2 == 0:
                # Every q is a fixed point (neutral, f' = 1): the first layer's stays.
                assert q == s2 and slope(activation, s2, q) == 1.0, where
                continue
            if brute is None:
                assert math.isinf(q), where
                continue
            assert math.isfinite(q), where
            residual = s2 * moments(activation, q)[0] + b2 - q
            assert abs(residual) <= 1e-9 * q, where
            lo, hi = brute
            # q* = 0: the scan's first sign is at q ~ 0 (or below its resolution of ~1e-12).
            assert lo <= q <= hi or (q == 0.0 and hi < 1e-11), where
            f1 = slope(activation, s2, q)
            if q == 0.0 and s2 * d2_at_zero(activation) == 1.0:
                # Marginal: f'(0) = 1 and f bends below the diagonal (tanh at s^2 = 1).
                assert s2 * moments(activation, 1e-6)[0] + b2 < 1e-6, where
            else:
                assert 0.0 <= f1 < 1.0, where


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_vectorised_fixed_points_agree_with_the_exact_ones(activation):
    S, B = np.meshgrid(np.array(S2), np.array(B2))
    qv = fixed_points(activation, S, B)
    for (j, i), qg in np.ndenumerate(qv):
        q = fixed_point(activation, S[j, i], B[j, i])
        assert np.isinf(q) == np.isinf(qg), (S[j, i], B[j, i])
        if np.isfinite(q):
            assert qg == pytest.approx(q, rel=1e-5, abs=1e-12), (S[j, i], B[j, i])


def test_gelu_keeps_a_finite_fixed_point_up_to_the_saddle_node():
    # Reference: GELU (tanh approximation) at sigma_b^2 = 0.05 keeps a finite q* up to 2.4166.
    d = divergence_scale("gelu", math.sqrt(0.05))
    assert d is not None and d * d == pytest.approx(2.4166, abs=1e-3)
    assert critical_scale("gelu", math.sqrt(0.05)) is None  # chi_1 < 1 all the way: no critical point
    below, above = d * d * (1 - 1e-6), d * d * (1 + 1e-6)
    q = fixed_point("gelu", below, 0.05)
    assert 0.1 < q < 1.0 and slope("gelu", below, q) < 1.0
    assert math.isinf(fixed_point("gelu", above, 0.05))
    # the grid's divergence line agrees
    pd = phase_diagram("gelu", resolution=(41, 11))
    j = int(np.argmin(np.abs(pd.sigma_b2 - 0.05)))
    assert pd.divergence_sigma_w2[j] == pytest.approx(d * d, rel=1e-4)
    assert np.isnan(pd.critical_sigma_w2[j])


def test_the_issue_example_gelu_finite_fixed_point_where_iteration_gave_up():
    # gelu, s = 1.437, sigma_b = 0.3: the old iteration printed q* = inf; root finding gives 0.325.
    p = point("gelu", scale=1.437, bias_std=0.3)
    assert p.q_star == pytest.approx(0.325, abs=1e-3)
    assert p.chi_1 == pytest.approx(0.77, abs=0.01)
    assert p.region == "ordered"
    assert critical_scale("gelu", 0.3) is None
    d = divergence_scale("gelu", 0.3)
    assert d is not None and 1.437 < d < 1.48
    assert point("gelu", scale=1.48, bias_std=0.3).region == "unbounded"


@pytest.mark.parametrize("activation", ["gelu", "swish"])
def test_gelu_and_swish_without_bias_are_critical_at_four(activation):
    # phi'(0) = 1/2: q* = 0 is stable up to s^2 = 4, where chi_1 = 1; beyond it q* = inf.
    c = critical_scale(activation, 0.0)
    assert c == 2.0
    assert divergence_scale(activation, 0.0) is None  # the vanishing is the critical point itself
    assert fixed_point(activation, 3.99, 0.0) == 0.0
    assert math.isinf(fixed_point(activation, 4.01, 0.0))


def test_tanh_critical_point_still_holds():
    s = critical_scale("tanh", math.sqrt(0.05))
    assert s is not None and s * s == pytest.approx(1.7610, abs=1e-4)
    assert divergence_scale("tanh", math.sqrt(0.05)) is None
    s01 = critical_scale("tanh", 0.1)
    assert s01 is not None and s01 * s01 == pytest.approx(1.4242, abs=1e-4)


def test_sigmoid_has_no_critical_point_within_the_slider_range():
    # Its chi_1 = 1 crossing lies near s^2 = 103 at sigma_b ~ 0, beyond s <= 10.
    for b in (0.0, 0.1, 0.5, 1.0):
        assert critical_scale("sigmoid", b) is None
        assert divergence_scale("sigmoid", b) is None
    assert point("sigmoid", scale=10.0, bias_std=0.0).chi_1 < 1
    c = critical_scale("sigmoid", 0.0, max_scale=11.0)
    assert c is not None and 100 < c * c < 110


def test_selu_blows_up_continuously_in_the_chaotic_phase():
    # E[selu^2] = c_inf q + bounded with c_inf = lambda^2/2: q* -> inf as s^2 -> 2/lambda^2.
    from depthlens.engine.activations import SELU_LAMBDA

    c = critical_scale("selu", 0.0)
    d = divergence_scale("selu", 0.0)
    assert c is not None and d is not None and c < d
    assert d * d == pytest.approx(2 / SELU_LAMBDA**2, rel=1e-6)
    assert point("selu", scale=0.5 * (c + d), bias_std=0.0).region == "chaotic"


def test_unstable_fixed_point_above_q_star():
    # gelu at s^2 = 2.3, sigma_b^2 = 0.05: a stable q* and an unstable one above it.
    q = fixed_point("gelu", 2.3, 0.05)
    qu = unstable_fixed_point("gelu", 2.3, 0.05, q)
    assert q < qu < math.inf
    assert s_residual("gelu", 2.3, 0.05, qu) <= 1e-9 * qu
    assert slope("gelu", 2.3, qu) > 1.0
    assert math.isinf(unstable_fixed_point("tanh", 1.76, 0.05, fixed_point("tanh", 1.76, 0.05)))


def s_residual(activation, s2, b2, q):
    return abs(s2 * moments(activation, q)[0] + b2 - q)
