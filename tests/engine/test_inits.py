"""The `zeros` and `uniform` inits against closed forms and central finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_gradients import numeric_input_grad, numeric_weight_grad

from depthlens.engine import ACTIVATIONS, LOSSES, PRESETS, Engine, Settings
from depthlens.engine.activations import phi
from depthlens.engine.theory import mean_field, predict
from depthlens.engine.weights import draw_matrix


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_zeros_every_unit_equal_and_gradients_vanish_below_the_top(activation):
    s = Settings(depth=6, width=7, batch=3, activation=activation, init="zeros", scale=2.0, dtype="float64")
    eng = Engine()
    tr = eng.trace(s)
    level = abs(float(phi(activation, np.zeros(1))[0]))
    for a in tr.activations[1:]:
        # W = 0: every unit of every sample is phi(0), whatever the input and the scale.
        np.testing.assert_array_equal(a, np.full_like(a, phi(activation, np.zeros(1))[0]))
    for g in tr.gradients[:-1]:
        np.testing.assert_array_equal(g, 0.0)  # exactly: g_{l-1} = delta W = 0
    res = eng.compute(s)
    m = res.measured
    np.testing.assert_array_equal(m.activation_rms[1:], level)
    np.testing.assert_array_equal(m.gradient_rms[:-1], 0.0)
    assert m.gradient_rms[-1] == pytest.approx(1.0, rel=1e-12)
    # dLoss/dW_l = delta_l^T a_{l-1} / B: zero below the top; at the top |phi(0)| * mean |delta|.
    np.testing.assert_array_equal(m.weight_grad_rms[1:-1], 0.0)
    assert (m.weight_grad_rms[-1] > 0) == (level > 0)
    # The theory line is that closed form, and says so.
    th = res.theory
    assert th.kind == "exact" and "W = 0" in th.note
    np.testing.assert_array_equal(th.activation_rms[1:], level)
    np.testing.assert_array_equal(th.gradient_rms, [0.0] * s.depth + [1.0])


def test_zeros_with_a_bias_every_unit_is_phi_of_its_bias():
    s = Settings(depth=4, width=1024, batch=2, activation="tanh", init="zeros", bias_std=0.5, dtype="float64")
    eng = Engine()
    tr = eng.trace(s)
    for layer in range(1, s.depth + 1):
        _, b = eng.layer_params(s, layer)
        np.testing.assert_array_equal(tr.activations[layer], np.tanh(np.broadcast_to(b, (2, 1024))))
    th = predict(s)
    assert th.kind == "mean-field"
    # Over 1024 units the RMS of tanh(b) is within sampling error of sqrt(E[tanh(0.5 u)^2]).
    measured = eng.compute(s).measured.activation_rms[1:]
    np.testing.assert_allclose(measured, th.activation_rms[1:], rtol=0.08)


def test_uniform_matrix_has_variance_s2_over_n_and_the_right_support():
    n = 1024
    w = draw_matrix("uniform", 3, n, 1)
    half = math.sqrt(3.0 / n)
    assert np.all(np.abs(w) <= half) and np.abs(w).max() > 0.999 * half
    # Var(W_ij) = half^2 / 3 = 1/n; the sample variance of N = n^2 entries has relative
    # standard error sqrt((E w^4 / (E w^2)^2 - 1) / N) = sqrt(0.8 / N) ~ 0.09 %: allow 5 of them.
    rel_se = math.sqrt(0.8 / w.size)
    assert abs(np.mean(w**2) * n - 1.0) < 5 * rel_se
    assert abs(np.mean(w)) < 5 * math.sqrt(1.0 / n / w.size)
    # Scaled by s in the network: the weights as used have variance s^2/n.
    s = Settings(depth=1, width=n, batch=1, init="uniform", scale=1.0 / math.sqrt(3.0), dtype="float64")
    used, _ = Engine().layer_params(s, 1)
    assert np.abs(used).max() <= 1.0 / math.sqrt(n)  # Glorot & Bengio's U[-1/sqrt(n), 1/sqrt(n)]
    assert abs(np.mean(used**2) / (1.0 / (3 * n)) - 1.0) < 5 * rel_se


def test_uniform_follows_the_same_mean_field_line_as_gaussian():
    s = Settings(depth=20, width=1024, batch=64, activation="tanh", init="uniform", scale=1.0, dtype="float64")
    res = Engine().compute(s)
    ref = mean_field("tanh", 1.0, 0.0, 20)
    np.testing.assert_array_equal(res.theory.activation_rms, ref.activation_rms)
    np.testing.assert_allclose(res.measured.activation_rms, ref.activation_rms, rtol=0.05)
    np.testing.assert_allclose(res.measured.gradient_rms, ref.gradient_rms, rtol=0.1)


@pytest.mark.parametrize("loss_kind", LOSSES)
@pytest.mark.parametrize(("init", "activation"), [("uniform", "tanh"), ("uniform", "relu"), ("zeros", "sigmoid")])
def test_new_inits_match_central_finite_differences(init, activation, loss_kind):
    st = Settings(
        depth=4,
        width=5,
        batch=3,
        activation=activation,
        init=init,
        scale=1.2,
        bias_std=0.3,
        seed=5,
        dtype="float64",
        loss=loss_kind,
    )
    eng = Engine()
    net = eng.network(st)
    tr = eng.trace(st)
    np.testing.assert_allclose(tr.gradients[0] / st.batch, numeric_input_grad(net, activation), rtol=1e-5, atol=1e-9)
    for layer in (1, st.depth - 1):  # a middle layer and the top one
        numw = numeric_weight_grad(net, activation, layer)
        np.testing.assert_allclose(tr.weight_grads[layer], numw, rtol=1e-5, atol=1e-9)
    if init == "zeros":  # the top layer's weight gradient is real, the others exactly 0
        assert np.abs(tr.weight_grads[-1]).max() > 1e-3 and not tr.weight_grads[1].any()


def _close_to_printed(measured: float, printed: float) -> bool:
    """Within half a unit of the printed number's last digit, or 1 % (sampling at n = 500)."""
    digits = len(f"{printed:.10g}".split("e")[0].replace(".", "").lstrip("0"))
    unit = 10.0 ** (math.floor(math.log10(printed)) - digits + 1)
    return abs(measured - printed) <= max(0.5 * unit, 0.01 * printed)


