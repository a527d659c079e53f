"""The activation table: every record's claims (odd, non-negative, closed forms, limits, inactive rule) hold."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine import ACTIVATIONS
from depthlens.engine.activations import INACTIVE_THRESHOLD, TABLE, dphi, phi
from depthlens.engine.gauss import CLOSED_FORMS, gauss_expect, limit_moments, moments

Z = np.concatenate([-np.geomspace(1e-3, 60.0, 200), [0.0], np.geomspace(1e-3, 60.0, 200)])


def test_the_table_is_the_settings_list():
    assert tuple(TABLE) == ACTIVATIONS
    assert all(name == act.name for name, act in TABLE.items())


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_odd_is_true_exactly_for_odd_activations(name):
    odd = np.allclose(phi(name, -Z), -phi(name, Z), rtol=1e-12, atol=1e-15)
    assert TABLE[name].odd == odd


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_nonneg_is_true_exactly_when_phi_is_never_negative(name):
    assert TABLE[name].nonneg == bool(np.all(phi(name, Z) >= 0))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_closed_forms_agree_with_quadrature_or_do_not_exist(name):
    ratios = []
    for v in (1e-4, 0.3, 1.0, 7.0, 1e4):
        e_phi2 = gauss_expect(lambda x: phi(name, x) ** 2, v)
        e_d2 = gauss_expect(lambda x: dphi(name, x) ** 2, v)
        ratios.append((e_phi2 / v, e_d2))
    form = TABLE[name].closed_form
    if form is None:
        # Not exact at every v: E[phi^2] / v changes with v.
        assert max(r for r, _ in ratios) - min(r for r, _ in ratios) > 1e-3
    else:
        for r in ratios:
            np.testing.assert_allclose(r, form, rtol=1e-9)
        assert CLOSED_FORMS[name] == form


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_limits_at_infinite_variance(name):
    e_phi2_inf, e_d2_inf = TABLE[name].limit
    assert limit_moments(name) == (e_phi2_inf, e_d2_inf)
    v = 1e12
    e_phi2 = gauss_expect(lambda x: phi(name, x) ** 2, v)
    e_d2 = gauss_expect(lambda x: dphi(name, x) ** 2, v)
    assert e_d2 == pytest.approx(e_d2_inf, abs=1e-5)
    if math.isinf(e_phi2_inf):
        assert e_phi2 > 1e-3 * v  # grows with v
    else:
        assert e_phi2 == pytest.approx(e_phi2_inf, abs=1e-5)
    assert moments(name, math.inf) == (e_phi2_inf, e_d2_inf)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_fused_forward_equals_phi_and_dphi(name, dtype):
    z = np.array([-np.inf, -1e30, -30.0, -1.0, -1e-3, 0.0, 2e-3, 0.5, 3.0, 1e30, np.inf], dtype=dtype)
    with np.errstate(all="ignore"):
        a, d = TABLE[name].forward(z.copy(), np.empty_like(z))
    np.testing.assert_array_equal(a, phi(name, z))
    full = np.ones_like(z) if d is None else d
    np.testing.assert_array_equal(full.astype(dtype), dphi(name, z))
    assert (d is None) == TABLE[name].unit_slope


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_derivative_at_nan_is_nan_except_for_linear(name):
    z = np.array([np.nan, 1.0, -np.inf, np.inf])
    with np.errstate(all="ignore"):
        _, d = TABLE[name].forward(z.copy())
    if name == "linear":
        assert d is None  # phi' = 1, exact even at NaN
        return
    assert d is not None
    assert np.isnan(d[0]) and not np.isnan(d[1:]).any()
    np.testing.assert_array_equal(d[1:], dphi(name, z[1:]))


def test_inactive_rules():
    d = np.array([0.0, 5e-4, -5e-4, -0.2, 0.5, 1.0])
    counts = {name: act.inactive(d) for name, act in TABLE.items()}
    assert counts["relu"] == 1  # dead: phi' exactly 0
    assert counts["gelu"] == counts["swish"] == 3  # |phi'| <= 1e-3
    assert counts["tanh"] == counts["sigmoid"] == counts["selu"] == counts["leaky_relu"] == 4  # phi' <= 1e-3
    assert INACTIVE_THRESHOLD == 1e-3
