"""The finite-width spread band drawn over the main chart's bars (Hanin & Rolnick 2018).

For each bar shown by the `LayerChart`, a translucent box from the 10th to the 90th
percentile of log10 magnitude over K seeds, with a hollow diamond at the median (not a
line: the theory is the line with filled dots), both named in the chart's legend. Beyond
`BOXES_UP_TO` layers the boxes would be thinner than a few pixels: the band is then one
continuous translucent area through the layers (one filled path: Qt fills translucent
rectangles row by row, so 1000 thin boxes cost ~60 ms a frame, the path ~1 ms). It lives
in the chart's own plot item (added from here, the chart is not modified), follows the
chart's view (which series, side by side or not) and the theme.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen, QPolygonF

from depthlens.engine.analysis import Spread
from depthlens.engine.views import VIEW_SERIES

from . import theme as themes
from .chart import LayerChart

BOX_WIDTH = {1: 0.5, 2: 0.26}  # by number of series shown side by side
OFFSETS = {1: (0.0,), 2: (-0.2, 0.2)}
BOXES_UP_TO = 150  # layers; deeper nets get a continuous band


class BandItem(pg.GraphicsObject):
    """A translucent area between a lower and an upper curve, drawn as one filled path."""

    def __init__(self) -> None:
        super().__init__()
        self._path = QPainterPath()
        self._brush = QBrush()
        self.xs = self.lo = self.hi = np.zeros(0)

    def set_data(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, brush: QBrush) -> None:
        """Fill between `lo` and `hi` (finite) at `x`; a gap in `x` splits the area."""
        self.prepareGeometryChange()
        self.xs, self.lo, self.hi = x, lo, hi
        path = QPainterPath()
        breaks = np.nonzero(np.diff(x) > 1.5)[0] + 1
        for seg in np.split(np.arange(x.size), breaks):
            if seg.size == 1:
                i = int(seg[0])
                path.addRect(QRectF(x[i] - 0.25, lo[i], 0.5, hi[i] - lo[i]))
            elif seg.size > 1:
                xs, up, down = x[seg].tolist(), hi[seg].tolist(), lo[seg].tolist()
                pts = [QPointF(a, b) for a, b in zip(xs, up, strict=True)]
                pts += [QPointF(a, b) for a, b in zip(reversed(xs), reversed(down), strict=True)]
                path.addPolygon(QPolygonF(pts))
                path.closeSubpath()
        self._path = path
        self._brush = brush
        self.update()

    def boundingRect(self) -> QRectF:  # Qt override
        """The filled area's bounds."""
        return self._path.boundingRect()

    def paint(self, p, *args) -> None:  # Qt override
        """One translucent path fill."""
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._brush)
        p.drawPath(self._path)


