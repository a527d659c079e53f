"""One SGD, momentum and Adam step equal a hand-written reference of torch's formulas; clipping exact.

The references are transcribed from torch/optim/sgd.py (_single_tensor_sgd) and
torch/optim/adam.py (_single_tensor_adam) and torch/nn/utils/clip_grad.py; torch is not needed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine import Settings
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.training import Trainer

S = Settings(depth=3, width=6, batch=9, activation="tanh", scale=1.2, bias_std=0.1, dtype="float64", seed=5)


def _params(t: Trainer) -> list[np.ndarray]:
    return [p.copy() for lay in t.layers for p in (lay.w, lay.b)]


def _grads(t: Trainer) -> list[np.ndarray]:
    return [g for pair in t.gradients()[1] for g in pair]


def _torch_sgd(params, grads, bufs, lr, momentum):
    """torch.optim.SGD, dampening 0, nesterov False, weight_decay 0."""
    out = []
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        d_p = g
        if momentum != 0:
            if bufs[i] is None:
                bufs[i] = g.copy()
            else:
                bufs[i] = bufs[i] * momentum + g  # buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
            d_p = bufs[i]
        out.append(p + (-lr) * d_p)  # param.add_(d_p, alpha=-lr)
    return out


def _torch_adam(params, grads, m, v, step, lr, b1=0.9, b2=0.999, eps=1e-8):
    """torch.optim.Adam, weight_decay 0, amsgrad False."""
    out = []
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        m[i] = m[i] + (1 - b1) * (g - m[i])  # exp_avg.lerp_(grad, 1 - beta1)
        v[i] = v[i] * b2 + (g * g) * (1 - b2)  # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - b1**step
        bias_correction2 = 1 - b2**step
        step_size = lr / bias_correction1
        denom = np.sqrt(v[i]) / math.sqrt(bias_correction2) + eps
        out.append(p + (-step_size) * (m[i] / denom))  # param.addcdiv_(exp_avg, denom, value=-step_size)
    return out


def _close(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-14, atol=1e-300)


def test_one_sgd_step_is_torchs() -> None:
    t = Trainer(S, TrainConfig(optimizer="sgd", lr=0.3))
    p0, g0 = _params(t), _grads(t)
    t.step_once()
    _close(_params(t), _torch_sgd(p0, g0, [None] * len(p0), 0.3, 0.0))


def test_momentum_steps_are_torchs() -> None:
    t = Trainer(S, TrainConfig(optimizer="sgd", lr=0.2, momentum=0.9))
    ref = _params(t)
    bufs: list = [None] * len(ref)
    for _ in range(3):
        g = _grads(t)
        t.step_once()
        ref = _torch_sgd(ref, g, bufs, 0.2, 0.9)
        _close(_params(t), ref)


def test_adam_steps_are_torchs() -> None:
    t = Trainer(S, TrainConfig(optimizer="adam", lr=0.01))
    ref = _params(t)
    m = [np.zeros_like(p) for p in ref]
    v = [np.zeros_like(p) for p in ref]
    for step in range(1, 4):
        g = _grads(t)
        t.step_once()
        ref = _torch_adam(ref, g, m, v, step, 0.01)
        _close(_params(t), ref)


def test_adam_first_step_moves_every_entry_by_about_lr() -> None:
    # With bias correction the first update is lr * g / (|g| + eps): about lr wherever |g| >> eps.
    t = Trainer(S, TrainConfig(optimizer="adam", lr=0.01))
    p0, g0 = _params(t), _grads(t)
    t.step_once()
    for p, q, g in zip(p0, _params(t), g0, strict=True):
        big = np.abs(g) > 1e-4
        np.testing.assert_allclose(np.abs(p - q)[big], 0.01, rtol=1e-3)


@pytest.mark.parametrize("fraction", [0.25, 3.0])
def test_clipping_scales_exactly(fraction: float) -> None:
    t = Trainer(S, TrainConfig(optimizer="sgd", lr=0.5))
    p0, g0 = _params(t), _grads(t)
    total = math.sqrt(sum(float(np.sum(g * g)) for g in g0))
    max_norm = fraction * total
    t.configure(t.config.replace(clip=max_norm))
    t.step_once()
    coef = max_norm / (total + 1e-6)
    scaled = [g * coef for g in g0] if coef < 1 else g0
    _close(_params(t), _torch_sgd(p0, scaled, [None] * len(p0), 0.5, 0.0))
    if fraction > 1:  # unclipped: exactly the plain step
        _close(_params(t), _torch_sgd(p0, g0, [None] * len(p0), 0.5, 0.0))


def test_update_ratio_is_the_applied_update() -> None:
    t = Trainer(S, TrainConfig(optimizer="adam", lr=0.01))
    w_before = [lay.w.copy() for lay in t.layers]
    t.step_once()
    for i, lay in enumerate(t.layers):
        dw = lay.w - w_before[i]
        want = np.sqrt(np.mean(dw**2)) / np.sqrt(np.mean(w_before[i] ** 2))
        assert t.update_ratio[i] == pytest.approx(want, rel=1e-9)
    t.step_once()
    dist = t.history.column("distance")[1]
    for i in range(len(t.layers)):
        # distance at step 1 is ||W(1) - W(0)|| / ||W(0)||, before step 1's update
        assert dist[i] == pytest.approx(t.history.column("update_ratio")[0][i], rel=1e-9)
