"""Residual connections and normalisation: exact forward, backward and Jacobian.

A plain numpy reference of the block (written out here, independent of the engine) gives
the loss; its central finite differences (float64) must match the engine's input and
weight gradients for every activation x {no skip, skip, scaled skip} x {none, layer, batch}.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric_checks import assert_finite_or_flagged, central_difference
from settings_strategies import networks

from depthlens.engine import ACTIVATIONS, DTYPES, Engine, Settings, SettingsError
from depthlens.engine.activations import phi
from depthlens.engine.analysis import JacobianUndefined, distributions, jacobian_spectrum
from depthlens.engine.config import NORMS
from depthlens.engine.histograms import asinh_decades
from depthlens.engine.layers import network
from depthlens.engine.norm import EPS
from depthlens.engine.propagate import forward
from depthlens.engine.weights import WeightCache, draw_readout

RESIDUALS = (("plain", 0.0, "none"), ("skip", 1.0, "none"), ("scaled", 1.5, "sqrt_depth"))


def _normalise(z, norm):
    if norm == "none":
        return z
    axis = 1 if norm == "layer" else 0
    mean = z.mean(axis=axis, keepdims=True)
    var = ((z - mean) ** 2).mean(axis=axis, keepdims=True)  # biased, as PyTorch in training mode
    return (z - mean) / np.sqrt(var + EPS)


def reference_forward(s, x, Ws, bs):
    """x_l = x_{l-1} + alpha phi(N(W x_{l-1} + b)) (alpha = 0: x_l = phi(N(z))), written out."""
    alpha = s.residual / (math.sqrt(s.depth) if s.residual_scaling == "sqrt_depth" else 1.0)
    a = x
    for W, b in zip(Ws, bs, strict=True):
        y = phi(s.activation, _normalise(a @ W.T + b, s.norm))
        a = a + alpha * y if s.residual > 0 else y
    return a


def reference_loss(s, x, Ws, bs):
    a = reference_forward(s, x, Ws, bs)
    r = np.ones_like(a) if s.loss == "sum" else draw_readout(s.seed, s.batch, s.width)
    return (r * a).sum(axis=1).mean()


def _small(activation, residual, scaling, norm, **kw):
    base = {
        "depth": 3,
        "width": 5,
        "batch": 4,
        "activation": activation,
        "init": "gaussian",
        "scale": 1.2,
        "bias_std": 0.3,
        "input": "gaussian",
        "seed": 11,
        "dtype": "float64",
        "residual": residual,
        "residual_scaling": scaling,
        "norm": norm,
    }
    base.update(kw)
    return Settings(**base)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("residual", RESIDUALS, ids=[r[0] for r in RESIDUALS])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_match_finite_differences(activation, residual, norm):
    _, alpha, scaling = residual
    s = _small(activation, alpha, scaling, norm)
    eng = Engine()
    net = eng.network(s)
    tr = eng.trace(s)
    np.testing.assert_allclose(tr.activations[-1], reference_forward(s, net.x, net.W, net.b), rtol=1e-12, atol=1e-12)
    num_x = central_difference(lambda x: reference_loss(s, x, net.W, net.b), net.x)
    np.testing.assert_allclose(tr.gradients[0] / s.batch, num_x, rtol=1e-5, atol=1e-8)
    for layer in (0, 1):

        def with_w(w, layer=layer):
            Ws = net.W.copy()
            Ws[layer] = w
            return reference_loss(s, net.x, Ws, net.b)

        num_w = central_difference(with_w, net.W[layer])
        np.testing.assert_allclose(tr.weight_grads[layer], num_w, rtol=1e-5, atol=1e-8)
    res = eng.compute(s)
    np.testing.assert_allclose(res.measured.weight_grad_rms[2], np.sqrt(np.mean(num_w**2)), rtol=1e-5)
    np.testing.assert_allclose(res.measured.gradient_rms[0], np.sqrt(np.mean(tr.gradients[0] ** 2)), rtol=1e-12)
    np.testing.assert_allclose(
        res.measured.activation_rms, [np.sqrt(np.mean(a**2)) for a in tr.activations], rtol=1e-12
    )


@pytest.mark.parametrize("norm", ("none", "layer"))
@pytest.mark.parametrize("residual", RESIDUALS, ids=[r[0] for r in RESIDUALS])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_jacobian_matches_finite_differences(activation, residual, norm):
    _, alpha, scaling = residual
    s = _small(activation, alpha, scaling, norm, batch=1, width=6, depth=4)
    if (alpha, norm) == (0.0, "none"):
        pytest.skip("the plain net's Jacobian is covered by test_jacobian.py")
    eng = Engine()
    net = eng.network(s)
    x0 = net.x[:1].copy()
    layers = network(s, eng.cache)
    J = np.eye(s.width)
    with np.errstate(all="ignore"):
        for layer, _, ctx in forward(layers, x0.copy(), weight_grad=False):
            J = layer.jvp(J, ctx)
    h = 1e-6
    num = np.zeros((s.width, s.width))
    for j in range(s.width):
        p, m = x0.copy(), x0.copy()
        p[0, j] += h
        m[0, j] -= h
        num[:, j] = (reference_forward(s, p, net.W, net.b) - reference_forward(s, m, net.W, net.b))[0] / (2 * h)
    np.testing.assert_allclose(J, num, rtol=1e-5, atol=1e-8)
    spec = jacobian_spectrum(s, cache=eng.cache)
    np.testing.assert_allclose(spec.singular_values, np.linalg.svd(num, compute_uv=False), rtol=1e-5, atol=1e-8)


def test_batch_norm_has_no_per_sample_jacobian():
    s = Settings(depth=3, width=8, batch=4, norm="batch")
    with pytest.raises(JacobianUndefined) as err:
        jacobian_spectrum(s)
    assert "per-sample Jacobian does not exist" in str(err.value) and err.value.name == "norm"


@pytest.mark.parametrize(
    ("alpha", "scale", "scaling"), [(1.0, 1.5, "none"), (0.5, 0.9, "none"), (2.0, 0.3, "sqrt_depth")]
)
def test_linear_residual_identity_closed_form(alpha, scale, scaling):
    """W = s I, linear, no norm, x = ones: x_l = (1 + alpha s)^l, g_l = (1 + alpha s)^(L - l)."""
    L = 40
    s = Settings(
        depth=L, width=3, batch=2, activation="linear", init="identity", scale=scale, input="ones",
        dtype="float64", loss="sum", residual=alpha, residual_scaling=scaling,
    )  # fmt: skip
    a = alpha / (math.sqrt(L) if scaling == "sqrt_depth" else 1.0)
    m = Engine().compute(s).measured
    layers = np.arange(L + 1)
    np.testing.assert_allclose(m.activation_rms, (1 + a * scale) ** layers, rtol=1e-13)
    np.testing.assert_allclose(m.gradient_rms, (1 + a * scale) ** (L - layers), rtol=1e-13)
    tr = Engine().trace(s)
    for l_ in (1, L // 2, L):
        np.testing.assert_allclose(tr.activations[l_], (1 + a * scale) ** l_, rtol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("residual", (0.0, 1.0))
def test_layer_norm_of_a_constant_row_is_finite(dtype, residual):
    """z = s * ones has zero variance over the units: eps keeps zhat = 0, no NaN anywhere."""
    s = Settings(
        depth=6, width=4, batch=3, activation="tanh", init="identity", scale=2.0, input="ones", dtype=dtype,
        norm="layer", residual=residual, loss="random",
    )  # fmt: skip
    m = Engine().compute(s).measured
    assert np.all(m.nonfinite_fraction == 0)
    assert np.all(np.isfinite(m.gradient_rms)) and np.all(np.isfinite(m.weight_grad_rms[1:]))
    tr = Engine().trace(s)
    # phi(0) = 0: without a skip everything after layer 0 is 0; with one, x stays the input.
    np.testing.assert_array_equal(tr.activations[-1], 0.0 if residual == 0 else 1.0)


def test_batch_norm_of_one_sample_is_zero_and_finite():
    s = Settings(depth=5, width=7, batch=1, activation="relu", norm="batch", dtype="float32")
    m = Engine().compute(s).measured
    assert np.all(m.nonfinite_fraction == 0)
    assert np.all(m.activation_rms[1:] == 0)


def test_defaults_are_the_plain_net():
    s = Settings(depth=8, width=6, batch=3, activation="gelu", bias_std=0.2)
    a = Engine().compute(s).measured
    b = Engine().compute(s.replace(residual=0.0, residual_scaling="sqrt_depth", norm="none")).measured
    for name in ("activation_rms", "gradient_rms", "weight_grad_rms"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes()
    assert type(network(s, WeightCache())[0]).__name__ == "Dense"


def test_float32_blocks_agree_with_float64():
    for activation, norm, residual in itertools.product(("relu", "tanh", "gelu"), NORMS, (0.0, 1.0)):
        base = Settings(depth=12, width=16, batch=8, activation=activation, scale=1.1, bias_std=0.1, norm=norm,
                        residual=residual, residual_scaling="sqrt_depth")  # fmt: skip
        r32 = Engine().compute(base)
        r64 = Engine().compute(base.replace(dtype="float64"))
        for name in ("activation_rms", "gradient_rms", "weight_grad_rms"):
            np.testing.assert_allclose(r32.column(name)[1:], r64.column(name)[1:], rtol=2e-3, err_msg=name)


def test_float32_layer_norm_of_huge_values_takes_its_variance_in_float64():
    """z ~ 1e25: its square overflows float32, the true variance does not; zhat stays exact."""
    s = Settings(depth=2, width=8, batch=4, activation="linear", init="gaussian", scale=1.0, norm="layer")
    z = (np.random.default_rng(0).standard_normal((4, 8)) * 1e25).astype(np.float32)
    from depthlens.engine.norm import normalise

    with np.errstate(all="ignore"):
        zhat, inv = normalise(z, 1)
    ref, _ = normalise(z.astype(np.float64), 1)
    assert zhat.dtype == np.float32 and np.all(np.isfinite(zhat)) and np.all(inv > 0)
    np.testing.assert_allclose(zhat, ref, rtol=1e-5, atol=1e-6)
    assert Engine().compute(s).measured.nonfinite_fraction.max() == 0


def test_distributions_and_spread_work_for_blocks():
    from depthlens.engine.spread import spread

    for norm, residual in itertools.product(NORMS, (0.0, 0.7)):
        s = Settings(depth=9, width=6, batch=5, activation="relu", norm=norm, residual=residual)
        tr = Engine().trace(s)
        d = distributions(s)
        # The checkpointed pass bins exactly the trace's entries, layer by layer.
        for hist, arrays in ((d.activation, tr.activations), (d.gradient, tr.gradients)):
            half = hist.counts.shape[1] // 2
            for row, arr in enumerate(arrays):
                k = np.floor(asinh_decades(arr.ravel()) * d.bins_per_decade + 0.5).astype(np.int64)
                expect = np.bincount(np.clip(k, -half, half) + half, minlength=2 * half + 1)
                np.testing.assert_array_equal(hist.counts[row], expect)
        sp = spread(s, seeds=3)
        assert sp.p50.shape == (3, s.depth + 1) and np.isfinite(sp.p50[0]).all()


# The networks test_properties draws, with any skip connection and normalisation on top.
valid_blocks = st.tuples(
    networks(40, 24, 8),
    st.floats(0.0, 2.0),
    st.sampled_from(("none", "sqrt_depth")),
    st.sampled_from(NORMS),
).map(lambda t: t[0].replace(residual=t[1], residual_scaling=t[2], norm=t[3]))

ENGINE = Engine()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_blocks)
def test_any_valid_combination_gives_finite_or_flagged_results(s):
    assert_finite_or_flagged(ENGINE.compute(s))


@pytest.mark.parametrize(
    ("name", "value"),
    [("residual", -0.1), ("residual", 2.5), ("residual", math.nan), ("residual", "1"), ("residual_scaling", "log"),
     ("norm", "group"), ("norm", None)],
)  # fmt: skip
def test_invalid_block_settings_name_the_setting(name, value):
    with pytest.raises(SettingsError) as err:
        Settings(**{name: value})
    assert err.value.name == name and name in str(err.value)
