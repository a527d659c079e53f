"""The residual / normalised block: x_l = x_{l-1} + alpha phi(N(z_l)), z_l = W_l x_{l-1} + b_l.

alpha = 0 drops the skip connection (x_l = phi(N(z_l))); N is layer norm, batch norm or
nothing (`engine.norm`). The affine part is an `engine.layers` affine layer with a unit
slope (it gives z, dLoss/dW and W J), so a block adds only its own steps around it:

    forward   z -> zhat = N(z) -> y = phi(zhat) -> x = x_in + alpha y
    backward  g -> delta = N'^T(alpha g phi'(zhat)) -> g_in = g + delta W  (dLoss/dW from delta)
    jvp       J -> J + alpha D N' W J  (layer norm only: batch norm has no per-sample Jacobian)

g is the per-sample signal B dLoss/dx, as everywhere; batch norm's backward is linear in
it, so the factor B passes through unchanged.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .activations import Activation
from .norm import Norm


class BlockCtx(NamedTuple):
    """What a block's backward pass keeps: the affine part's ctx, phi'(zhat), zhat and 1/std."""

    affine: Any
    d: np.ndarray | None
    zhat: np.ndarray | None
    inv_std: np.ndarray | None


class Block:
    """One residual and/or normalised layer around an affine layer `affine`.

    `alpha` is the branch factor in the network's dtype (None: no skip connection),
    `norm` the normalisation (None: none).
    """

    __slots__ = ("_act", "_affine", "_alpha", "_alpha_f", "_norm", "index")

    def __init__(self, affine: Any, act: Activation, norm: Norm | None, alpha: np.generic | None) -> None:
        # `affine`: an engine.layers affine layer with a unit slope (its forward gives z; its
        # backward, given delta, gives delta W and dLoss/dW; its jvp W J). Not typed as
        # engine.layers.Layer: that module imports this one.
        self._affine = affine
        self._act = act
        self._norm = norm
        self._alpha = alpha
        self._alpha_f = None if alpha is None else float(alpha)
        self.index = affine.index

    @property
    def nonneg(self) -> bool:
        """Without a skip connection, the activation's; with one, x_in may be negative."""
        return self._alpha is None and self._act.nonneg

    def forward(
        self, a: np.ndarray, out: np.ndarray | None = None, d_out: np.ndarray | None = None, *, weight_grad: bool = True
    ) -> tuple[np.ndarray, BlockCtx]:
        """(x, ctx); `out` (not aliasing `a`) receives z and then x. The caller holds errstate."""
        z, actx = self._affine.forward(a, out, weight_grad=weight_grad)
        zhat = inv_std = None
        if self._norm is not None:
            zhat, inv_std = self._norm.forward(z)
            np.copyto(z, zhat)  # phi works in place on z; zhat stays for the backward pass
        y, d = self._act.forward(z, d_out)
        if self._alpha is not None:
            y *= self._alpha
            y += a
        return y, BlockCtx(actx, d, zhat, inv_std)

    def backward(
        self,
        g: np.ndarray,
        ctx: BlockCtx,
        *,
        keep: bool = False,
        weight_grad: bool = True,
        out: np.ndarray | None = None,
        dw_out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, Any]:
        """(g at the block's input, dLoss/dW); `g` is left alone with `keep` or a skip connection."""
        if self._alpha is not None:
            delta = g * self._alpha
        elif keep:
            delta = g.copy()
        else:
            delta = g
        if ctx.d is not None:
            delta *= ctx.d
        if self._norm is not None:
            assert ctx.zhat is not None and ctx.inv_std is not None
            delta = self._norm.backward(delta, ctx.zhat, ctx.inv_std)
        g_in, grad = self._affine.backward(
            delta, ctx.affine, keep=keep, weight_grad=weight_grad, out=out, dw_out=dw_out
        )
        if self._alpha is not None:
            g_in += g
        return g_in, grad

    def jvp(self, J: np.ndarray, ctx: BlockCtx) -> np.ndarray:
        """d x / d x_0 = J + alpha D N' W J for the one sample, in float64 (J may be overwritten)."""
        Jz = self._affine.jvp(J if self._alpha is None else J.copy(), ctx.affine)
        if self._norm is not None:
            assert ctx.zhat is not None and ctx.inv_std is not None
            Jz = self._norm.jvp(Jz, ctx.zhat, ctx.inv_std)
        if ctx.d is not None:
            Jz *= ctx.d[0].astype(np.float64)[:, None]
        if self._alpha_f is not None:
            Jz *= self._alpha_f
            Jz += J
        return Jz

    def inactive(self, ctx: BlockCtx) -> int:
        """Units of the branch the activation's rule counts as dead or saturated."""
        return 0 if ctx.d is None else self._act.inactive(ctx.d)

    def derivative(self, ctx: BlockCtx) -> np.ndarray | None:
        """phi'(zhat) of the branch (None: 1 everywhere)."""
        return ctx.d

    def params(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b) of the affine part as used."""
        return self._affine.params()
