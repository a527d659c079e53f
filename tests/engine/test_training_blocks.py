"""Training residual and normalised networks: the loss falls, and they start from the chart's weights.

Their exact gradients: tests/engine/test_training_gradients.py.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from depthlens.engine import Settings
from depthlens.engine.layers import network
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.training import Trainer
from depthlens.engine.weights import WeightCache


def _small(**kw) -> Settings:
    base = {"depth": 3, "width": 5, "batch": 7, "activation": "tanh", "init": "gaussian"}
    base |= {"scale": 1.3, "bias_std": 0.2, "dtype": "float64", "seed": 3}
    base.update(kw)
    return Settings(**base)


def test_sgd_steps_reduce_the_loss_of_a_residual_layernorm_net() -> None:
    # With a bias: a sample whose ReLUs are all off would give layer norm a row of equal z
    # (b = 0), where its exact gradient is 1/sqrt(eps) per layer, as in PyTorch.
    net = {"depth": 8, "width": 16, "batch": 64, "activation": "relu", "scale": 1.4}
    s = _small(**net, residual=1.0, residual_scaling="sqrt_depth", norm="layer")
    t = Trainer(s, TrainConfig(task="spirals", optimizer="sgd", lr=0.1, momentum=0.9))
    first = t.evaluate()[0]
    losses = [c.loss for c in t.run(30, chunk=5)]
    assert t.diverged is None
    assert all(b < a for a, b in itertools.pairwise(losses)), losses
    assert t.evaluate()[0] < first - 0.1
    assert np.isfinite(t.params()[0]).all()


@pytest.mark.parametrize("kw", [{"residual": 1.0}, {"norm": "batch", "init": "identity", "scale": 0.9}])
def test_training_starts_from_the_charts_weights(kw: dict) -> None:
    s = _small(**kw)
    chart = network(s, WeightCache())
    t = Trainer(s)
    w0, b0 = t.initial_params()
    for i, lay in enumerate(chart):
        w, b = lay.params()
        np.testing.assert_array_equal(w0[i], w)
        np.testing.assert_array_equal(b0[i], b)
    # And the first forward pass is the chart's: the same output activations.
    a = t.x
    with np.errstate(all="ignore"):
        for lay in chart:
            a, _ = lay.forward(a)
    t.step_once(lr=0.0)
    m = t.measured()
    assert m is not None
    assert m.activation_rms[-1] == pytest.approx(float(np.sqrt(np.mean(a * a))), rel=1e-12)
