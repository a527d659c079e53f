"""The layer chart: one bar per layer, height = log10 of an RMS, axis in powers of ten.

pyqtgraph's BarGraphItem has no log mode, so the chart plots log10 values and labels the
y axis itself (10⁻⁴⁰ .. 10⁴⁰ and beyond). inf/NaN never reach pyqtgraph: such layers
are drawn as hatched bars up to the top of the axis with a text label, exact zeros as
hatched bars down to the bottom.

Colour rule (also in the legend and the chart's tooltip): a bar is *healthy* when it is
within a factor of 10 of its reference layer (layer 0, the input, for activations; layer
L, the output, for gradients and weight gradients, which flow backwards), *exploding*
above that and *vanishing* below.

Bars rise from a baseline: the whole decade at the bottom of the axis, below the smallest
value in view, so an RMS of exactly 1 is a visible bar (the legend's rule line names it).
`set_linear(True)` plots the RMS itself on a linear axis from 0 (how small 1e-15 really is).
`pin()` keeps the current result as a faded ghost (widgets.pin) under the next ones.

One BarGraphItem per series is created once and updated with `setOpts`; new results
tween from the bars' current heights over ~150 ms (a QTimer at ~60 fps).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QGraphicsItem

from depthlens.engine import Result
from depthlens.engine.health import (
    BLANK,
    EXPLODING,
    HEALTHY,
    NONFINITE,
    VANISHING,
    ZERO,
    SeriesData,
    series_data,
)
from depthlens.engine.views import THEORY_COLUMN, VIEW_SERIES, VIEWS

from . import chart_fit
from . import theme as themes
from .axes import IntAxis, PowerAxis, y_limits
from .caption_item import CaptionItem
from .chart_hover import ChartHover
from .health_bars import HealthBars
from .pin import Ghost

COLOUR_RULE = (
    "Bar colour: healthy within ×10 of the reference layer (layer 0 for activations, the "
    "output layer L for gradients and weight gradients), exploding above, vanishing below; "
    "hatched bars are inf/NaN (top) or exact zeros (bottom)."
)

TWEEN_MS = 150
FRAME_MS = 16
STALE_OPACITY = 0.35  # the bars while a slow computation runs


class LayerChart(ChartHover):
    """Bars per layer of the current result, with theory line, legend and markers.

    Public API: `set_result(result)`, `set_view(name)`, `set_theme(name)`, `result`,
    `view`, `bar_heights(column)`, `layer_tooltip(layer)`, `animating`.
    """

    result_shown = Signal(object)  # emitted when a new result becomes the chart's target
    frame_drawn = Signal()  # emitted after the bars were updated (each tween frame)

    def __init__(self, parent=None, *, theme: str = themes.DEFAULT_THEME, view: str = "both") -> None:
        super().__init__(parent)
        self.theme = themes.get(theme)
        self.view = view if view in VIEWS else "both"
        self.result: Result | None = None
        self.animation_ms = TWEEN_MS
        self.pen_scale = 1.0  # line widths x this (exports rendered larger than the widget)
        self.font_scale = 1.0  # font sizes x this (presentation mode, font size +/-)
        self.show_theory = True  # draw the theory line (T key)
        self.linear = False  # RMS on a linear axis instead of log10
        self.pinned: Result | None = None  # drawn as a ghost under the current bars
        self.stale: float | None = None  # progress 0..1 of a slow computation the bars predate
        self.caption_text = ""  # the readout under the chart ("figure with caption" exports)
        self.baseline = 0.0  # the bars' bottom (log10, or 0 on the linear axis)
        self.hover_layer: int | None = None
        self._extra_legend: list[tuple[object, str]] = []  # entries of add-ons (the spread band)
        self.hover_text = ""
        self._series: dict[str, SeriesData] = {}
        self._theory_targets: dict[str, np.ndarray] = {}
        self._legend_key: tuple | None = None
        self._theory_styles: dict[int, tuple] = {}  # slot -> the look last given to its line
        self._narrower = 0  # results in a row whose y labels need a narrower axis

        self.ci.setContentsMargins(8, 8, 16, 8)
        self.title = chart_fit.StableLabel("")
        self.addItem(self.title, row=0, col=0)
        self.plot = self.addPlot(
            row=1,
            col=0,
            axisItems={"left": PowerAxis("left"), "bottom": IntAxis("bottom")},
        )
        self.legend_columns = 6  # at most; fewer when the chart is narrow (widgets/chart_fit.py)
        self.legend = pg.LegendItem(colCount=6, horSpacing=18, verSpacing=-4)
        # pyqtgraph's legend ignores transformations (meant to float over a plot at a fixed
        # size): in this layout that kept it tiny in a 3840x2160 export.
        self.legend.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, False)
        self.addItem(self.legend, row=2, col=0)
        self.legend.setToolTip(COLOUR_RULE)
        self.rule = chart_fit.StableLabel("")
        self.addItem(self.rule, row=3, col=0)
        for row in (0, 2, 3):  # spare height goes to the plot, not around the title and legend
            self.ci.layout.setRowStretchFactor(row, 0)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.rule.setToolTip(COLOUR_RULE)
        self.caption = CaptionItem()
        self.caption.hide()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.disableAutoRange()
        self.plot.showGrid(x=False, y=True)
        self.plot.setLabel("bottom", "layer l")
        self.plot.getAxis("left").setWidth(64)
        self.plot.vb.sigResized.connect(self._label_left_axis)

        # One BarGraphItem per series slot, reused for every result (slot 0 and 1).
        self._bars = [HealthBars(x=[0], height=[0], width=0.8, pen=None) for _ in range(2)]
        for item in self._bars:
            item.setZValue(1)
            self.plot.addItem(item)
        self._theory_lines = [pg.PlotDataItem() for _ in range(2)]
        for line in self._theory_lines:
            line.setZValue(3)
            self.plot.addItem(line)
        self._labels = [pg.TextItem(anchor=(0.0, 1.0)) for _ in range(4)]
        for label in self._labels:
            label.setZValue(4)
            label.hide()
            self.plot.addItem(label)
        self._baseline = pg.InfiniteLine(pos=0, angle=0, movable=False)
        self._baseline.setZValue(2)
        self.plot.addItem(self._baseline)
        self._note = pg.TextItem(anchor=(1.0, 0.0))
        self._note.setZValue(4)
        self.plot.addItem(self._note)
        self._ghost = Ghost(self.plot)
        self._stale_text = pg.TextItem(anchor=(0.5, 0.0))
        self._stale_text.setZValue(5)
        self._stale_text.hide()
        self.plot.addItem(self._stale_text)

        # Tween state: per bar slot, the heights on screen, their start and end values.
        self._shown: list[np.ndarray] = [np.zeros(0), np.zeros(0)]
        self._from: list[np.ndarray] = [np.zeros(0), np.zeros(0)]
        self._to: list[np.ndarray] = [np.zeros(0), np.zeros(0)]
        self._final_len = 0
        self._final_codes: list[np.ndarray] = [np.zeros(0, np.int8), np.zeros(0, np.int8)]
        self._theory_shown: list[np.ndarray] = [np.zeros(0), np.zeros(0)]
        self._theory_from: list[np.ndarray] = [np.zeros(0), np.zeros(0)]
        self._range_shown: tuple[float, ...] = (-0.5, 1.5, -1.0, 1.0)  # x0, x1, y0, y1
        self._range_from: tuple[float, ...] = self._range_shown
        self._range_to: tuple[float, ...] = self._range_shown
        self._t0 = 0.0
        self._paint_ms = 0.0
        self._timer = QTimer(self)
        self._timer.setObjectName("depthlens.chart.tween")
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._frame)

        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.setToolTip("")
        self.apply_theme()
        self._apply_range(self._range_shown)

    # -- public API ------------------------------------------------------------------
    @property
    def animating(self) -> bool:
        """True while a tween is running."""
        return self._timer.isActive()

    def set_theme(self, name: str) -> None:
        """Switch colours (widgets.theme) and redraw the current result."""
        self.theme = themes.get(name)
        self.apply_theme()
        if self.result is not None:
            self.set_result(self.result, animate=False)

    def set_pen_scale(self, k: float) -> None:
        """Multiply line widths by `k` (cosmetic pens do not grow with an export's scale)."""
        self.pen_scale = float(k)
        self.set_theme(self.theme.name)

    def set_font_scale(self, k: float) -> None:
        """Multiply every font size of the chart by `k` (title, axes, legend)."""
        self.font_scale = float(k)
        self.set_theme(self.theme.name)

    def set_theory_visible(self, visible: bool) -> None:
        """Show or hide the theory line (and its legend entry)."""
        self.show_theory = bool(visible)
        self.set_theme(self.theme.name)

    def set_view(self, view: str) -> None:
        """Show activations, gradients, weight_gradients, or both side by side."""
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}")
        if view == self.view:
            return
        self.view = view
        if self.result is not None:
            # Different series in the slots: restart from the baseline (a short grow).
            self._shown = [np.zeros(0), np.zeros(0)]
            self.set_result(self.result)
        else:
            self._update_legend()

    def set_linear(self, linear: bool) -> None:
        """Plot the RMS itself on a linear axis from 0 (True) or its log10 (False)."""
        linear = bool(linear)
        if linear == self.linear:
            return
        self.linear = linear
        self.plot.getAxis("left").linear = linear
        self._shown = [np.zeros(0), np.zeros(0)]  # another scale: regrow from the baseline
        self._theory_shown = [np.zeros(0), np.zeros(0)]
        self.apply_theme()
        if self.result is not None:
            self.set_result(self.result, animate=False)

    def pin(self, result: Result | None = None) -> None:
        """Keep `result` (default: the one shown) as a faded ghost under the next results."""
        self.pinned = result if result is not None else self.result
        if self.result is not None:
            self.set_result(self.result, animate=False)
        else:
            self._update_legend()

    def unpin(self) -> None:
        """Remove the ghost."""
        self.pinned = None
        self._ghost.hide()
        if self.result is not None:
            self.set_result(self.result, animate=False)

    def set_stale(self, fraction: float | None) -> None:
        """Dim the bars and show the progress of the computation that will replace them (None: done)."""
        self.stale = None if fraction is None else min(1.0, max(0.0, float(fraction)))
        opacity = 1.0 if self.stale is None else STALE_OPACITY
        for item in (*self._bars, *self._theory_lines, *self._ghost.fills, *self._ghost.lines):
            item.setOpacity(opacity)
        if self.stale is None:
            self._stale_text.hide()
            return
        x0, x1, _, y1 = self._range_shown
        self._stale_text.setText(f"computing the new settings… {100 * self.stale:.0f} %")
        self._stale_text.setPos(0.5 * (x0 + x1), y1)
        self._stale_text.show()

    def set_caption(self, text: str) -> None:
        """Show `text` (the readout) under the chart, for a figure with its caption; '' hides it."""
        self.caption_text = text
        if text and self.caption.scene() is None:
            self.addItem(self.caption, row=4, col=0)
        elif not text and self.caption.scene() is not None:
            self.removeItem(self.caption)
        self.caption.setVisible(bool(text))
        self._style_caption()

    def _style_caption(self) -> None:
        if self.caption_text:
            self.caption.set_text(self.caption_text, self.theme.foreground, 10 * self.font_scale)

    def export_state(self) -> dict:
        """What an export of this chart must show besides the result (see `apply_state`)."""
        return {"linear": self.linear, "pinned": self.pinned, "theory": self.show_theory}

    def apply_state(self, state: dict) -> None:
        """Show the axis mode, ghost and theory line of `export_state()` of another chart."""
        self.show_theory = bool(state.get("theory", True))
        self.linear = bool(state.get("linear", False))
        self.plot.getAxis("left").linear = self.linear
        self.pinned = state.get("pinned")
        self.apply_theme()

    def level(self, logs: np.ndarray) -> np.ndarray:
        """log10 values as drawn: themselves, or 10**x on the linear axis."""
        if not self.linear:
            return logs
        with np.errstate(over="ignore"):
            return np.power(10.0, logs)

    def set_result(self, result: Result, *, animate: bool = True) -> None:
        """Make `result` the chart's target; tween the bars from their current heights."""
        self.result = result
        columns = VIEW_SERIES[self.view]
        self._series = {c: series_data(result, c) for c in columns}
        self._theory_targets = {}
        if result.theory.defined and self.show_theory:
            for c in columns:
                if c in THEORY_COLUMN:
                    rms = np.asarray(result.column(THEORY_COLUMN[c]), dtype=np.float64)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        logs = np.where(np.isfinite(rms) & (rms > 0), np.log10(rms), np.nan)
                    self._theory_targets[c] = self.level(logs)
        pin = self.pinned
        ghosts = [series_data(pin, c) if pin is not None else None for c in columns]
        shown = [*self._series.values(), *(g for g in ghosts if g is not None)]
        bottom, top, floor, marker = y_limits(shown, list(self._theory_targets.values()), linear=self.linear)
        if not self.linear:
            bottom = float(math.floor(bottom))  # the bars' baseline: a whole decade below every value
        self.baseline = bottom
        # Exact zeros are a short hatched stub on the baseline, not a bar up to the zero
        # markers' level: that height would read as a value (~10x below the smallest one).
        stub = floor if self.linear else bottom + 0.035 * (top - bottom)
        depth = result.depth
        n_new = depth + 1
        n = max(n_new, max(len(s) for s in self._shown))
        self._final_len = n_new

        grouped = len(columns) == 2
        width = 0.4 if grouped else 0.8
        offsets = (-0.2, 0.2) if grouped else (0.0, 0.0)
        x = np.arange(n, dtype=np.float64)
        for slot, item in enumerate(self._bars):
            if slot >= len(columns):
                item.hide()
                self._shown[slot] = np.zeros(0)
                continue
            s = self._series[columns[slot]]
            target = np.zeros(n)
            target[:n_new] = self._heights(s, stub, marker)
            start = np.zeros(n)
            cur = self._shown[slot][:n]
            start[: cur.size] = cur
            self._from[slot] = start
            self._to[slot] = target
            codes = np.full(n, BLANK, dtype=np.int8)
            codes[:n_new] = s.codes
            old = self._final_codes[slot][n_new:n]
            codes[n_new : n_new + old.size] = old  # bars going away keep their colour while they shrink
            self._final_codes[slot] = codes[:n_new].copy()
            pen = pg.mkPen(self.theme.gradient_tint, width=self.pen_scale) if grouped and slot == 1 else pg.mkPen(None)
            base = self._range_shown[2]
            item.setOpts(x=x + offsets[slot], width=width, y0=base, height=start - base, pen=pen)
            item.set_codes(codes, self._brush_sets[1 if grouped and slot == 1 else 0])
            item.show()

        if pin is None:
            self._ghost.hide()
        else:
            self._ghost.draw(
                ghosts,
                lambda g: self._heights(g, stub, marker),
                offsets,
                width,
                bottom,
                (self.theme.foreground, self.theme.background),
                max(1.0, self.theme.line_width * 0.75) * self.pen_scale,
            )

        for slot, line in enumerate(self._theory_lines):
            col = columns[slot] if slot < len(columns) else None
            t = self._theory_targets.get(col) if col else None
            if t is None:
                line.hide()
                self._theory_shown[slot] = np.zeros(0)
                continue
            start = np.full(n_new, np.nan)
            cur = self._theory_shown[slot][:n_new]
            start[: cur.size] = cur
            # Points without a finite start jump straight to the target.
            start = np.where(np.isfinite(start), start, t)
            self._theory_from[slot] = start
            self._style_theory_line(slot, line, grouped, depth <= 120)
            line.show()

        self._range_from = self._range_shown
        right = max(depth, pin.depth if pin is not None else 0)
        self._range_to = (-0.6, right + 0.6, bottom, top)
        self._fit_left_axis()
        self._update_labels(stub, marker, offsets)
        self._update_note()
        self._update_title()
        self._update_legend()
        self._update_rule()
        self.set_stale(None)
        if result.partial is None:  # the bars of a compute still running are not a result yet
            self.result_shown.emit(result)
        if animate and self.animation_ms > 0 and self.isVisible():
            self._t0 = time.perf_counter()
            if not self._timer.isActive():
                self._timer.start()
            self._frame()
        else:
            self._timer.stop()
            self._draw(1.0)

    def stop(self) -> None:
        """Finish any tween at once (used on close, so no timer keeps running)."""
        if self._timer.isActive():
            self._timer.stop()
            self._draw(1.0)

    def bar_heights(self, column: str) -> np.ndarray:
        """The heights (log10) currently drawn for `column` (a copy)."""
        columns = VIEW_SERIES[self.view]
        if column not in columns:
            return np.zeros(0)
        slot = columns.index(column)
        opts = self._bars[slot].opts
        return np.array(opts["height"], dtype=np.float64) + float(opts.get("y0") or 0.0)

    def target_heights(self, column: str) -> np.ndarray:
        """The heights (log10) the bars of `column` are heading to."""
        columns = VIEW_SERIES[self.view]
        if column not in columns:
            return np.zeros(0)
        return self._to[columns.index(column)][: self._final_len].copy()

    def series(self, column: str) -> SeriesData | None:
        """The classified data of `column` in the current view."""
        return self._series.get(column)

    def marker_texts(self) -> list[str]:
        """The visible overflow / underflow labels."""
        return [lab.textItem.toPlainText() for lab in self._labels if lab.isVisible()]

    # -- drawing ---------------------------------------------------------------------
    def apply_theme(self) -> None:
        """Apply the theme's colours to background, axes, grid and baseline."""
        t = self.theme
        self.setBackground(t.background)
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(pg.mkPen(t.foreground, width=self.pen_scale))
            ax.setTextPen(pg.mkPen(t.foreground))
            ax.setGrid(int(255 * t.grid_alpha) if name == "left" else False)
        tick_font = QFont()
        tick_font.setPointSizeF(11 * self.font_scale)
        k = max(self.font_scale, self.pen_scale)
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setStyle(tickFont=tick_font, tickLength=round(-5 * k), tickTextOffset=round(3 * k))
        self._label_left_axis()
        self._fit_left_axis()
        self.plot.getAxis("bottom").setLabel("layer l", color=t.foreground, **{"font-size": self._pt(12)})
        self._baseline.setPen(pg.mkPen(t.foreground, width=self.pen_scale))
        solid = {
            EXPLODING: QBrush(QColor(t.exploding)),
            HEALTHY: QBrush(QColor(t.healthy)),
            VANISHING: QBrush(QColor(t.vanishing)),
            NONFINITE: QBrush(QColor(t.overflow), Qt.BrushStyle.DiagCrossPattern),
            ZERO: QBrush(QColor(t.overflow), Qt.BrushStyle.BDiagPattern),
            BLANK: QBrush(Qt.BrushStyle.NoBrush),
        }
        # Gradient bars: the colour at 55 % over the background, pre-blended into an opaque
        # colour (bars never overlap). Qt's raster engine fills translucent, fractional
        # rects about 20x slower than opaque ones: 20 ms a frame at 1000 bars.
        bg = QColor(t.background)
        light = {}
        for code, b in solid.items():
            c = QColor(b.color())
            if b.style() == Qt.BrushStyle.SolidPattern:
                a = 140 / 255
                fg_rgb = (c.redF(), c.greenF(), c.blueF())
                bg_rgb = (bg.redF(), bg.greenF(), bg.blueF())
                c = QColor.fromRgbF(*(a * x + (1 - a) * y for x, y in zip(fg_rgb, bg_rgb, strict=True)))
            light[code] = QBrush(c, b.style())
        self._brush_sets = (solid, light)
        backing = QColor(t.background)
        backing.setAlpha(215)  # marker labels stay legible over the bars they describe
        for label in (*self._labels, self._stale_text):
            label.setColor(t.foreground)
            label.fill = pg.mkBrush(backing)
            label.update()
        self._note.setColor(t.foreground)
        self._stale_text.setColor(t.foreground)
        self._style_caption()
        self._update_title()
        self._update_legend()
        self._update_rule()

    def _style_theory_line(self, slot: int, line: pg.PlotDataItem, grouped: bool, dots: bool) -> None:
        """Pen and dots of theory line `slot`; set only when they change (setPen redraws the line)."""
        t = self.theme
        key = (t.name, t.theory, t.background, t.line_width, self.pen_scale, grouped, dots)
        if self._theory_styles.get(slot) == key:
            return
        self._theory_styles[slot] = key
        style = Qt.PenStyle.DashLine if grouped and slot == 1 else Qt.PenStyle.SolidLine
        line.setPen(pg.mkPen(t.theory, width=t.line_width * self.pen_scale, style=style))
        line.setSymbol("o" if dots else None)
        line.setSymbolSize(6 if grouped else 7)
        line.setSymbolPen(pg.mkPen(t.theory, width=1))
        line.setSymbolBrush(pg.mkBrush(t.background if slot == 1 else t.theory))

    def _heights(self, s: SeriesData, floor: float, marker: float) -> np.ndarray:
        level = self.level(s.logs)
        h = np.where(np.isfinite(level), level, 0.0)
        h[s.codes == NONFINITE] = marker
        h[s.codes == ZERO] = floor
        h[s.codes == BLANK] = 0.0
        return h

    def paintEvent(self, event) -> None:  # Qt override
        """Paint, and remember how long it took (the tween adapts its frame rate)."""
        t0 = time.perf_counter()
        super().paintEvent(event)
        ms = (time.perf_counter() - t0) * 1000.0
        self._paint_ms = 0.7 * self._paint_ms + 0.3 * ms

    def _frame(self) -> None:
        # Frames no closer than 1.5x the paint time (16..50 ms): a 1000-bar chart on a slow
        # machine then tweens at a lower rate instead of starving the event loop.
        self._timer.setInterval(int(min(50, max(FRAME_MS, 1.5 * self._paint_ms))))
        elapsed = (time.perf_counter() - self._t0) * 1000.0
        t = min(1.0, elapsed / max(1, self.animation_ms))
        self._draw(t)
        if t >= 1.0:
            self._timer.stop()

    def _draw(self, t: float) -> None:
        """Draw the tween at fraction `t` (ease-out cubic); at 1 trim removed bars."""
        e = 1.0 - (1.0 - t) ** 3
        done = t >= 1.0
        r0, r1 = self._range_from, self._range_to
        rng = tuple(a + (b - a) * e for a, b in zip(r0, r1, strict=True))
        base = rng[2]  # the bars rise from the bottom of the axis
        for slot, item in enumerate(self._bars):
            if not item.isVisible():
                continue
            h = self._from[slot] + (self._to[slot] - self._from[slot]) * e
            if done and h.size > self._final_len:
                n = self._final_len
                xs = np.asarray(item.opts["x"])[:n]
                item.setOpts(x=xs, y0=base, height=h[:n] - base)
                item.set_codes(self._final_codes[slot], item._code_brushes)
                h = h[:n]
            else:
                item.setOpts(y0=base, height=h - base)
            self._shown[slot] = h
        columns = VIEW_SERIES[self.view]
        offsets = (-0.2, 0.2) if len(columns) == 2 else (0.0, 0.0)
        for slot, line in enumerate(self._theory_lines):
            if not line.isVisible():
                continue
            target = self._theory_targets[columns[slot]]
            y = self._theory_from[slot] + (target - self._theory_from[slot]) * e
            ok = np.isfinite(y)
            xs = np.arange(y.size, dtype=np.float64) + offsets[slot]
            line.setData(xs[ok], y[ok])
            self._theory_shown[slot] = y
        self._apply_range(rng)
        # pyqtgraph defers the view transform (and TextItem transforms) to the paint; changed
        # there, they dirty the scene again and it is painted twice. Settle them now.
        self.scene().prepareForPaint()
        self.frame_drawn.emit()

    def _apply_range(self, rng: tuple[float, ...]) -> None:
        self._range_shown = rng
        x0, x1, y0, y1 = rng
        self.plot.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        if self._note.isVisible():
            self._note.setPos(x1, y1)

    def resizeEvent(self, event) -> None:  # Qt override
        """Refit title and legend to the new width."""
        super().resizeEvent(event)
        self.fit_width()
