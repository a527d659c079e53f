"""Overflow-safe magnitude statistics of float arrays.

Fast path: one BLAS dot product in the array's own dtype (accurate to ~1e-7 relative,
no temporary). When squares overflow or underflow, fall back to a scaled float64
computation so that 1e30 and 1e-30 are reported correctly, not as inf or 0.
"""

from __future__ import annotations

import math

import numpy as np

_TINY = {np.dtype(np.float32): 1e-34, np.dtype(np.float64): 1e-300}


def rms_and_nonfinite(x: np.ndarray) -> tuple[float, int]:
    """Return (sqrt(mean(x**2)), number of inf/NaN entries) of `x`."""
    v = x.reshape(-1)
    n = v.size
    if n == 0:
        return 0.0, 0
    ss = float(np.dot(v, v))  # BLAS: no floating-point warnings
    if ss > _TINY.get(v.dtype, 0.0) and ss != math.inf:  # also False for NaN
        return math.sqrt(ss / n), 0
    if ss == 0.0 and not v.any():  # all zeros (dead units): common, keep it cheap
        return 0.0, 0
    finite = np.isfinite(v)
    bad = n - int(np.count_nonzero(finite))
    if bad:
        if np.isnan(v).any():
            return math.nan, bad
        return math.inf, bad
    return _scaled_rms(v), 0


def _scaled_rms(v: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        m = float(max(v.max(), -v.min()))
        if m == 0.0:
            return 0.0
        y = v.astype(np.float64) / m
        return m * math.sqrt(float(np.dot(y, y)) / v.size)


def max_abs(x: np.ndarray) -> float:
    """max |x|, NaN if any entry is NaN (no temporary array)."""
    if x.size == 0:
        return 0.0
    return float(max(x.max(), -x.min()))


# The Gram form of ||d^T a||_F^2 is used only where it cannot lose digits: no cancellation
# beyond this share of its absolute sum, and each Gram matrix's largest entry (a row's
# squared norm) well inside float32's normal range, so no product underflows or overflows.
GRAM_CANCEL = 1e-2
GRAM_RANGE = (1e-20, 1e20)


GRAM_MIN_ENTRIES = 128 * 128  # below this the product is a few microseconds: not worth the Gram's extra calls


def gram_is_cheaper(batch: int, n_out: int, n_in: int) -> bool:
    """True when two B x B Gram matrices cost clearly less than the n_out x n_in product."""
    return n_out * n_in >= GRAM_MIN_ENTRIES and batch * (n_out + n_in) <= 0.75 * n_out * n_in


def gram_rms(d: np.ndarray, a: np.ndarray) -> float | None:
    """RMS of the product d^T a (n_out x n_in) without forming it, or None where unsafe.

    ||d^T a||_F^2 = sum_bc (d d^T)_bc (a a^T)_bc: two B x B Gram matrices instead of the
    n_out x n_in product (B^2 (n_out + n_in) multiply-adds instead of B n_out n_in). None
    (the caller forms the product) when an entry is not finite, when the sum cancels
    (its terms have mixed signs), or near the dtype's range: the two forms then agree to
    float rounding, never more apart.
    """
    lo, hi = GRAM_RANGE
    with np.errstate(all="ignore"):
        gd = np.matmul(d, d.T)
        ga = np.matmul(a, a.T)
        top_d, top_a = float(gd.diagonal().max()), float(ga.diagonal().max())
        if not (lo < top_d < hi and lo < top_a < hi):  # also False for inf/NaN
            return None
        gd64, ga64 = gd.astype(np.float64), ga.astype(np.float64)
        total = float(np.vdot(gd64, ga64))
        gross = float(np.vdot(np.abs(gd64), np.abs(ga64)))
    if not (math.isfinite(total) and math.isfinite(gross)) or total < GRAM_CANCEL * gross:
        return None
    return math.sqrt(total / (d.shape[1] * a.shape[1]))
