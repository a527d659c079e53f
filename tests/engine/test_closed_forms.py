"""The engine against closed forms: the lecture's identity nets and orthogonal linear nets."""

from __future__ import annotations

import numpy as np
import pytest

from depthlens.engine import LOSSES, PRESETS, Engine, Settings, drive
from depthlens.engine.propagate import run_steps
from depthlens.engine.weights import WeightCache

# The lecture's net (W = s*I, linear, inputs of ones, L = 50, n = 2, B = 1, float64): the preset's,
# with the default loss (the random readout) unless a test names one.
LECTURE = PRESETS["lecture-explode"].settings.replace(loss=Settings().loss)


def test_the_lecture_net_is_the_closed_forms_net():
    s = LECTURE
    assert (s.init, s.activation, s.input, s.batch, s.dtype) == ("identity", "linear", "ones", 1, "float64")
    assert (s.depth, s.width, s.scale) == (50, 2, 1.5)
    assert s.plain and s.bias_std == 0


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("s", [1.5, 0.5, 0.9])
def test_lecture_identity_net_is_exact(s, loss):
    # Both losses: g_L = 1 (sum) or a readout with RMS exactly 1 (random), so
    # gradient_rms_l = s^(L-l) and, with B = 1, weight_grad_rms = s^(L-1) in both.
    L = 50
    res = Engine().compute(LECTURE.replace(scale=s, loss=loss))
    layers = np.arange(L + 1)
    act = s**layers
    grad = s ** (L - layers)
    np.testing.assert_allclose(res.measured.activation_rms, act, rtol=1e-12)
    np.testing.assert_allclose(res.measured.activation_max_abs, act, rtol=1e-12)
    np.testing.assert_allclose(res.measured.gradient_rms, grad, rtol=1e-12)
    # dLoss/dW_l entries = g_l * a_{l-1} = s^(L-l) * s^(l-1) = s^(L-1) for every layer.
    np.testing.assert_allclose(res.measured.weight_grad_rms[1:], s ** (L - 1), rtol=1e-12)
    assert np.isnan(res.measured.weight_grad_rms[0])
    assert np.all(res.measured.inactive_fraction[1:] == 0)
    assert np.all(res.measured.nonfinite_fraction == 0)
    # The exact theory coincides.
    np.testing.assert_allclose(res.theory.activation_rms, act, rtol=1e-12)
    np.testing.assert_allclose(res.theory.gradient_rms, grad, rtol=1e-12)


def test_reference_numbers():
    res = Engine().compute(PRESETS["lecture-explode"].settings)
    a = res.measured.activation_rms
    assert a[49] == pytest.approx(1.5**49, rel=1e-12)
    assert a[50] == pytest.approx(1.5**50, rel=1e-12)
    assert f"{a[49]:.2f}" == "425081000.14" and f"{a[50]:.2f}" == "637621500.21"
    ten = Engine().compute(LECTURE.replace(depth=10, scale=1.5))
    assert ten.measured.activation_rms[9] == 38.443359375  # 1.5^9 is exact in binary
    half = Engine().compute(LECTURE.replace(depth=10, scale=0.5))
    assert half.measured.activation_rms[9] == 0.001953125
    vanish = Engine().compute(PRESETS["lecture-vanish"].settings)
    assert vanish.measured.activation_rms[50] == 8.881784197001252e-16


def test_float32_overflows_exactly_at_219():
    res = Engine().compute(LECTURE.replace(depth=300, dtype="float32", scale=1.5))
    a = res.measured.activation_rms
    assert np.isfinite(a[218]) and a[218] == pytest.approx(1.5**218, rel=1e-5)
    assert np.isinf(a[219])
    assert res.first_nonfinite_layer() == 219
    # g_l = 1.5^(300-l) overflows for 300 - l >= 219, i.e. rows 0..81.
    assert res.first_nonfinite_layer("gradient") == 81
    assert res.measured.nonfinite_fraction[219] > 0
    assert res.measured.activation_nonfinite[218] == 0 and res.measured.gradient_nonfinite[218] == 0
    # Every weight-gradient entry is 1.5^299 = inf in float32: counted too (all n*n of them).
    n, B = res.settings.width, res.settings.batch
    assert np.isinf(res.measured.weight_grad_rms[218])
    assert res.measured.nonfinite_fraction[218] == n * n / (2 * B * n + n * n)


@pytest.mark.parametrize("s", [0.7, 1.0, 1.3])
def test_orthogonal_linear_preserves_every_sample_norm(s):
    st = Settings(init="orthogonal", activation="linear", depth=30, width=32, batch=8, scale=s, dtype="float64")
    tr = Engine().trace(st)
    n0 = np.linalg.norm(tr.activations[0], axis=1)
    for layer, a in enumerate(tr.activations):
        np.testing.assert_allclose(np.linalg.norm(a, axis=1), n0 * s**layer, rtol=1e-10)


def test_tiny_and_huge_values_are_not_lost_to_float32_squares():
    # 0.5^140 ~ 7e-43: its square underflows float32, the RMS must not read 0.
    st = LECTURE.replace(depth=140, dtype="float32", scale=0.5)
    res = Engine().compute(st)
    assert res.measured.activation_rms[120] == pytest.approx(0.5**120, rel=1e-6)
    # 1.5^150 ~ 3.5e26: its square overflows float32 but the value does not.
    st = LECTURE.replace(depth=150, dtype="float32", scale=1.5)
    res = Engine().compute(st)
    assert res.measured.activation_rms[150] == pytest.approx(1.5**150, rel=1e-5)
    assert res.measured.nonfinite_fraction[150] == 0


def test_network_parameters_match_the_pass():
    st = Settings(
        depth=5, width=6, batch=3, activation="tanh", init="gaussian", scale=1.3, bias_std=0.2, dtype="float64"
    )
    eng = Engine()
    net = eng.network(st)
    a = net.x
    for layer in range(5):
        a = np.tanh(a @ net.W[layer].T + net.b[layer])
    res = eng.compute(st)
    assert res.measured.activation_rms[5] == pytest.approx(np.sqrt(np.mean(a**2)), rel=1e-12)


def test_run_checks_cancel_and_reports_progress():
    from depthlens.engine import Cancelled

    seen = []
    st = Settings(depth=20, width=8, batch=2)
    drive(run_steps(st, WeightCache()), progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 40
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(Cancelled):
        drive(run_steps(st, WeightCache()), cancel=cancel)
    assert len(calls) == 6


def test_lecture_presets_use_the_sum_loss():
    for name in ("lecture-explode", "lecture-vanish", "lecture-0.9"):
        assert PRESETS[name].settings.loss == "sum"
    assert Settings().loss == "random"
    assert PRESETS["he-relu"].settings.loss == "random"
