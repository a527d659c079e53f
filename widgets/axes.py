"""The chart's axes: a y axis over log10 values labelled in powers of ten, an integer x axis.

`y_limits` chooses the y range of a frame from the values in view. No axis uses pyqtgraph's
automatic SI prefix (it labelled a narrow log range "(x0.001)"), and the y axis is as wide as
its widest tick label plus its title, so the two never overlap.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF

from depthlens.engine.health import NONFINITE, ZERO, SeriesData
from depthlens.engine.numbers import power_label, superscript

MINOR_MANTISSAS = (2.0, 5.0)  # labelled between decades when few decades are visible
FINE_MANTISSAS = (1.5, 2.0, 3.0, 5.0, 7.0)  # ... and these when less than one is


def y_limits(
    series: list[SeriesData], theory: list[np.ndarray], *, linear: bool = False
) -> tuple[float, float, float, float]:
    """(bottom, top, floor level, marker level) of the y axis, in decades (or in RMS if `linear`).

    The range covers every finite value and 10⁰, with room above for overflow markers
    and below for zero markers; values are finite floats, so it is always bounded
    (|log10| <= 324 for float64). On the linear axis (`theory` then holds RMS values, not
    logs) the range starts at 0, where exact zeros sit.
    """
    if linear:
        return _linear_limits(series, theory)
    finite = [s.logs[np.isfinite(s.logs)] for s in series]
    finite += [t[np.isfinite(t)] for t in theory]
    allv = np.concatenate([np.zeros(1), *finite])
    lo, hi = float(allv.min()), float(allv.max())
    span = max(hi - lo, 2.0)
    pad = 0.06 * span + 0.3
    marker = hi + pad
    floor = lo - pad
    bad = any((s.codes == NONFINITE).any() for s in series)
    zero = any((s.codes == ZERO).any() for s in series)
    top = marker + (0.12 * span + 0.5 if bad else 0.0)
    bottom = floor - (0.12 * span + 0.5 if zero else 0.0)
    if not bad:
        top = hi + pad
    if not zero:
        bottom = lo - pad
    return bottom, top, floor, marker


def _linear_limits(series: list[SeriesData], theory: list[np.ndarray]) -> tuple[float, float, float, float]:
    with np.errstate(over="ignore"):
        finite = [np.power(10.0, s.logs[np.isfinite(s.logs)]) for s in series]
    finite += [t[np.isfinite(t)] for t in theory]
    allv = np.concatenate([np.zeros(1), *finite])
    allv = allv[np.isfinite(allv)]
    hi = float(allv.max()) if allv.size else 1.0
    if hi <= 0:
        hi = 1.0
    bad = any((s.codes == NONFINITE).any() for s in series)
    marker = hi * 1.08
    top = marker * (1.15 if bad else 1.0)
    return 0.0, top, 0.0, marker


def baseline_label(level: float) -> str:
    """The bars' baseline in words: '10⁻³'."""
    return power_label(level)


def linear_label(v: float) -> str:
    """A tick on the linear RMS axis: 0, 0.25, 1500, 2.5·10⁸ (never an SI prefix)."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    a = abs(v)
    if 1e-3 <= a < 1e5:
        return f"{v:.4g}"
    mant, exp = f"{v:.3g}".split("e") if "e" in f"{v:.3g}" else (f"{v:.3g}", "0")
    k = int(exp)
    return ("" if mant in ("1", "1.0") else f"{mant}·") + "10" + superscript(k)


def fit_axis_width(tick_font: QFont, label_pt: float, labels: list[str], axis: pg.AxisItem) -> int:
    """A width for the left axis that holds its widest tick label and its rotated title side by side."""
    fm = QFontMetricsF(tick_font)
    ticks = max((fm.horizontalAdvance(t) for t in labels), default=fm.horizontalAdvance("10⁻¹⁰"))
    ticks = max(ticks, fm.horizontalAdvance("10⁰"))
    title = QFont(tick_font)
    title.setPointSizeF(label_pt)
    title_h = QFontMetricsF(title).height()
    offset = axis.style.get("tickTextOffset", 2)
    if isinstance(offset, list | tuple):  # pyqtgraph keeps [horizontal, vertical]
        offset = offset[0]
    tick_len = max(0, -int(axis.style.get("tickLength", -5)))
    return math.ceil(ticks + title_h + 2 * offset + tick_len + 8)


class PowerAxis(pg.AxisItem):
    """A y axis over log10 values, labelled 10ᵏ at integer k only; `linear` = plain RMS values."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The values are decades: an SI prefix (pyqtgraph labels a range within a decade of
        # 10⁰ "(x0.001)") would be nonsense.
        self.enableAutoSIPrefix(False)
        self.linear = False

    def tickSpacing(self, minVal, maxVal, size):  # pyqtgraph API
        """Integer decade spacings only (1, 2, 5, 10, ... decades)."""
        if self.linear:
            return super().tickSpacing(minVal, maxVal, size)
        levels = super().tickSpacing(minVal, maxVal, size)
        out: list[tuple[float, float]] = []
        for spacing, offset in levels:
            spacing = max(1.0, float(round(spacing)) if spacing >= 1 else 1.0)
            if all(spacing != s for s, _ in out):
                out.append((spacing, offset))
        return out

    def tickValues(self, minVal, maxVal, size):  # pyqtgraph API
        """Decades, plus 2·10ᵏ and 5·10ᵏ when fewer than three decades are in view."""
        levels = super().tickValues(minVal, maxVal, size)
        if self.linear:
            return levels
        span = maxVal - minVal
        if not (math.isfinite(span) and 0 < span < 3):
            return levels
        per_decade = size / span  # pixels; labels need room or they overlap
        if per_decade < 70:
            return levels
        mantissas = FINE_MANTISSAS if span < 1 and per_decade >= 200 else MINOR_MANTISSAS
        minor = [
            k + math.log10(m)
            for k in range(math.floor(minVal), math.ceil(maxVal) + 1)
            for m in mantissas
            if minVal <= k + math.log10(m) <= maxVal
        ]
        return [*levels, (0.1, minor)]

    def tickStrings(self, values, scale, spacing):  # pyqtgraph API
        """'10ᵏ' at decades, 'm·10ᵏ' between them (plain numbers on the linear axis)."""
        if self.linear:
            return [linear_label(v) for v in values]
        return [power_label(v) for v in values]


class IntAxis(pg.AxisItem):
    """An x axis of layer numbers: integer ticks only."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enableAutoSIPrefix(False)  # layer 1000 is "1000", not "1 (x1000)"

    def tickSpacing(self, minVal, maxVal, size):  # pyqtgraph API
        """Spacings of at least one layer."""
        levels = super().tickSpacing(minVal, maxVal, size)
        out: list[tuple[float, float]] = []
        for spacing, offset in levels:
            spacing = max(1.0, float(round(spacing)))
            if all(spacing != s for s, _ in out):
                out.append((spacing, offset))
        return out

    def tickStrings(self, values, scale, spacing):  # pyqtgraph API
        """Plain integers."""
        return [str(round(v)) for v in values]
