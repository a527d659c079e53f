"""A layer whose W and b are its own arrays (trained in place), for `engine.propagate`'s loop.

It starts from exactly the parameters the chart's layer uses (`Layer.params()`: the scaled
matrix, s*I for identity init, and the bias), and implements the same `Layer` protocol, so
training steps through the one forward/backward loop. Unlike the chart's layers it always
adds its bias (b starts at 0 when the chart has none) and its backward pass keeps both
gradients, dLoss/dW and dLoss/db, in its own buffers.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation
from .layers import WeightGrad
from .stats import rms_and_nonfinite

# (a_in, phi'(z)) of the forward pass (phi' None: 1 everywhere).
Ctx = tuple[np.ndarray, np.ndarray | None]


class TrainableDense:
    """a -> phi(a W^T + b) with W (n x n) and b (n) owned and updated in place."""

    __slots__ = ("act", "b", "db", "dw", "index", "w")

    def __init__(self, act: Activation, index: int, w: np.ndarray, b: np.ndarray) -> None:
        self.act = act
        self.index = index
        self.w = np.array(w, copy=True)
        self.b = np.array(b, copy=True)
        self.dw = np.zeros_like(self.w)
        self.db = np.zeros_like(self.b)

    @property
    def nonneg(self) -> bool:
        """True when every output is >= 0."""
        return self.act.nonneg

    def forward(
        self, a: np.ndarray, out: np.ndarray | None = None, d_out: np.ndarray | None = None, *, weight_grad: bool = True
    ) -> tuple[np.ndarray, Ctx]:
        """(phi(z), (a, phi'(z))) with z = a W^T + b; the caller holds `np.errstate(all="ignore")`."""
        z = np.matmul(a, self.w.T, out=out)
        z += self.b
        y, d = self.act.forward(z, d_out)
        return y, (a, d)

    def backward(
        self,
        g: np.ndarray,
        ctx: Ctx,
        *,
        keep: bool = False,
        weight_grad: bool = True,
        out: np.ndarray | None = None,
        dw_out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, WeightGrad | None]:
        """g_in = delta W; dLoss/dW = delta^T a_in / B and dLoss/db = sum_b delta / B into `dw`, `db`.

        delta = g * phi'(z) is formed in `g` unless `keep`. `dw_out` is ignored: the
        gradients stay in the layer for the optimiser.
        """
        a_in, d = ctx
        if d is None:
            delta = g.copy() if keep else g
        elif keep:
            delta = g * d
        else:
            delta = np.multiply(g, d, out=g)
        batch = g.dtype.type(g.shape[0])
        grad = None
        if weight_grad:
            np.matmul(delta.T, a_in, out=self.dw)
            self.dw /= batch
            np.sum(delta, axis=0, out=self.db)
            self.db /= batch
            rms, bad = rms_and_nonfinite(self.dw)
            grad = WeightGrad(rms, bad, self.dw.size, self.dw)
        return np.matmul(delta, self.w, out=out), grad

    def jvp(self, J: np.ndarray, ctx: Ctx) -> np.ndarray:
        """D W J in float64 for a one-sample forward."""
        J = self.w.astype(np.float64) @ J
        d = ctx[1]
        if d is not None:
            J *= d[0].astype(np.float64)[:, None]
        return J

    def inactive(self, ctx: Ctx) -> int:
        """Units the activation's rule counts as dead or saturated."""
        d = ctx[1]
        return 0 if d is None else self.act.inactive(d)

    def derivative(self, ctx: Ctx) -> np.ndarray | None:
        """phi'(z) (None: 1 everywhere)."""
        return ctx[1]

    def params(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b) now."""
        return self.w, self.b
