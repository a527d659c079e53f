"""Backward pass against central finite differences of the loss, for every activation."""

from __future__ import annotations

import numpy as np
import pytest

from engine import ACTIVATIONS, Engine, Settings
from engine.activations import dphi, phi


def loss(net, activation, x=None, W=None):
    a = net.x if x is None else x
    Ws = net.W if W is None else W
    for layer in range(Ws.shape[0]):
        a = phi(activation, a @ Ws[layer].T + net.b[layer])
    return a.sum(axis=1).mean()


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_finite_differences(activation):
    st = Settings(
        depth=4,
        width=5,
        batch=3,
        activation=activation,
        init="gaussian",
        scale=1.2,
        bias_std=0.3,
        input="gaussian",
        seed=7,
        dtype="float64",
    )
    eng = Engine()
    net = eng.network(st)
    tr = eng.trace(st)
    h = 1e-6
    # dLoss/dx = g_0 / B (g is the per-sample signal).
    num = np.zeros_like(net.x)
    for idx in np.ndindex(net.x.shape):
        xp, xm = net.x.copy(), net.x.copy()
        xp[idx] += h
        xm[idx] -= h
        num[idx] = (loss(net, activation, x=xp) - loss(net, activation, x=xm)) / (2 * h)
    np.testing.assert_allclose(tr.gradients[0] / st.batch, num, rtol=1e-5, atol=1e-8)
    # dLoss/dW_l for a middle layer.
    layer = 2
    numw = np.zeros_like(net.W[layer])
    for idx in np.ndindex(numw.shape):
        Wp, Wm = net.W.copy(), net.W.copy()
        Wp[layer][idx] += h
        Wm[layer][idx] -= h
        numw[idx] = (loss(net, activation, W=Wp) - loss(net, activation, W=Wm)) / (2 * h)
    np.testing.assert_allclose(tr.weight_grads[layer], numw, rtol=1e-5, atol=1e-8)
    # The statistics are the RMS of those arrays.
    res = eng.compute(st)
    assert res.measured.weight_grad_rms[layer + 1] == pytest.approx(np.sqrt(np.mean(numw**2)), rel=1e-5)
    assert res.measured.gradient_rms[0] == pytest.approx(np.sqrt(np.mean(tr.gradients[0] ** 2)), rel=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_derivative_matches_finite_difference(activation):
    z = np.array([-30.0, -3.0, -0.7, -0.01, 0.013, 0.5, 2.0, 25.0])
    h = 1e-6
    num = (phi(activation, z + h) - phi(activation, z - h)) / (2 * h)
    np.testing.assert_allclose(dphi(activation, z), num, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_float32_fast_path_agrees_with_float64(activation):
    base = {
        "depth": 12,
        "width": 16,
        "batch": 4,
        "activation": activation,
        "init": "gaussian",
        "scale": 1.1,
        "bias_std": 0.1,
    }
    r32 = Engine().compute(Settings(**base, dtype="float32"))
    r64 = Engine().compute(Settings(**base, dtype="float64"))
    for name in ("activation_rms", "gradient_rms", "weight_grad_rms"):
        np.testing.assert_allclose(r32.column(name)[1:], r64.column(name)[1:], rtol=2e-4)


def test_extreme_values_of_activations_are_finite_or_limits():
    z = np.array([-np.inf, -1e30, -100.0, 0.0, 100.0, 1e30, np.inf], dtype=np.float32)
    for activation in ACTIVATIONS:
        p = phi(activation, z)
        d = dphi(activation, z)
        assert not np.isnan(p).any(), activation
        assert not np.isnan(d).any(), activation
