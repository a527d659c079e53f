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
