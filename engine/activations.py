"""The activation table: one `Activation` record per name, in `TABLE`.

A record holds phi and phi' (elementwise, dtype-preserving), a fused in-place kernel that
gives both (the engine needs both on every layer), and what the engine and the theory know
of it: non-negative or odd, Gaussian moments in closed form, the limits at infinite
variance, and the rule that counts units as inactive. Adding an activation is one record
here. Overflow to inf/NaN is data, so warnings are silenced.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import constants

LEAKY_SLOPE = 0.01
INACTIVE_THRESHOLD = 1e-3  # |phi'| at or below this counts as saturated
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946
GELU_C = math.sqrt(2.0 / math.pi)
GELU_K = 0.044715

Array = np.ndarray


def _sigmoid(z: Array) -> Array:
    # 1/(1+exp(-z)): exp overflow gives inf -> 0, the right limit.
    e = np.exp(-z)
    e += 1.0
    np.reciprocal(e, out=e)
    return e


def _phi_linear(z: Array) -> Array:
    return z.copy()


def _phi_relu(z: Array) -> Array:
    return np.maximum(z, 0)


def _phi_leaky(z: Array) -> Array:
    return np.where(z > 0, z, z * LEAKY_SLOPE).astype(z.dtype, copy=False)


def _phi_tanh(z: Array) -> Array:
    return np.tanh(z)


def _phi_sigmoid(z: Array) -> Array:
    return _sigmoid(z)


def _gelu_t(z: Array) -> Array:
    return np.tanh(GELU_C * (z + GELU_K * z * z * z))


def _phi_gelu(z: Array) -> Array:
    t = _gelu_t(z)
    out = 0.5 * z * (1.0 + t)
    # tanh saturates to -1 for very negative z, and z*(0) must stay 0 even when z=-inf.
    out[np.isneginf(z)] = 0.0
    return out.astype(z.dtype, copy=False)


def _phi_selu(z: Array) -> Array:
    neg = SELU_LAMBDA * SELU_ALPHA * np.expm1(np.minimum(z, 0))
    return np.where(z > 0, SELU_LAMBDA * z, neg).astype(z.dtype, copy=False)


def _phi_swish(z: Array) -> Array:
    out = z * _sigmoid(z)
    out[np.isneginf(z)] = 0.0
    return out


def _d_linear(z: Array) -> Array:
    return np.ones_like(z)


def _d_relu(z: Array) -> Array:
    return (z > 0).astype(z.dtype)


def _d_leaky(z: Array) -> Array:
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)


def _d_tanh(z: Array) -> Array:
    t = np.tanh(z)
    return 1.0 - t * t


def _d_sigmoid(z: Array) -> Array:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _d_gelu(z: Array) -> Array:
    t = _gelu_t(z)
    inner = GELU_C * (1.0 + 3.0 * GELU_K * z * z)
    out = 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * inner
    # At |z| -> inf the second term is 0 * inf; the limit is 0 (or 1 via the first term).
    bad = ~np.isfinite(out) & ~np.isnan(z)
    if bad.any():
        out[bad] = (z[bad] > 0).astype(out.dtype)
    return out.astype(z.dtype, copy=False)


def _d_selu(z: Array) -> Array:
    neg = SELU_LAMBDA * SELU_ALPHA * np.exp(np.minimum(z, 0))
    return np.where(z > 0, SELU_LAMBDA, neg).astype(z.dtype, copy=False)


def _d_swish(z: Array) -> Array:
    s = _sigmoid(z)
    out = s * (1.0 + z * (1.0 - s))
    bad = ~np.isfinite(out) & ~np.isnan(z)
    if bad.any():
        out[bad] = (z[bad] > 0).astype(out.dtype)
    return out


# ------------------------------------------------------------------ fused kernels
# (phi(z), phi'(z)) overwriting z where the activation allows it; `d_out` is a buffer of
# z's shape and dtype for phi' (unused by relu, whose phi' is a boolean mask).

Kernel = Callable[[Array, Array | None], tuple[Array, Array | None]]


def _fused_linear(z: Array, d_out: Array | None) -> tuple[Array, Array | None]:
    return z, None  # phi' = 1 everywhere: no array


def _fused_relu(z: Array, d_out: Array | None) -> tuple[Array, Array | None]:
    # A boolean mask: cheap to count (inactive units) and to multiply by.
    d = np.greater(z, 0)
    np.maximum(z, constants.full(z.shape, z.dtype, 0.0), out=z)  # not z * mask: -inf * 0 would give NaN
    return z, d


def _fused_tanh(z: Array, d_out: Array | None) -> tuple[Array, Array | None]:
    np.tanh(z, out=z)
    d = np.multiply(z, z, out=d_out)
    np.subtract(1, d, out=d)
    return z, d


def _fused_sigmoid(z: Array, d_out: Array | None) -> tuple[Array, Array | None]:
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    d = np.subtract(1, z, out=d_out)
    d *= z
    return z, d


def _generic(fn: Callable[[Array], Array], dfn: Callable[[Array], Array]) -> Kernel:
    """The kernel of an activation without an in-place one: phi and phi' as new arrays."""

    def fused(z: Array, d_out: Array | None) -> tuple[Array, Array | None]:
        a, d = fn(z), dfn(z)
        if d_out is not None:
            np.copyto(d_out, d)
            d = d_out
        return a, d

    return fused


