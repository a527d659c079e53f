"""Layer kinds and the one propagation loop: jvp, backward and weight gradients, and a new kind added from outside."""

from __future__ import annotations

import numpy as np
import pytest
from numeric_checks import central_difference

from depthlens.engine import ACTIVATIONS, INITS, Engine, Settings
from depthlens.engine.activations import dphi
from depthlens.engine.cost import LAYER_OVERHEAD, work_units
from depthlens.engine.layers import KINDS, Dense, ScaledIdentity, WeightGrad, Zeros, layer, network
from depthlens.engine.propagate import backward, forward, input_batch
from depthlens.engine.weights import WeightCache


def _settings(activation="tanh", init="gaussian", **kw):
    base = {"depth": 4, "width": 5, "batch": 3, "scale": 1.3, "bias_std": 0.2, "dtype": "float64", "seed": 2}
    return Settings(activation=activation, init=init, **{**base, **kw})


def test_every_init_has_a_layer_kind():
    assert set(KINDS) == set(INITS)
    assert KINDS["identity"] is ScaledIdentity
    assert KINDS["gaussian"] is KINDS["orthogonal"] is KINDS["uniform"] is Dense
    assert KINDS["zeros"] is Zeros


def test_identity_kind_draws_no_matrix():
    eng = Engine()
    eng.compute(_settings(init="identity", bias_std=0.0, depth=30))
    assert eng.cache.draws == 0
    w, b = eng.layer_params(_settings(init="identity"), 2)
    np.testing.assert_array_equal(w, np.eye(5) * 1.3)
    assert b.shape == (5,) and np.all(b != 0)  # the bias is drawn, the matrix is not


def _forward_fn(lay):
    def f(a):
        with np.errstate(all="ignore"):
            return lay.forward(a.copy())[0]

    return f


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_jvp_and_backward_match_finite_differences(activation, init):
    s = _settings(activation, init)
    lay = layer(s, WeightCache(), 2)
    a = input_batch(s)[:1].copy()
    f = _forward_fn(lay)
    h = 1e-6
    num = np.empty((s.width, s.width))
    for j in range(s.width):
        e = np.zeros_like(a)
        e[0, j] = h
        num[:, j] = (f(a + e) - f(a - e))[0] / (2 * h)
    with np.errstate(all="ignore"):
        _, ctx = lay.forward(a.copy())
        J = lay.jvp(np.eye(s.width), ctx)
    np.testing.assert_allclose(J, num, rtol=1e-5, atol=1e-8)
    # backward is the transpose: g_in = J^T g for one sample
    g = np.arange(1.0, s.width + 1)[None, :]
    g_in, grad = lay.backward(g.copy(), ctx, keep=True)
    np.testing.assert_allclose(g_in[0], J.T @ g[0], rtol=1e-12, atol=1e-14)
    assert isinstance(grad, WeightGrad) and grad.array is not None
    # dLoss/dW = (g * phi'(z))^T a, with z recomputed from the layer's parameters as used
    w, b = lay.params()
    delta = g[0] * dphi(activation, a[0] @ w.T + b)
    np.testing.assert_allclose(grad.array, np.outer(delta, a[0]), rtol=1e-12, atol=1e-14)
    assert grad.rms == pytest.approx(np.sqrt(np.mean(grad.array**2)), rel=1e-12)
    assert grad.entries == s.width * s.width and grad.nonfinite == 0


def test_weight_gradient_statistics_count_nonfinite_entries():
    s = _settings("linear", "gaussian", bias_std=0.0)
    lay = layer(s, WeightCache(), 1)
    a = input_batch(s)
    _, ctx = lay.forward(a.copy())
    g = np.ones((s.batch, s.width))
    g[0, 0] = np.inf
    with np.errstate(all="ignore"):
        _, grad = lay.backward(g, ctx)
    assert grad is not None and grad.array is None  # statistics only, without keep
    assert grad.nonfinite == s.width  # row 0 of dLoss/dW: inf * a_j (a_j != 0)
    assert grad.rms == np.inf


def test_without_weight_grad_the_context_keeps_no_input():
    s = _settings()
    lay = layer(s, WeightCache(), 1)
    with np.errstate(all="ignore"):
        _, ctx = lay.forward(input_batch(s), weight_grad=False)
        g, grad = lay.backward(np.ones((s.batch, s.width)), ctx, weight_grad=False)
    assert ctx[0] is None and grad is None and g.shape == (s.batch, s.width)


def test_work_units_come_from_the_layer_kind():
    for init, per in (("identity", lambda B, n: 6.0 * B * n), ("gaussian", lambda B, n: 3.0 * B * n * n)):
        s = _settings(init=init, depth=7, width=16, batch=4)
        assert work_units(s) == 7 * (per(4, 16) + 8.0 * 4 * 16 + LAYER_OVERHEAD)


class Residual:
    """a + inner(a): a layer kind written outside the engine, to show the loop needs nothing else."""

    def __init__(self, inner):
        self.inner = inner
        self.index = inner.index

    @property
    def nonneg(self):
        return False

    def forward(self, a, out=None, d_out=None, *, weight_grad=True):
        y, ctx = self.inner.forward(a, None, d_out, weight_grad=weight_grad)
        return a + y, ctx

    def backward(self, g, ctx, *, keep=False, weight_grad=True, out=None, dw_out=None):
        g_inner, grad = self.inner.backward(g.copy(), ctx, keep=keep, weight_grad=weight_grad, dw_out=dw_out)
        return g + g_inner, grad

    def jvp(self, J, ctx):
        return J + self.inner.jvp(J.copy(), ctx)

    def inactive(self, ctx):
        return self.inner.inactive(ctx)

    def derivative(self, ctx):
        return self.inner.derivative(ctx)

    def params(self):
        return self.inner.params()


def test_a_residual_kind_runs_through_the_one_loop():
    s = _settings("tanh", "gaussian", depth=6, scale=0.8)
    net = [Residual(lay) for lay in network(s, WeightCache())]
    x = input_batch(s)

    def loss(x0):
        with np.errstate(all="ignore"):
            outputs = [a for _, a, _ in forward(net, x0.copy())]
        return outputs[-1].sum()

    with np.errstate(all="ignore"):
        ctxs = [ctx for _, _, ctx in forward(net, x.copy())]
        grads = list(backward(net, ctxs, np.ones((s.batch, s.width))))
    g0 = grads[-1][0]
    np.testing.assert_allclose(g0, central_difference(loss, x), rtol=1e-6, atol=1e-9)
    assert all(grad is not None and grad.entries == s.width**2 for _, grad in grads)
