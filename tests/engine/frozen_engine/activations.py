"""Activation functions and their derivatives, elementwise, dtype-preserving.

`forward(name, z)` returns (phi(z), phi'(z)) in one go, reusing buffers, because the
engine needs both on every layer. Overflow to inf/NaN is data, so warnings are silenced.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

LEAKY_SLOPE = 0.01
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


def phi(name: str, z: Array) -> Array:
    """phi(z) for activation `name` (a new array)."""
    with np.errstate(all="ignore"):
        return _PHI[name](np.asarray(z))


def dphi(name: str, z: Array) -> Array:
    """phi'(z) for activation `name` (a new array); relu'(0) = 0 by convention."""
    with np.errstate(all="ignore"):
        return _DPHI[name](np.asarray(z))


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


_PHI: dict[str, Callable[[Array], Array]] = {
    "linear": _phi_linear,
    "relu": _phi_relu,
    "leaky_relu": _phi_leaky,
    "tanh": _phi_tanh,
    "sigmoid": _phi_sigmoid,
    "gelu": _phi_gelu,
    "selu": _phi_selu,
    "swish": _phi_swish,
}
_DPHI: dict[str, Callable[[Array], Array]] = {
    "linear": _d_linear,
    "relu": _d_relu,
    "leaky_relu": _d_leaky,
    "tanh": _d_tanh,
    "sigmoid": _d_sigmoid,
    "gelu": _d_gelu,
    "selu": _d_selu,
    "swish": _d_swish,
}


def forward(name: str, z: Array, d_out: Array | None = None) -> tuple[Array, Array | None]:
    """Return (phi(z), phi'(z)); overwrites `z`. phi' is None for linear (all ones).

    For relu the derivative is a boolean mask (z > 0). `d_out`, if given, is a buffer of
    z's shape and dtype for the derivative (not used for relu).
    """
    with np.errstate(all="ignore"):
        return _forward(name, z, d_out)


def _forward(name: str, z: Array, d_out: Array | None) -> tuple[Array, Array | None]:
    """`forward` without the errstate context (the caller holds one)."""
    if name == "linear":
        return z, None
    if name == "relu":
        # A boolean mask: cheap to count (inactive units) and to multiply by.
        d = np.greater(z, 0)
        np.maximum(z, 0, out=z)  # not z * mask: -inf * 0 would give NaN
        return z, d
    if name == "tanh":
        np.tanh(z, out=z)
        d = np.multiply(z, z, out=d_out)
        np.subtract(1, d, out=d)
        return z, d
    if name == "sigmoid":
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1
        np.reciprocal(z, out=z)
        d = np.subtract(1, z, out=d_out)
        d *= z
        return z, d
    a, d = _PHI[name](z), _DPHI[name](z)
    if d_out is not None:
        np.copyto(d_out, d)
        d = d_out
    return a, d
