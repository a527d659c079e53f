"""Mean-field phase diagram: fixed points, chi_1, depth scale, critical line (engine.phase)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from depthlens.engine import Cancelled, drive
from depthlens.engine.analysis import (
    chi_1,
    critical_scale,
    depth_scale,
    fixed_point,
    phase_diagram,
    phase_diagram_steps,
    point,
)
from depthlens.engine.phase import chis, fixed_points
from depthlens.engine.theory import mean_field, moments

SMOOTH = ("tanh", "sigmoid", "gelu", "selu", "swish")


def test_tanh_critical_point_matches_schoenholz_2017():
    s = critical_scale("tanh", math.sqrt(0.05))
    assert s is not None
    assert s * s == pytest.approx(1.76, abs=0.01)
    q = fixed_point("tanh", s * s, 0.05)
    assert q == pytest.approx(0.57, abs=0.01)
    assert chi_1("tanh", s * s, 0.05) == pytest.approx(1.0, abs=1e-10)


def test_tanh_critical_line_on_the_grid_agrees_with_the_scalar_search():
    pd = phase_diagram("tanh", resolution=(41, 51))
    j = int(np.argmin(np.abs(pd.sigma_b2 - 0.05)))
    assert pd.sigma_b2[j] == pytest.approx(0.05)
    assert pd.critical_sigma_w2[j] == pytest.approx(1.76, abs=0.01)
    assert pd.critical_sigma_w2[j] == pytest.approx(critical_scale("tanh", math.sqrt(0.05)) ** 2, rel=1e-5)
    # tanh with no bias: critical at sigma_w^2 = 1 (chi_1 = sigma_w^2 phi'(0)^2 with q* = 0)
    assert pd.critical_sigma_w2[0] == pytest.approx(1.0, abs=1e-6)
    # the line rises with the bias
    assert np.all(np.diff(pd.critical_sigma_w2) > 0)


def test_relu_chi_is_exactly_half_sigma_w2_and_critical_at_two():
    pd = phase_diagram("relu", resolution=(41, 26))
    S2 = np.broadcast_to(pd.sigma_w2, pd.chi_1.shape)
    assert np.array_equal(pd.chi_1, S2 / 2)
    assert np.all(pd.critical_sigma_w2 == 2.0)
    col = int(np.nonzero(pd.sigma_w2 == 2.0)[0][0])
    assert np.all(pd.chi_1[:, col] == 1.0) and np.all(np.isinf(pd.xi[:, col]))
    assert critical_scale("relu", 0.0) == math.sqrt(2.0)
    for s2 in (0.3, 1.0, 2.0, 3.7):
        for b2 in (0.0, 0.1):
            assert chi_1("relu", s2, b2) == s2 / 2


def test_relu_fixed_points_closed_form():
    assert fixed_point("relu", 1.5, 0.0) == 0.0
    assert fixed_point("relu", 1.5, 0.2) == pytest.approx(0.2 / (1 - 0.75), rel=1e-15)
    assert math.isinf(fixed_point("relu", 2.5, 0.0))
    assert math.isinf(fixed_point("relu", 2.0, 0.1))  # critical with a bias: no fixed point
    assert fixed_point("relu", 2.0, 0.0) == 2.0  # every variance is fixed: the first layer's stays
    q = fixed_points("relu", np.array([1.5, 2.5, 2.0]), np.array([0.2, 0.0, 0.1]))
    assert q[0] == pytest.approx(0.8) and np.isinf(q[1]) and np.isinf(q[2])


def test_tanh_without_bias_below_critical_has_q_star_zero():
    for s2 in (0.2, 0.7, 0.99):
        assert fixed_point("tanh", s2, 0.0) == 0.0
        assert chi_1("tanh", s2, 0.0) == pytest.approx(s2, rel=1e-12)
    assert fixed_point("tanh", 1.5, 0.0) > 0.1
    pd = phase_diagram("tanh")
    below = pd.sigma_w2 < 1.0
    assert np.all(pd.q_star[0, below] == 0.0)
    assert np.all(pd.q_star[0, pd.sigma_w2 > 1.05] > 0)


@pytest.mark.parametrize("activation", SMOOTH)
@pytest.mark.parametrize(("s2", "b2"), [(0.5, 0.1), (1.5, 0.05), (2.5, 0.3), (3.9, 0.5)])
def test_fixed_point_is_a_fixed_point_and_the_limit_of_the_recursion(activation, s2, b2):
    q = fixed_point(activation, s2, b2)
    if not math.isfinite(q):
        return
    residual = s2 * moments(activation, q)[0] + b2 - q
    assert abs(residual) <= 1e-12 * max(q, 1.0)
    # the mean-field recursion of engine.theory, from the input, converges to it
    m = mean_field(activation, math.sqrt(s2), math.sqrt(b2), 2000)
    v_last = s2 * m.activation_rms[-2] ** 2 + b2
    assert v_last == pytest.approx(q, rel=1e-6, abs=1e-12)


def test_chi_against_scipy_quadrature():
    for act, f in (("tanh", lambda x: 1 / np.cosh(x) ** 4), ("sigmoid", None)):
        s2, b2 = 1.7, 0.2
        q = fixed_point(act, s2, b2)
        if f is None:

            def f(x):
                sg = 1 / (1 + np.exp(-x))
                return (sg * (1 - sg)) ** 2

        ref, _ = integrate.quad(
            lambda u, f=f, q=q: f(math.sqrt(q) * u) * math.exp(-u * u / 2) / math.sqrt(2 * math.pi),
            -40,
            40,
            epsabs=1e-14,
            epsrel=1e-12,
            limit=200,
        )
        assert chi_1(act, s2, b2) == pytest.approx(s2 * ref, rel=1e-9)


@pytest.mark.parametrize("activation", (*SMOOTH, "linear", "relu", "leaky_relu"))
def test_grid_agrees_with_scalar_solver(activation):
    pd = phase_diagram(activation, resolution=(9, 6))
    for j, b2 in enumerate(pd.sigma_b2):
        for i, s2 in enumerate(pd.sigma_w2):
            q = fixed_point(activation, s2, b2)
            qg = pd.q_star[j, i]
            if math.isinf(q) or math.isinf(qg):
                assert q == qg, (s2, b2)
            else:
                assert qg == pytest.approx(q, rel=1e-5, abs=1e-12), (s2, b2)
                assert pd.chi_1[j, i] == pytest.approx(chi_1(activation, s2, b2, q), rel=1e-5, abs=1e-12)


def test_depth_scale_definition():
    assert depth_scale(math.exp(-0.5)) == pytest.approx(2.0)
    assert depth_scale(math.exp(0.25)) == pytest.approx(4.0)  # chaotic: 1/ln(chi)
    assert math.isinf(depth_scale(1.0))
    assert depth_scale(0.0) == 0.0
    pd = phase_diagram("tanh", resolution=(11, 3))
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(pd.xi, 1 / np.abs(np.log(pd.chi_1)))
    p = point("tanh", scale=1.0, bias_std=0.5)
    assert p.xi == pytest.approx(-1 / math.log(p.chi_1)) and p.phase == "ordered"
    assert point("relu", scale=2.0, bias_std=0.0).phase == "chaotic"


def test_grid_shape_ranges_and_resolution():
    pd = phase_diagram("gelu", sigma_w2_range=(0.5, 3.0), sigma_b2_range=(0.0, 0.2), resolution=(6, 3))
    assert pd.q_star.shape == pd.chi_1.shape == pd.xi.shape == (3, 6)
    assert pd.sigma_w2[0] == 0.5 and pd.sigma_w2[-1] == 3.0 and pd.sigma_b2[-1] == 0.2
    assert pd.critical_sigma_w2.shape == (3,)
    with pytest.raises(ValueError, match="resolution"):
        phase_diagram("tanh", resolution=(1, 5))
    with pytest.raises(ValueError, match="activation"):
        phase_diagram("nope")


def test_chis_vectorised_matches_scalar_for_large_and_zero_q():
    q = np.array([0.0, 1e-20, 1e-3, 1.0, 1e3, 1e11, np.inf])
    for act in SMOOTH:
        c = chis(act, 2.0, q)
        for qi, ci in zip(q, c, strict=True):
            assert ci == pytest.approx(chi_1(act, 2.0, 0.0, qi), rel=1e-5)


def test_critical_scale_none_and_max_scale():
    assert critical_scale("sigmoid", 0.0) is None
    assert critical_scale("tanh", 0.5, max_scale=1.2) is None
    assert critical_scale("tanh", 0.0) == pytest.approx(1.0, abs=1e-9)
    s = critical_scale("selu", 0.0)  # q* = 0 below it: chi_1 = s^2 lambda^2 (1 + alpha^2) / 2
    from depthlens.engine.activations import SELU_ALPHA, SELU_LAMBDA

    assert s == pytest.approx(math.sqrt(2 / (SELU_LAMBDA**2 * (1 + SELU_ALPHA**2))), rel=1e-6)


def test_phase_diagram_cancel_and_progress():
    seen: list[float] = []
    drive(phase_diagram_steps("tanh", resolution=(5, 4)), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        drive(phase_diagram_steps("tanh"), cancel=lambda: True)


@pytest.mark.parametrize("activation", SMOOTH)
def test_grid_critical_line_agrees_with_scalar_critical_scale(activation):
    pd = phase_diagram(activation, resolution=(41, 6))
    for b2, line in zip(pd.sigma_b2, pd.critical_sigma_w2, strict=True):
        s = critical_scale(activation, math.sqrt(b2), max_scale=2.0)
        if s is None:
            assert np.isnan(line), (b2, line)
        else:
            assert line == pytest.approx(s * s, rel=1e-4), b2
