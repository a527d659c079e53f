"""The optimisers, with exactly PyTorch's update rules, and global-norm gradient clipping.

Each optimiser turns a parameter's gradient into the update u it applies (p <- p - u),
so the caller can measure the update actually applied (the update:data ratio) for any
optimiser. State is one buffer per parameter (SGD with momentum) or two (Adam), allocated
once.

* `SGD` = torch.optim.SGD(lr, momentum=mu, dampening=0, nesterov=False, weight_decay=0):
  buf <- g on the first step, then buf <- mu buf + g; u = lr buf (u = lr g when mu = 0).
* `Adam` = torch.optim.Adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False):
  t <- t + 1; m <- m + (1 - b1)(g - m) (torch's lerp); v <- b2 v + (1 - b2) g^2;
  u = (lr / (1 - b1^t)) * (m / (sqrt(v) / sqrt(1 - b2^t) + eps)).
* `clip_factor` = torch.nn.utils.clip_grad_norm_(max_norm): the total 2-norm over every
  gradient; gradients are multiplied by max_norm / (total + 1e-6) when that is below 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
CLIP_EPS = 1e-6


class SGD:
    """torch.optim.SGD with momentum mu (dampening 0, no Nesterov, no weight decay)."""

    state_copies = 1  # momentum buffers (none are allocated when mu = 0)

    def __init__(self, params: Sequence[np.ndarray], momentum: float = 0.0) -> None:
        self.momentum = float(momentum)
        self._bufs: list[np.ndarray | None] = [None] * len(params)
        self._shapes = [(p.shape, p.dtype) for p in params]
        self.steps = 0

    def begin(self) -> None:
        """Start one optimiser step (before the parameters' `update` calls)."""
        self.steps += 1

    def update(self, i: int, g: np.ndarray, lr: float, out: np.ndarray) -> np.ndarray:
        """The update u of parameter `i` from its gradient `g` (written into `out`)."""
        mu = self.momentum
        if mu != 0.0:
            buf = self._bufs[i]
            if buf is None:
                buf = g.copy()  # torch: buf = clone(grad) on the first step
                self._bufs[i] = buf
            else:
                buf *= g.dtype.type(mu)
                buf += g
            g = buf
        return np.multiply(g, g.dtype.type(lr), out=out)

    def state(self) -> list[np.ndarray | None]:
        """The momentum buffers (None before the first step or when mu = 0)."""
        return list(self._bufs)


class Adam:
    """torch.optim.Adam (betas 0.9, 0.999, eps 1e-8, no weight decay, no amsgrad)."""

    state_copies = 2

    def __init__(self, params: Sequence[np.ndarray]) -> None:
        self._m = [np.zeros(p.shape, p.dtype) for p in params]
        self._v = [np.zeros(p.shape, p.dtype) for p in params]
        self.steps = 0

    def begin(self) -> None:
        """Start one optimiser step: t <- t + 1 (bias corrections use the new t)."""
        self.steps += 1

    def update(self, i: int, g: np.ndarray, lr: float, out: np.ndarray) -> np.ndarray:
        """The update u of parameter `i` from its gradient `g` (written into `out`)."""
        b1, b2 = ADAM_BETAS
        dt = g.dtype.type
        m, v = self._m[i], self._v[i]
        # m.lerp_(g, 1 - b1): m + w (g - m) for w < 0.5
        np.subtract(g, m, out=out)
        out *= dt(1.0 - b1)
        m += out
        v *= dt(b2)
        np.multiply(g, g, out=out)
        out *= dt(1.0 - b2)
        v += out
        t = self.steps
        step_size = lr / (1.0 - b1**t)
        bc2_sqrt = math.sqrt(1.0 - b2**t)
        np.sqrt(v, out=out)
        out /= dt(bc2_sqrt)
        out += dt(ADAM_EPS)
        np.divide(m, out, out=out)
        out *= dt(step_size)
        return out

    def state(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(first moments, second moments)."""
        return self._m, self._v


def make(name: str, params: Sequence[np.ndarray], momentum: float = 0.0) -> SGD | Adam:
    """The optimiser called `name` over `params`."""
    if name == "sgd":
        return SGD(params, momentum)
    if name == "adam":
        return Adam(params)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")


def state_copies(name: str, momentum: float) -> int:
    """How many parameter-sized buffers the optimiser keeps."""
    if name == "adam":
        return Adam.state_copies
    return SGD.state_copies if momentum != 0.0 else 0


def total_norm(norms: Sequence[float]) -> float:
    """The global 2-norm from each gradient's 2-norm, overflow-safe (NaN if any is NaN)."""
    if any(math.isnan(x) for x in norms):
        return math.nan
    return math.hypot(*norms)


def clip_factor(total: float, max_norm: float) -> float:
    """What clip_grad_norm_ multiplies every gradient by: min(1, max_norm / (total + 1e-6)).

    A non-finite total gives 0 (inf) or NaN, as in torch; the step then diverges.
    """
    coef = max_norm / (total + CLIP_EPS) if not math.isnan(total) else math.nan
    return min(coef, 1.0) if not math.isnan(coef) else math.nan
