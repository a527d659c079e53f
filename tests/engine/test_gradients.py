"""Backward pass against central finite differences of the loss (both losses), for every activation."""

from __future__ import annotations

import numpy as np
import pytest
from numeric_checks import central_difference

from depthlens.engine import ACTIVATIONS, LOSSES, Engine, Settings
from depthlens.engine.activations import dphi, phi
from depthlens.engine.weights import draw_readout


def loss(net, activation, x=None, W=None):
    """The loss as defined, written out: mean over samples of sum_i r_bi a_L,bi."""
    a = net.x if x is None else x
    Ws = net.W if W is None else W
    for layer in range(Ws.shape[0]):
        a = phi(activation, a @ Ws[layer].T + net.b[layer])
    s = net.settings
    r = np.ones_like(a) if s.loss == "sum" else draw_readout(s.seed, s.batch, s.width)
    return (r * a).sum(axis=1).mean()


def numeric_input_grad(net, activation, h=1e-6):
    """dLoss/dx by central differences of `loss`."""
    return central_difference(lambda x: loss(net, activation, x=x), net.x, h)


def numeric_weight_grad(net, activation, layer, h=1e-6):
    """dLoss/dW of 0-based `layer` by central differences of `loss`."""

    def with_w(w):
        Ws = net.W.copy()
        Ws[layer] = w
        return loss(net, activation, W=Ws)

    return central_difference(with_w, net.W[layer], h)


@pytest.mark.parametrize("loss_kind", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_finite_differences(activation, loss_kind):
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
        loss=loss_kind,
    )
    eng = Engine()
    net = eng.network(st)
    tr = eng.trace(st)
    # The backward pass starts from g_L = r, and the NPZ's output_grad is that r.
    np.testing.assert_array_equal(tr.gradients[-1], net.output_grad)
    # dLoss/dx = g_0 / B (g is the per-sample signal).
    num = numeric_input_grad(net, activation)
    np.testing.assert_allclose(tr.gradients[0] / st.batch, num, rtol=1e-5, atol=1e-8)
    # dLoss/dW_l for a middle layer.
    layer = 2
    numw = numeric_weight_grad(net, activation, layer)
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


def test_random_readout_rows_have_unit_rms_and_are_prefix_stable_in_batch():
    r = draw_readout(3, 9, 40)
    np.testing.assert_allclose(np.sqrt(np.mean(r**2, axis=1)), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(draw_readout(3, 4, 40), r[:4])
    assert not np.array_equal(draw_readout(4, 4, 40), r[:4])  # a new seed is a new readout
    assert not np.array_equal(draw_readout(3, 4, 41)[:, :40], r[:4])  # and so is a new width
    # independent of the input drawn from the same seed
    from depthlens.engine.weights import draw_input

    x = draw_input("gaussian", 3, 9, 40)
    assert abs(np.corrcoef(x.ravel(), r.ravel())[0, 1]) < 0.2
    # the engine starts from it, in the settings' dtype, for any batch
    s = Settings(depth=2, width=40, batch=9, seed=3, loss="random", dtype="float32")
    g = Engine().trace(s).gradients[-1]
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, r.astype(np.float32))
    g4 = Engine().trace(s.replace(batch=4)).gradients[-1]
    np.testing.assert_array_equal(g4, g[:4])
    ones = Engine().trace(s.replace(loss="sum")).gradients[-1]
    assert np.all(ones == 1)


def test_width_one_readout_is_plus_or_minus_one():
    r = draw_readout(0, 50, 1)
    assert set(np.unique(np.abs(r))) == {1.0}
