"""Normalisation of the pre-activations z (B x n), at initialisation: gain 1, shift 0.

`layer`: over the n units of each sample (axis 1); `batch`: over the B samples of each
unit (axis 0), with training-mode statistics. Both as in PyTorch: biased variance,
zhat = (z - mean) / sqrt(var + eps), eps = 1e-5. The backward pass is exact,
dz = (dzhat - mean(dzhat) - zhat mean(dzhat zhat)) / sqrt(var + eps) along the same axis,
so batch norm couples the samples. A row (or column) of equal values has zhat = 0: eps
keeps it finite. Statistics are taken in the array's dtype; where a float32 variance
overflows while z is finite, it is taken again in float64 (1e20^2 is beyond float32).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import constants

EPS = 1e-5
AXES: dict[str, int] = {"layer": 1, "batch": 0}


@dataclass(frozen=True, slots=True)
class Norm:
    """One normalisation: the axis it averages over (1: layer norm, 0: batch norm)."""

    kind: str
    axis: int

    def forward(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(zhat, 1/sqrt(var + eps)) with the statistics kept along `axis` (keepdims)."""
        return normalise(z, self.axis)

    def backward(self, dzhat: np.ndarray, zhat: np.ndarray, inv_std: np.ndarray) -> np.ndarray:
        """dLoss/dz from dLoss/dzhat, in place of `dzhat`; exact, through the mean and the variance."""
        return normalise_backward(dzhat, zhat, inv_std, self.axis)

    def jvp(self, dz: np.ndarray, zhat: np.ndarray, inv_std: np.ndarray) -> np.ndarray:
        """d zhat for one sample: `dz` is (n, k) (units x directions), `zhat`, `inv_std` of that sample.

        Only layer norm has a per-sample Jacobian (batch norm mixes the samples).
        """
        if self.axis != 1:
            raise ValueError("batch norm has no per-sample Jacobian: the samples are coupled")
        zh = zhat[0].astype(np.float64)[:, None]
        out = dz - dz.mean(axis=0, keepdims=True)
        out -= zh * (zh * dz).mean(axis=0, keepdims=True)
        out *= float(inv_std.reshape(-1)[0])
        return out


def make(kind: str) -> Norm | None:
    """The normalisation `kind` (none, layer, batch); None for none."""
    return None if kind == "none" else Norm(kind, AXES[kind])


_DOT = {1: "ij,ij->i", 0: "ij,ij->j"}  # the mean of a product along the axis, without a temporary


def _mean_of_product(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    out = np.einsum(_DOT[axis], x, y)
    out /= x.shape[axis]
    return np.expand_dims(out, axis)


def _mean(x: np.ndarray, axis: int) -> np.ndarray:
    """x's mean along `axis` (keepdims) as one BLAS matrix-vector product: ~3x faster than `x.mean`."""
    n = x.shape[axis]
    ones = constants.full(n, x.dtype, 1.0)
    m = x @ ones if axis == 1 else ones @ x
    m /= x.dtype.type(n)
    return np.expand_dims(m, axis)


def normalise(z: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(zhat, inv_std): zhat = (z - mean) * inv_std along `axis`, inv_std = 1/sqrt(var + eps)."""
    dt = z.dtype
    zc = z - _mean(z, axis)
    var = _mean_of_product(zc, zc, axis)
    if dt != np.float64 and not np.isfinite(var).all():
        # An overflowed square of a finite z: the variance again in float64, where it fits.
        z64 = z.astype(np.float64)
        zc64 = z64 - z64.mean(axis=axis, keepdims=True)
        inv64 = 1.0 / np.sqrt(np.mean(zc64 * zc64, axis=axis, keepdims=True) + EPS)
        return (zc64 * inv64).astype(dt), inv64.astype(dt)
    var += dt.type(EPS)
    inv_std = np.sqrt(var, out=var)
    np.reciprocal(inv_std, out=inv_std)
    zc *= inv_std
    return zc, inv_std


def normalise_backward(dzhat: np.ndarray, zhat: np.ndarray, inv_std: np.ndarray, axis: int) -> np.ndarray:
    """dz = inv_std (dzhat - mean(dzhat) - zhat mean(dzhat zhat)) along `axis`; overwrites `dzhat`."""
    proj = _mean_of_product(dzhat, zhat, axis)
    dzhat -= _mean(dzhat, axis)
    dzhat -= zhat * proj
    dzhat *= inv_std
    return dzhat
