"""Checks several engine tests make: central finite differences, statistics finite or flagged."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f / d x entry by entry: (f(x + h e_i) - f(x - h e_i)) / 2h, on copies of `x`."""
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        num[idx] = (f(xp) - f(xm)) / (2 * h)
    return num


def assert_finite_or_flagged(res) -> None:
    """Every non-finite statistic of `res` is flagged on its row; fractions in [0, 1]; theory whole or noted."""
    m = res.measured
    for name, flag in (("activation_rms", m.activation_nonfinite), ("gradient_rms", m.gradient_nonfinite)):
        col = getattr(m, name)
        assert np.all(np.isfinite(col) | (flag > 0)), name
        assert np.all((col >= 0) | np.isnan(col))
    assert np.all(np.isfinite(m.weight_grad_rms[1:]) | (m.nonfinite_fraction[1:] > 0))
    assert np.all((m.nonfinite_fraction >= 0) & (m.nonfinite_fraction <= 1))
    assert np.all((m.inactive_fraction[1:] >= 0) & (m.inactive_fraction[1:] <= 1))
    # The theory is either fully defined and never NaN, or blank with a reason.
    if res.theory.defined:
        assert not np.isnan(res.theory.activation_rms).any()
        assert not np.isnan(res.theory.gradient_rms).any()
    else:
        assert res.theory.note
