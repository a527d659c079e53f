"""The training gradient equals central finite differences of the loss (float64, every activation, both tasks)."""

from __future__ import annotations

import numpy as np
import pytest

from depthlens.engine import ACTIVATIONS, Settings
from depthlens.engine.layers import network
from depthlens.engine.residual import Block
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.training import Trainer
from depthlens.engine.weights import WeightCache

EPS = 1e-6


def _small(activation: str, **kw) -> Settings:
    base = {"depth": 3, "width": 5, "batch": 7, "activation": activation, "init": "gaussian"}
    base |= {"scale": 1.3, "bias_std": 0.2}
    base.update(kw)
    return Settings(dtype="float64", seed=3, **base)


def _fd_check(t: Trainer, entries: int = 6) -> None:
    _, grads = t.gradients()
    rng = np.random.default_rng(0)
    for lay, (dw, db) in zip(t.layers, grads, strict=True):
        for arr, grad in ((lay.w, dw), (lay.b, db)):
            flat, gflat = arr.reshape(-1), grad.reshape(-1)
            for j in rng.choice(flat.size, size=min(entries, flat.size), replace=False):
                keep = flat[j]
                flat[j] = keep + EPS
                up = t.evaluate()[0]
                flat[j] = keep - EPS
                down = t.evaluate()[0]
                flat[j] = keep
                fd = (up - down) / (2 * EPS)
                assert gflat[j] == pytest.approx(fd, rel=1e-5, abs=1e-9), (lay.index, j)


@pytest.mark.parametrize("task", ["spirals", "teacher"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_matches_finite_differences(activation: str, task: str) -> None:
    t = Trainer(_small(activation), TrainConfig(task=task, noise=0.1))
    _fd_check(t)


@pytest.mark.parametrize("init", ["identity", "orthogonal"])
def test_gradient_other_inits_and_after_training(init: str) -> None:
    t = Trainer(_small("tanh", init=init, scale=0.9), TrainConfig(task="spirals", lr=0.05))
    for _ in t.run(5, chunk=5):
        pass
    _fd_check(t)


def test_gradients_are_nonzero_and_loss_is_ln2_untrained() -> None:
    # A vanishing net's output is ~0, so softplus(-y * 0) = ln 2.
    t = Trainer(Settings(depth=10, width=16, batch=20, activation="relu", scale=0.1, dtype="float64"))
    loss, grads = t.gradients()
    assert loss == pytest.approx(np.log(2.0), abs=1e-6)
    assert all(np.abs(dw).max() > 0 for dw, _ in grads[-3:])


@pytest.mark.parametrize("init", ["identity", "gaussian", "orthogonal"])
def test_training_starts_from_the_charts_parameters(init: str) -> None:
    s = Settings(depth=4, width=6, batch=3, init=init, scale=1.5, bias_std=0.3, dtype="float32")
    cache = WeightCache()
    w0, b0 = Trainer(s, cache=cache).initial_params()
    for i, lay in enumerate(network(s, cache)):
        w, b = lay.params()
        np.testing.assert_array_equal(w0[i], w)
        np.testing.assert_array_equal(b0[i], b)
    if init == "identity":
        np.testing.assert_array_equal(w0[0], np.eye(6, dtype=np.float32) * np.float32(1.5))


# Residual and normalised networks train through engine.residual.Block around trained affine layers.
CASES = [
    {"residual": 0.7},
    {"residual": 1.0, "residual_scaling": "sqrt_depth"},
    {"norm": "layer"},
    {"norm": "batch"},
    {"residual": 0.5, "norm": "layer", "activation": "relu"},
    {"residual": 1.2, "residual_scaling": "sqrt_depth", "norm": "batch", "activation": "gelu"},
]


@pytest.mark.parametrize("task", ["spirals", "teacher"])
@pytest.mark.parametrize("kw", CASES, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_block_gradient_matches_finite_differences(kw: dict, task: str) -> None:
    kw = dict(kw)
    t = Trainer(_small(kw.pop("activation", "tanh"), **kw), TrainConfig(task=task, noise=0.1))
    assert all(isinstance(lay, Block) for lay in t.net)
    _fd_check(t)


def test_block_gradient_after_some_steps() -> None:
    # Away from the initial point too (trained W no longer the chart's, biases nonzero).
    t = Trainer(_small("tanh", residual=0.8, norm="layer"), TrainConfig(task="spirals", optimizer="adam", lr=0.01))
    for _ in t.run(5, chunk=5):
        pass
    _fd_check(t)
