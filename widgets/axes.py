"""The chart's axes: a y axis over log10 values labelled in powers of ten, an integer x axis.

`y_limits` chooses the y range of a frame from the values in view.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from depthlens.engine.health import NONFINITE, ZERO, SeriesData
from depthlens.engine.numbers import power_label

MINOR_MANTISSAS = (2.0, 5.0)  # labelled between decades when few decades are visible
FINE_MANTISSAS = (1.5, 2.0, 3.0, 5.0, 7.0)  # ... and these when less than one is


def y_limits(series: list[SeriesData], theory: list[np.ndarray]) -> tuple[float, float, float, float]:
    """(bottom, top, floor level, marker level) of the y axis, in decades.

    The range covers every finite value and 10⁰, with room above for overflow markers
    and below for zero markers; values are finite floats, so it is always bounded
    (|log10| <= 324 for float64).
    """
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


class PowerAxis(pg.AxisItem):
    """A y axis over log10 values, labelled 10ᵏ at integer k only."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The values are decades: an SI prefix (pyqtgraph labels a range within a decade of
        # 10⁰ "(x0.001)") would be nonsense.
        self.enableAutoSIPrefix(False)

    def tickSpacing(self, minVal, maxVal, size):  # pyqtgraph API
        """Integer decade spacings only (1, 2, 5, 10, ... decades)."""
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
        """'10ᵏ' at decades, 'm·10ᵏ' between them."""
        return [power_label(v) for v in values]


class IntAxis(pg.AxisItem):
    """An x axis of layer numbers: integer ticks only."""

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
