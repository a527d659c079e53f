"""Theory of residual and normalised nets against wide networks (n = 1024, L = 30, 8 seeds).

The engine runs in two single-BLAS-thread child processes (`wide_worker.seed_mean_runs`), as in
test_theory.py. Batch norm has no line: a test prints its measured gradient growth.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from wide_worker import seed_mean_runs

from depthlens.engine import Engine, Settings
from depthlens.engine.theory import predict

WIDE = {"depth": 30, "width": 1024, "batch": 16, "input": "gaussian", "init": "gaussian", "loss": "random"}
SEEDS = 8
HE = math.sqrt(2.0)
CASES = {
    "relu residual": {"activation": "relu", "scale": HE, "residual": 1.0},
    "relu residual scaled": {"activation": "relu", "scale": HE, "residual": 1.0, "residual_scaling": "sqrt_depth"},
    "tanh residual": {"activation": "tanh", "scale": 1.0, "residual": 1.0},
    "tanh residual bias": {"activation": "tanh", "scale": 1.2, "residual": 0.5, "bias_std": 0.3},
    "tanh layer norm": {"activation": "tanh", "scale": 1.0, "norm": "layer"},
    "relu layer norm": {"activation": "relu", "scale": HE, "norm": "layer"},
    "relu residual layer norm": {"activation": "relu", "scale": HE, "norm": "layer", "residual": 1.0},
}


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """Root of the seed-mean of the squared RMS (what mean-field predicts) and the theory, per case."""
    keys = list(CASES)
    act, grad = seed_mean_runs([Settings(**WIDE, **CASES[k]) for k in keys], SEEDS, tmp_path_factory.mktemp("wide"))
    return {
        k: (
            np.sqrt(np.mean(act[i] ** 2, axis=0)),
            np.sqrt(np.mean(grad[i] ** 2, axis=0)),
            predict(Settings(**WIDE, **CASES[k])),
        )
        for i, k in enumerate(keys)
    }


def _worst(measured, line):
    r = measured / line
    return float(r[np.argmax(np.abs(r - 1))])


@pytest.mark.parametrize(
    "case", ["relu residual scaled", "tanh residual", "tanh residual bias", "relu residual layer norm"]
)
def test_residual_nets_follow_the_recursion_within_10_percent(wide, case):
    act, grad, th = wide[case]
    assert th.kind == "mean-field"
    worst_a, worst_g = _worst(act, th.activation_rms), _worst(grad, th.gradient_rms)
    print(f"{case}: worst activation ratio {worst_a:.3f}, gradient {worst_g:.3f}")
    np.testing.assert_allclose(act, th.activation_rms, rtol=0.10)
    np.testing.assert_allclose(grad, th.gradient_rms, rtol=0.10)


def test_unscaled_relu_residual_forward_follows_the_recursion_and_gradients_sit_above(wide):
    """The forward pass with the mean term: x2.9 per layer in second moment, not the x2 without it.

    The gradient line (x2 per layer) is a lower bound here: the net is positively homogeneous, so
    g_l . x_l = r . x_L in every sample, a component along x_l of size |x_L| / |x_l| that grows at
    the forward rate (2.9 > 2) and that the mean-field recursion ignores.
    """
    act, grad, th = wide["relu residual"]
    print(f"relu residual: worst activation ratio {_worst(act, th.activation_rms):.3f}, gradient at layer 0 "
          f"{grad[0] / th.gradient_rms[0]:.2f}x the line")  # fmt: skip
    np.testing.assert_allclose(act, th.activation_rms, rtol=0.10)
    growth = (th.activation_rms[-1] / th.activation_rms[-2]) ** 2
    assert 2.8 < growth < 3.0  # not the 2 of the recursion without the mean term
    assert np.all(grad[:-1] >= 0.9 * th.gradient_rms[:-1]) and grad[0] > 3 * th.gradient_rms[0]


@pytest.mark.parametrize("case", ["tanh layer norm", "relu layer norm"])
def test_layer_norm_forward_is_flat_and_gradients_follow_the_derived_factor(wide, case):
    act, grad, th = wide[case]
    print(f"{case}: forward max/min over layers 1..L {act[1:].max() / act[1:].min():.4f}, "
          f"gradient worst ratio {_worst(grad, th.gradient_rms):.3f}, chi {th.chi[-1]:.4f}")  # fmt: skip
    np.testing.assert_allclose(act[1:], act[1], rtol=0.05)  # flat
    np.testing.assert_allclose(th.activation_rms[2:], th.activation_rms[2], rtol=1e-6)
    np.testing.assert_allclose(act, th.activation_rms, rtol=0.05)
    np.testing.assert_allclose(grad, th.gradient_rms, rtol=0.10)


def test_layer_norm_gradient_factor_closed_forms():
    # ReLU, no bias: the net is scale-invariant, chi = s^2 (1/2) / (s^2 (1/2)) = 1 (up to eps).
    th = predict(Settings(depth=10, activation="relu", scale=3.0, norm="layer"))
    assert th.chi[5] == pytest.approx(1.0, rel=1e-4)
    # tanh: chi = E[tanh'(u)^2] / E[tanh(u)^2] at unit variance (chaotic, > 1).
    th = predict(Settings(depth=10, activation="tanh", scale=0.7, norm="layer"))
    assert th.chi[5] == pytest.approx(0.46440 / 0.39429, rel=1e-3)


def test_residual_linear_recursion_closed_form():
    # linear, gaussian init: p_l = (1 + alpha^2 s^2)^l p_0 and G factor 1 + alpha^2 s^2.
    th = predict(Settings(depth=20, activation="linear", scale=0.8, residual=0.5))
    np.testing.assert_allclose(th.activation_rms, (1 + 0.25 * 0.64) ** (np.arange(21) / 2), rtol=1e-12)
    np.testing.assert_allclose(th.gradient_rms, (1 + 0.25 * 0.64) ** ((20 - np.arange(21)) / 2), rtol=1e-12)


def test_regimes_are_named():
    base = Settings(depth=152, activation="relu", scale=HE, residual=1.0)
    assert predict(base).regime.startswith("explodes")
    # 1/sqrt(L) bounds the branches' variance, not a ReLU branch's summed mean: exp(c sqrt(L)).
    assert predict(base.replace(residual_scaling="sqrt_depth")).regime.startswith("grows like exp(c·√L)")
    logs = [math.log(predict(base.replace(residual_scaling="sqrt_depth", depth=d)).activation_rms[-1])
            for d in (38, 152, 608)]  # fmt: skip
    assert 1.9 < logs[1] / logs[0] < 2.4 and 1.9 < logs[2] / logs[1] < 2.3  # x2 per x4 in depth
    tanh = base.replace(activation="tanh", scale=1.0, residual_scaling="sqrt_depth")
    assert predict(tanh).regime.startswith("bounded")
    bounded = [predict(tanh.replace(depth=d)).activation_rms[-1] for d in (38, 152, 608)]
    assert max(bounded) / min(bounded) < 1.01
    assert predict(tanh.replace(activation="relu", norm="layer")).regime.startswith("polynomial")
    assert predict(base.replace(activation="tanh", scale=1.0)).regime.startswith("polynomial")
    assert predict(base.replace(norm="layer")).regime.startswith("polynomial")
    bn = predict(base.replace(norm="batch", residual=0.0))
    assert not bn.defined and "Yang et al. 2019" in bn.note
    assert not predict(base.replace(init="identity", norm="layer")).defined


def test_batch_norm_gradient_growth_is_printed(capsys):
    """Measured per-layer gradient growth of deep batch-norm nets at n = 1024, B = 128 (no line to compare)."""
    eng = Engine()
    rates = {}
    for activation, scale in (("linear", 1.0), ("relu", HE)):
        s = Settings(depth=50, width=1024, batch=128, activation=activation, scale=scale, norm="batch", seed=0)
        m = eng.compute(s).measured
        rates[activation] = (m.gradient_rms[0] / m.gradient_rms[40]) ** (1 / 40)
        # The forward signal is pinned: every unit has mean 0 and variance 1 over the batch.
        expect = 1.0 if activation == "linear" else math.sqrt(0.5)
        np.testing.assert_allclose(m.activation_rms[1:], expect, rtol=0.02)
        eng.cache.clear()
    with capsys.disabled():
        print(f"\nbatch norm, n = 1024, B = 128, L = 50: gradient RMS growth per layer (layers 40 -> 0): "
              f"linear {rates['linear']:.4f}, relu {rates['relu']:.4f}")  # fmt: skip
    assert rates["relu"] > 1.1  # explodes (Yang et al. 2019)