@pytest.mark.parametrize(
    ("name", "layers", "printed"),
    [
        ("cs231n-small", (1, 2, 3, 4, 5), (0.213, 0.048, 0.011, 0.0024, 0.00053)),
        ("cs231n-xavier", (1, 2, 3, 10), (0.628, 0.487, 0.408, 0.228)),
    ],
)
def test_cs231n_presets_reproduce_the_lecture_table(name, layers, printed):
    s = PRESETS[name].settings
    assert (s.width, s.batch, s.depth, s.activation) == (500, 512, 10, "tanh")
    rms = Engine().compute(s).measured.activation_rms
    for layer, value in zip(layers, printed, strict=True):
        assert _close_to_printed(float(rms[layer]), value), (layer, float(rms[layer]), value)


def test_cs231n_randn_is_unit_gaussian_weights_and_saturates():
    s = PRESETS["cs231n-randn"].settings
    w, _ = Engine().layer_params(s, 1)
    assert np.std(w) == pytest.approx(1.0, rel=0.01)  # N(0, 1): sigma_w = s / sqrt(n) = 1
    res = Engine().compute(s)
    assert np.all(res.measured.activation_rms[1:] > 0.95)  # stuck near +-1
    assert np.all(res.measured.inactive_fraction[1:] > 0.8)
    assert np.all(np.diff(res.measured.gradient_rms) < 0)  # chi ~ 12 > 1: they grow backwards


def test_glorot_standard_gradients_shrink_towards_the_input():
    s = PRESETS["glorot-standard-tanh"].settings
    assert (s.depth, s.width, s.init, s.activation) == (5, 1000, "uniform", "tanh")
    assert s.scale == pytest.approx(1.0 / math.sqrt(3.0))
    g = Engine().compute(s).measured.gradient_rms
    assert np.all(np.diff(g) > 0) and g[0] < 0.1 * g[-1]


def test_new_inits_in_csv_npz_and_sessions(tmp_path):
    from depthlens.engine.export import csv_text, write_network_npz

    for init in ("uniform", "zeros"):
        s = Settings(depth=3, width=4, batch=2, init=init, scale=0.5)
        assert Settings.from_dict(s.to_dict()) == s  # sessions store to_dict()
        eng = Engine()
        assert f"init={init}" in csv_text(eng.compute(s)).splitlines()[1]
        path = tmp_path / f"{init}.npz"
        write_network_npz(eng, s, path)
        with np.load(path, allow_pickle=False) as z:
            w = z["W"]
            assert f'"init": "{init}"' in str(z["config"])
        if init == "zeros":
            assert not w.any()
        else:
            assert np.abs(w).max() <= 0.5 * math.sqrt(3 / 4) + 1e-7 and w.std() > 0


def test_network_bytes_counts_what_is_drawn_into_the_cache():
    from depthlens.engine import Engine, Settings
    from depthlens.engine.weights import WeightCache, network_bytes

    for init, bias in (("gaussian", 0.0), ("orthogonal", 0.1), ("uniform", 0.0), ("identity", 0.0), ("zeros", 0.2)):
        s = Settings(depth=7, width=12, batch=3, init=init, bias_std=bias, dtype="float32")
        e = Engine()
        e.compute(s)
        assert e.cache.nbytes == network_bytes(s), init
        assert e.cache.fits(s) and not WeightCache(network_bytes(s) - 1).fits(s)
