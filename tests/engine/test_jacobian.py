"""Singular values of the input-output Jacobian (engine.jacobian)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine import Cancelled, Engine, Settings, SettingsError, drive
from depthlens.engine.activations import dphi, phi
from depthlens.engine.analysis import JacobianTooLarge, jacobian_csv_text, jacobian_spectrum, jacobian_steps
from depthlens.engine.theory import mean_field


@pytest.mark.parametrize(("scale", "depth"), [(1.0, 30), (1.3, 20), (0.7, 50), (10.0, 200)])
def test_orthogonal_linear_gives_every_singular_value_s_to_the_L(scale, depth):
    s = Settings(depth=depth, width=32, activation="linear", init="orthogonal", scale=scale, dtype="float64")
    js = jacobian_spectrum(s)
    np.testing.assert_allclose(js.singular_values, scale**depth, rtol=1e-10)
    np.testing.assert_allclose(js.log10_singular_values, depth * math.log10(scale), rtol=1e-10, atol=1e-10)


def test_identity_linear_too():
    js = jacobian_spectrum(
        Settings(depth=40, width=8, activation="linear", init="identity", scale=1.1, dtype="float64")
    )
    np.testing.assert_allclose(js.singular_values, 1.1**40, rtol=1e-12)


def test_gaussian_linear_spreads_out_with_depth():
    spreads = []
    for depth in (2, 10, 50):
        js = jacobian_spectrum(Settings(depth=depth, width=128, activation="linear", init="gaussian", dtype="float64"))
        spreads.append(np.std(js.log10_singular_values))
        assert np.all(np.diff(js.singular_values) <= 0)  # sorted, decreasing
    assert spreads[0] < spreads[1] < spreads[2]
    assert spreads[2] > 3 * spreads[0]


def _theory(activation, scale, bias_std, depth):
    return float(np.prod(mean_field(activation, scale, bias_std, depth).chi[1:]))


def test_mean_squared_singular_value_matches_theory_for_a_wide_linear_net():
    for scale in (1.0, 1.05):
        s = Settings(depth=10, width=512, batch=1, activation="linear", scale=scale, dtype="float64")
        js = jacobian_spectrum(s)
        assert js.mean_squared == pytest.approx(_theory("linear", scale, 0.0, 10), rel=0.2)
        assert js.mean_squared == pytest.approx(scale**20, rel=0.2)


def test_mean_squared_singular_value_matches_theory_for_a_wide_relu_net():
    # He init: prod chi_l = 1. Average over seeds (theory is the expectation over weights).
    ms = [
        jacobian_spectrum(
            Settings(depth=8, width=512, batch=1, activation="relu", scale=math.sqrt(2), seed=seed, dtype="float64")
        ).mean_squared
        for seed in range(6)
    ]
    assert np.mean(ms) == pytest.approx(_theory("relu", math.sqrt(2), 0.0, 8), rel=0.2)
    # off criticality too: (s^2/2)^L
    js = jacobian_spectrum(Settings(depth=8, width=512, batch=1, activation="relu", scale=1.2, dtype="float64"))
    assert js.mean_squared == pytest.approx((1.2**2 / 2) ** 8, rel=0.2)


def test_spectrum_equals_finite_difference_jacobian():
    s = Settings(depth=5, width=6, batch=3, activation="tanh", scale=1.7, bias_std=0.3, dtype="float64", seed=3)
    net = Engine().network(s)

    def f(x):
        a = x
        for W, b in zip(net.W, net.b, strict=True):
            a = phi("tanh", W @ a + b)
        return a

    x0 = net.x[0]
    eps = 1e-6
    J = np.empty((6, 6))
    for j in range(6):
        e = np.zeros(6)
        e[j] = eps
        J[:, j] = (f(x0 + e) - f(x0 - e)) / (2 * eps)
    ref = np.linalg.svd(J, compute_uv=False)
    np.testing.assert_allclose(jacobian_spectrum(s).singular_values, ref, rtol=1e-7, atol=1e-9)
    # and the analytic product of the same matrices
    a, P = x0, np.eye(6)
    for W, b in zip(net.W, net.b, strict=True):
        z = W @ a + b
        P = dphi("tanh", z)[:, None] * (W @ P)
        a = phi("tanh", z)
    np.testing.assert_allclose(
        jacobian_spectrum(s).singular_values, np.linalg.svd(P, compute_uv=False), rtol=1e-12, atol=1e-14
    )


def test_size_limits_raise_a_settings_error_naming_the_setting():
    with pytest.raises(JacobianTooLarge, match="width <= 512") as exc:
        jacobian_spectrum(Settings(width=513, depth=2))
    assert exc.value.name == "width" and isinstance(exc.value, SettingsError)
    with pytest.raises(JacobianTooLarge, match="depth <= 200") as exc:
        jacobian_spectrum(Settings(width=4, depth=201))
    assert exc.value.name == "depth"
    jacobian_spectrum(Settings(width=4, depth=200))  # the limits themselves are fine


def test_cancel_between_layers_and_progress():
    s = Settings(width=16, depth=30)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 10

    with pytest.raises(Cancelled):
        drive(jacobian_steps(s), cancel=cancel)
    assert len(calls) == 11
    seen: list[float] = []
    drive(jacobian_steps(s), progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_overflow_gives_nan_with_a_note_and_huge_scales_stay_in_log10():
    js = jacobian_spectrum(Settings(width=16, depth=200, activation="gelu", scale=10.0, dtype="float32"))
    assert not js.finite and js.note
    big = jacobian_spectrum(
        Settings(width=8, depth=200, activation="linear", init="orthogonal", scale=10.0, dtype="float64")
    )
    np.testing.assert_allclose(big.log10_singular_values, 200.0, rtol=1e-12)


def test_precision_floor_flags_the_singular_values_float64_cannot_resolve():
    """Deep chaotic tanh: half the spectrum lies below n*eps*sigma_max and is flagged as such."""
    s = Settings(depth=50, width=64, batch=4, activation="tanh", init="gaussian", scale=1.4)
    js = jacobian_spectrum(s)
    logs = js.log10_singular_values
    assert js.log10_floor == pytest.approx(logs.max() + math.log10(64 * np.finfo(np.float64).eps))
    assert 0 < js.below_floor < 64
    assert js.below_floor == np.count_nonzero(logs < js.log10_floor)
    # Above the floor the values are resolved: the same product accumulated in the other
    # order (from the output side) gives them again; below it the two disagree (noise).
    s64 = s.replace(dtype="float64")
    js64 = jacobian_spectrum(s64)
    net = Engine().network(s64)
    a, factors = net.x[0], []
    for W, b in zip(net.W, net.b, strict=True):
        z = W @ a + b
        factors.append(dphi("tanh", z)[:, None] * W)
        a = phi("tanh", z)
    K = factors[-1]  # J = M_L ... M_1, multiplied from the output side
    for M in reversed(factors[:-1]):
        K = K @ M
    other = np.log10(np.maximum(np.linalg.svd(K, compute_uv=False), 1e-300))
    logs64, floor = js64.log10_singular_values, js64.log10_floor
    resolved = logs64 > floor + 1  # a decade above the floor
    assert resolved.sum() > 10
    # Error bound of the SVD: |d sigma| <~ n eps sigma_max = 10**floor, i.e. relative 10**(floor - log sigma).
    assert np.all(np.abs(other - logs64)[resolved] <= 10.0 ** (floor - logs64[resolved]))
    below = logs64 < floor
    assert np.max(np.abs(other[below] - logs64[below])) > 0.1  # below it: noise
    # An isometric network has nothing below it, and its CSV says so.
    ortho = jacobian_spectrum(Settings(depth=20, width=16, batch=2, activation="linear", init="orthogonal"))
    assert ortho.below_floor == 0
    assert "below_floor=0" in jacobian_csv_text(ortho)
    assert f"below_floor={js.below_floor}" in jacobian_csv_text(js)


def test_csv_header_floor_stays_consistent_beyond_float64_and_without_a_spectrum():
    tiny = jacobian_spectrum(Settings(depth=200, width=8, batch=2, activation="linear", init="gaussian", scale=0.02))
    text = jacobian_csv_text(tiny)
    line = next(ln for ln in text.splitlines() if "log10_precision_floor=" in ln)
    fields = dict(kv.split("=") for kv in line[2:].split())
    assert float(fields["log10_precision_floor"]) == pytest.approx(tiny.log10_floor)
    assert float(fields["log10_precision_floor"]) < -300  # the floor itself lies beyond float64
    assert int(fields["below_floor"]) == tiny.below_floor
    # All singular values exactly 0 (a dead relu net): no floor, no contradictory fields.
    dead_net = Settings(depth=3, width=1, batch=1, activation="relu", init="gaussian", scale=10.0, seed=1)
    dead = jacobian_spectrum(dead_net)
    assert np.all(np.isneginf(dead.log10_singular_values))
    assert math.isnan(dead.log10_floor) and dead.below_floor == 0
    assert "precision_floor" not in jacobian_csv_text(dead)