# ------------------------------------------------------------------ inactive rules
# How many entries of phi'(z) count as inactive units.


def _dead(d: Array) -> int:
    """relu: phi' = 0 (a 0/1 mask, or floats once NaN entries are marked)."""
    return d.size - int(np.count_nonzero(d))


def _flat(d: Array) -> int:
    """phi' can be negative (gelu, swish): |phi'| <= threshold."""
    return int(np.count_nonzero(np.abs(d) <= INACTIVE_THRESHOLD))


def _saturated(d: Array) -> int:
    """phi' >= 0 (or only rarely negative): phi' <= threshold."""
    return int(np.count_nonzero(d <= INACTIVE_THRESHOLD))


# ------------------------------------------------------------------ the table


@dataclass(frozen=True, slots=True)
class Activation:
    """One activation and what the engine and the theory know of it.

    `phi`, `dphi` return new arrays (relu'(0) = 0 by convention). `limit`: (E[phi^2],
    E[phi'^2]) for z ~ N(0, v) as v -> inf (also the length map's slope there).
    `closed_form`: (E[phi^2] / v, E[phi'^2]), exact at every v (the piecewise-linear ones),
    else None. `nonneg`: phi >= 0, so max |a| = max a. `odd`: phi(-z) = -phi(z).
    `inactive`: how many entries of phi'(z) count as dead or saturated units. `unit_slope`:
    phi' = 1 everywhere (linear), so no derivative array. `fused`: the in-place kernel
    behind `forward` (default: phi and phi' as new arrays).
    """

    name: str
    phi: Callable[[Array], Array]
    dphi: Callable[[Array], Array]
    limit: tuple[float, float]
    closed_form: tuple[float, float] | None = None
    nonneg: bool = False
    odd: bool = False
    inactive: Callable[[Array], int] = _saturated
    unit_slope: bool = False
    fused: Kernel | None = None

    def __post_init__(self) -> None:
        if self.fused is None:
            object.__setattr__(self, "fused", _generic(self.phi, self.dphi))

    def forward(self, z: Array, d_out: Array | None = None) -> tuple[Array, Array | None]:
        """(phi(z), phi'(z)), overwriting `z`; phi' is None when it is 1 everywhere.

        phi'(z) is NaN where z is NaN: there is no honest derivative there (relu'(NaN)
        taken as 0 reported exact-zero gradients below an overflow). At z = +-inf phi' keeps
        its limit (an overflowed z keeps its sign, so relu'(-inf) = 0 is the true value).
        A unit slope stays exact at NaN too. The caller holds `np.errstate(all="ignore")`.
        """
        bad = None if self.unit_slope else _nan_mask(z)
        a, d = self.fused(z, d_out)  # type: ignore[misc]  # never None after __post_init__
        if bad is not None:
            d = _nan_where(d, bad, a)
        return a, d


def _nan_mask(x: Array) -> Array | None:
    """Where `x` is NaN, or None when no entry is (one BLAS dot, no temporary)."""
    v = x.reshape(-1)
    ss = float(np.dot(v, v))  # NaN exactly when some entry is NaN (squares never cancel)
    if ss == ss:
        return None
    mask = np.isnan(x)
    return mask if mask.any() else None


def _nan_where(d: Array | None, bad: Array, a: Array) -> Array:
    """phi' with NaN at `bad`; a relu mask becomes a float array."""
    if d is None:
        d = np.ones(a.shape, dtype=a.dtype)
    elif d.dtype == np.bool_:
        d = d.astype(a.dtype)
    d[bad] = np.nan
    return d


_INF = math.inf
_LEAKY_C = (1 + LEAKY_SLOPE**2) / 2

TABLE: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", _phi_linear, _d_linear, (_INF, 1.0), closed_form=(1.0, 1.0), odd=True, unit_slope=True,
                   fused=_fused_linear),
        Activation("relu", _phi_relu, _d_relu, (_INF, 0.5), closed_form=(0.5, 0.5), nonneg=True, inactive=_dead,
                   fused=_fused_relu),
        Activation("leaky_relu", _phi_leaky, _d_leaky, (_INF, _LEAKY_C), closed_form=(_LEAKY_C, _LEAKY_C)),
        Activation("tanh", _phi_tanh, _d_tanh, (1.0, 0.0), odd=True, fused=_fused_tanh),
        Activation("sigmoid", _phi_sigmoid, _d_sigmoid, (0.5, 0.0), nonneg=True, fused=_fused_sigmoid),
        Activation("gelu", _phi_gelu, _d_gelu, (_INF, 0.5), inactive=_flat),
        Activation("selu", _phi_selu, _d_selu, (_INF, SELU_LAMBDA**2 / 2)),
        Activation("swish", _phi_swish, _d_swish, (_INF, 0.5), inactive=_flat),
    )
}  # fmt: skip
NAMES: tuple[str, ...] = tuple(TABLE)


def phi(name: str, z: Array) -> Array:
    """phi(z) for activation `name` (a new array)."""
    with np.errstate(all="ignore"):
        return TABLE[name].phi(np.asarray(z))


def dphi(name: str, z: Array) -> Array:
    """phi'(z) for activation `name` (a new array); relu'(0) = 0 by convention."""
    with np.errstate(all="ignore"):
        return TABLE[name].dphi(np.asarray(z))
