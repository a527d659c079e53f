"""Every number depthlens prints, formatted in one place.

CSV files get 17 significant digits (`full`); captions, tooltips and check lines a few
(`sig`); the readout a compact form (`sci`); axes powers of ten (`power_label`). inf and
NaN are always spelled out: they are data, not errors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def full(x: float) -> str:
    """17 significant digits (round-trips a float64); inf/-inf/nan spelled so (CSV)."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.17g}"


def sig(x: Any, digits: int = 4, *, nan: str = "NaN", inf: str = "inf", neg_inf: str = "-inf") -> str:
    """`digits` significant digits; lists and arrays as [a, b, ...]; inf/NaN spelled out."""
    if isinstance(x, list | tuple | np.ndarray):
        return "[" + ", ".join(sig(v, digits, nan=nan, inf=inf, neg_inf=neg_inf) for v in x) + "]"
    x = float(x)
    if math.isnan(x):
        return nan
    if math.isinf(x):
        return inf if x > 0 else neg_inf
    return f"{x:.{digits}g}"


def sci(x: float) -> str:
    """Compact number for a sentence: 6.4e8, 0.12, 3.2e-5, inf, NaN."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.2g}" if abs(x) < 10 else f"{x:.0f}"
    mant, exp = f"{x:.1e}".split("e")
    return f"{mant}e{int(exp)}"


def superscript(k: int) -> str:
    """`k` in superscript digits (-40 -> ⁻⁴⁰)."""
    return str(int(k)).translate(_SUPERSCRIPT)


def power_label(k: float) -> str:
    """Label of log10 value `k`: 10^k with a superscript exponent, m·10^k between decades."""
    decade = math.floor(k + 1e-9)
    mantissa = 10 ** (k - decade)
    if abs(mantissa - 1) < 1e-6:
        return "10" + superscript(decade)
    return f"{mantissa:.2g}·10" + superscript(decade)


def from_log10(v: float) -> str:
    """A value given by its log10 (which may lie beyond float64): 0.123, or 1.23×10⁻⁴⁰."""
    if math.isnan(v):
        return "—"
    if abs(v) < 4:
        return f"{10.0**v:.3g}"
    mant = 10.0 ** (v - math.floor(v))
    return f"{mant:.2f}×{power_label(math.floor(v))}"