class SpreadBand:
    """Boxes p10..p90 (log10) per layer around the chart's bars; `set_spread`, `clear`."""

    def __init__(self, chart: LayerChart) -> None:
        self.chart = chart
        self.spread: Spread | None = None
        self.theme = chart.theme
        self.boxes = [pg.BarGraphItem(x=[0], y0=[0], height=[0], width=0.3) for _ in range(2)]
        self.medians = [pg.ScatterPlotItem(symbol="d", size=7) for _ in range(2)]
        self.bands = [BandItem() for _ in range(2)]
        self._style: _Style | None = None
        self._drawn: tuple | None = None  # (spread, (view, linear, theme)) as last drawn
        for item in (*self.boxes, *self.medians, *self.bands):
            item.setZValue(2.5)  # above the bars (1), below theory lines (3)
            item.hide()
            chart.plot.addItem(item)
        self.set_theme(chart.theme.name)

    @property
    def visible(self) -> bool:
        """True while a band is drawn."""
        return any(b.isVisible() for b in (*self.boxes, *self.bands))

    def set_theme(self, name: str) -> None:
        """Colour the band after theme `name`."""
        self.theme = themes.get(name)
        self.redraw()

    def set_spread(self, spread: Spread | None) -> None:
        """Draw `spread` (None: remove the band)."""
        self.spread = spread
        self.redraw()

    def clear(self) -> None:
        """Remove the band."""
        self.set_spread(None)

    def drawn(self, column: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(lower, upper) log10 of the band drawn for `column`, or None if it is not shown."""
        columns = VIEW_SERIES[self.chart.view]
        if column not in columns:
            return None
        slot = columns.index(column)
        if self.bands[slot].isVisible():
            return self.bands[slot].lo.copy(), self.bands[slot].hi.copy()
        if not self.boxes[slot].isVisible():
            return None
        o = self.boxes[slot].opts
        lo = np.asarray(o["y0"], dtype=np.float64)
        return lo, lo + np.asarray(o["height"], dtype=np.float64)

    def redraw(self) -> None:
        """Redraw for the chart's current view (call after the view or result changes)."""
        sp = self.spread
        res = self.chart.result
        if sp is None or res is None or sp.settings.depth != res.depth:
            self._drawn = None
            for item in (*self.boxes, *self.medians, *self.bands):
                item.hide()
            if sp is None or res is None:  # a depth being recomputed keeps its legend rows (no rebuild)
                self.chart.set_extra_legend([])
            return
        # The band depends on the spread and on how the chart maps values, not on its bars:
        # a new result of the same depth (a scale drag) leaves it as drawn.
        looks = (self.chart.view, self.chart.linear, self.theme.name)
        if self._drawn is not None and self._drawn[0] is sp and self._drawn[1] == looks and self.visible:
            return
        self._drawn = (sp, looks)
        columns = VIEW_SERIES[self.chart.view]
        k = len(columns)
        continuous = res.depth > BOXES_UP_TO
        style = self._styled(continuous)
        for slot, (box, med, band) in enumerate(zip(self.boxes, self.medians, self.bands, strict=True)):
            if slot >= k:
                box.hide()
                med.hide()
                band.hide()
                continue
            lo, mid, hi = (self.chart.level(v) for v in sp.band(columns[slot]))  # log10, or RMS on a linear axis
            ok = np.isfinite(lo) & np.isfinite(hi)
            x = np.arange(lo.size, dtype=np.float64)[ok] + OFFSETS[k][slot]
            if continuous:
                band.set_data(x, lo[ok], hi[ok], style.fill)
                band.show()
                box.hide()
            else:
                box.setOpts(x=x, y0=lo[ok], height=hi[ok] - lo[ok], width=BOX_WIDTH[k], brush=style.fill, pen=style.pen)
                box.show()
                band.hide()
            mid_ok = ok & np.isfinite(mid)
            if not mid_ok.any():  # nothing finite to mark (an overflowed net): no empty item
                med.hide()
                continue
            med.setData(x=np.arange(mid.size, dtype=np.float64)[mid_ok] + OFFSETS[k][slot], y=mid[mid_ok])
            med.show()
        n = sp.complete
        box_text, med_text = f"10–90 % over {n} seeds", f"median of {n} seeds"
        self.chart.set_extra_legend([(style.sample_box, box_text), (style.sample_med, med_text)])

    def _styled(self, continuous: bool) -> _Style:
        """The brushes, pens and legend samples of the theme, made once per theme.

        A partial result then only moves the boxes and diamonds: well under a millisecond.
        """
        key = (self.theme.name, continuous)
        if self._style is not None and self._style.key == key:
            return self._style
        t = self.theme
        fill = QColor(t.foreground)
        fill.setAlpha(70 if not t.dark else 90)
        pen = pg.mkPen(t.foreground, width=max(1.0, 0.6 * t.line_width))
        med_pen, med_brush = pg.mkPen(t.foreground, width=1.5), pg.mkBrush(t.background)
        for med in self.medians:  # the diamonds' look: the points' defaults
            med.setSymbol("d")
            med.setSize(5 if continuous else 7)
            med.setPen(med_pen)
            med.setBrush(med_brush)
        self._style = _Style(
            key=key,
            fill=pg.mkBrush(fill),
            pen=pen,
            sample_box=pg.BarGraphItem(x=[0], height=[1], width=1, brush=pg.mkBrush(fill), pen=pen),
            sample_med=pg.ScatterPlotItem(symbol="d", size=7, pen=med_pen, brush=t.background),
        )
        return self._style


@dataclass(frozen=True)
class _Style:
    """How the band looks in one theme: its brushes, pens and legend samples."""

    key: tuple
    fill: QBrush
    pen: QPen
    sample_box: pg.BarGraphItem
    sample_med: pg.ScatterPlotItem
