"""A pinned result drawn as a faded ghost behind the chart's bars, for before/after pictures.

The ghost of each series is a faded fill behind the bars (so a bar that grew covers it and
one that shrank leaves it showing) and a dashed outline of its tops over them (so both
stay readable whichever is taller, at any bar width and in SVG).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from depthlens.engine import Result
from depthlens.engine.health import BLANK, NONFINITE, ZERO, SeriesData

from .health_bars import HealthBars

GHOST_ALPHA = 0.28  # the fill: the foreground colour at this share over the background


def pin_label(result: Result) -> str:
    """Short words for the pinned network, e.g. 'pinned: relu, gaussian, s = 1, L = 50'."""
    s = result.settings
    return f"pinned: {s.activation}, {s.init}, s = {s.scale:.3g}, L = {s.depth}"


def blend(fg: str, bg: str, alpha: float) -> QColor:
    """`fg` at `alpha` over `bg`, as an opaque colour (opaque fills are fast at 1000 bars)."""
    a, b = QColor(fg), QColor(bg)
    fg_rgb, bg_rgb = (a.redF(), a.greenF(), a.blueF()), (b.redF(), b.greenF(), b.blueF())
    mix = (alpha * x + (1 - alpha) * y for x, y in zip(fg_rgb, bg_rgb, strict=True))
    return QColor.fromRgbF(*mix)


def outline_points(x: np.ndarray, tops: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """The tops of bars centred at `x` as one stepped line (left edge, right edge per bar)."""
    xs = np.empty(2 * x.size)
    ys = np.empty(2 * x.size)
    xs[0::2], xs[1::2] = x - width / 2, x + width / 2
    ys[0::2] = ys[1::2] = tops
    return xs, ys


class Ghost:
    """The ghost items of one chart: per bar slot a fill (HealthBars) and an outline line."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.fills = [HealthBars(x=[0], height=[0], width=0.8, pen=None) for _ in range(2)]
        self.lines = [pg.PlotDataItem(connect="finite") for _ in range(2)]
        for item in self.fills:
            item.setZValue(0.5)  # behind the bars (z 1)
            item.hide()
            plot.addItem(item)
        for line in self.lines:
            line.setZValue(2.5)  # over the bars, under the theory line (z 3)
            line.hide()
            plot.addItem(line)

    def hide(self) -> None:
        """Draw nothing."""
        for item in (*self.fills, *self.lines):
            item.hide()

    def pen(self, foreground: str, width: float) -> pg.QtGui.QPen:
        """The outline's pen: dashed, in the foreground colour."""
        return pg.mkPen(foreground, width=width, style=Qt.PenStyle.DashLine)

    def draw(
        self,
        slots: list[SeriesData | None],
        heights: Callable[[SeriesData], np.ndarray],
        offsets: tuple[float, float],
        width: float,
        base: float,
        colours: tuple[str, str],
        pen_width: float,
    ) -> None:
        """Draw the pinned series of each slot (None: nothing there) at `heights(series)`."""
        fg, bg = colours
        fill = QBrush(blend(fg, bg, GHOST_ALPHA))
        hatched = QBrush(blend(fg, bg, 0.5), Qt.BrushStyle.BDiagPattern)
        brushes = dict.fromkeys(range(-1, 8), fill)
        brushes[NONFINITE] = hatched
        brushes[ZERO] = hatched
        brushes[BLANK] = QBrush(Qt.BrushStyle.NoBrush)
        for slot, s in enumerate(slots):
            item, line = self.fills[slot], self.lines[slot]
            if s is None:
                item.hide()
                line.hide()
                continue
            tops = heights(s)
            x = np.arange(tops.size, dtype=np.float64) + offsets[slot]
            item.setOpts(x=x, width=width, y0=base, height=tops - base, pen=None)
            item.set_codes(s.codes, brushes)
            item.show()
            shown = np.where(s.codes == BLANK, np.nan, tops)
            xs, ys = outline_points(x, shown, width)
            line.setData(xs, ys)
            line.setPen(self.pen(fg, pen_width))
            line.show()
