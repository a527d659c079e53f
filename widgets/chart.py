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
from PySide6.QtCore import QEvent, QPointF, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QCursor, QFont, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem, QToolTip

from depthlens.engine import COLUMNS, Result
from depthlens.engine.health import (
    BLANK,
    EXPLODING,
    HEALTH_NAMES,
    HEALTHY,
    NONFINITE,
    VANISHING,
    ZERO,
    SeriesData,
    overflow_label,
    series_data,
)
from depthlens.engine.numbers import sig
from depthlens.engine.views import COLUMN_WORDS, SERIES_LABELS, THEORY_COLUMN, VIEW_LABELS, VIEW_SERIES, VIEWS

from . import chart_fit, chart_legend
from . import theme as themes
from .axes import IntAxis, PowerAxis, baseline_label, fit_axis_width, y_limits
from .caption_item import CaptionItem
from .health_bars import HealthBars
from .pin import Ghost, pin_label

COLOUR_RULE = (
    "Bar colour: healthy within ×10 of the reference layer (layer 0 for activations, the "
    "output layer L for gradients and weight gradients), exploding above, vanishing below; "
    "hatched bars are inf/NaN (top) or exact zeros (bottom)."
)

TWEEN_MS = 150
FRAME_MS = 16
TOOLTIP_MS = 600_000  # a bar's tooltip stays while the mouse rests on the bar (Qt's default: ~10 s)
STALE_OPACITY = 0.35  # the bars while a slow computation runs
SHRINK_AFTER = 3  # results in a row that ask for a narrower y axis before it narrows
NOTE_CHARS = 90  # a longer "no theory line" note shows its first clause in the plot (the readout has it all)


def chart_note(note: str) -> str:
    """The plot's one-line note when there is no theory line: "no theory line" once, short.

    A long note (batch norm's is four lines) drawn in one line over the plot runs off both
    of its sides; its first clause names the case and the readout says the rest.
    """
    if len(note) > NOTE_CHARS:
        note = note.split(". ")[0].split(": ")[0] + " (see the readout)"
    return note if note.startswith("no theory line") else f"no theory line: {note}"


def format_value(x: float) -> str:
    """A value for tooltips: 4 significant digits, inf/NaN spelled out."""
    return sig(x, 4)


class LayerChart(pg.GraphicsLayoutWidget):
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

    def _pt(self, size: float) -> str:
        return f"{size * self.font_scale:.3g}pt"

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

    def layer_tooltip(self, layer: int) -> str:
        """Every CSV column of `layer` in words with its number, the bars' health and the pin, as rich text."""
        r = self.result
        if r is None or not 0 <= layer <= r.depth:
            return ""
        rows = []
        pin = self.pinned
        for name in COLUMNS[1:]:
            if name.startswith("theory_") and not r.theory.defined:
                text = "—"
            else:
                v = float(r.column(name)[layer])
                text = "—" if (layer == 0 and name in ("weight_grad_rms", "inactive_fraction")) else format_value(v)
            pinned_row = pin is not None and layer <= pin.depth and not (layer == 0 and name == "weight_grad_rms")
            if pin is not None and pinned_row and name in SERIES_LABELS:
                text += f" (pinned {format_value(float(pin.column(name)[layer]))})"
            rows.append(f"<tr><td>{COLUMN_WORDS[name]}</td><td align='right'>&nbsp;{text}</td></tr>")
        health = ", ".join(
            f"{SERIES_LABELS[c]}: {HEALTH_NAMES[int(s.codes[layer])]}"
            for c, s in self._series.items()
            if s.codes[layer] != BLANK
        )
        return f"<b>layer {layer}</b><br>{health}<table>{''.join(rows)}</table>"

    def layer_at(self, scene_pos: QPointF) -> int | None:
        """The layer under a scene position inside the plot, if any."""
        if self.result is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        layer = round(p.x())
        if 0 <= layer <= self.result.depth and abs(p.x() - layer) <= 0.5:
            return int(layer)
        return None

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

    def _label_left_axis(self, *_args) -> None:
        """The y axis title, shorter when the plot is lower than it (it would run into the title and x axis)."""
        scale = "linear" if self.linear else "log"
        font = QFont()
        font.setPointSizeF(12 * self.font_scale)
        fm = QFontMetricsF(font)
        room = self.plot.vb.height()
        texts = (f"RMS ({scale} scale)", f"RMS ({scale})", "RMS")
        # a line's height to spare at each end: pyqtgraph centres the title on the axis, not the plot
        label = next((t for t in texts if fm.horizontalAdvance(t) + 2 * fm.height() <= room), texts[-1])
        key = (label, self.theme.foreground, self._pt(12))
        if key != getattr(self, "_left_label", None):  # setLabel relayouts the axis: only on a change
            self._left_label = key
            self.plot.getAxis("left").setLabel(label, color=key[1], **{"font-size": key[2]})

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

    def _fit_left_axis(self) -> None:
        """Make the y axis as wide as its widest tick label in the target range plus its title."""
        left = self.plot.getAxis("left")
        font = left.style.get("tickFont") or QFont()
        _, _, y0, y1 = self._range_to
        height = max(100.0, self.plot.vb.height())
        key = (y0, y1, height, self.font_scale, font.key(), left.label.toHtml() if left.label else "")
        cached = getattr(self, "_left_fit", None)
        if cached is not None and cached[0] == key:
            width = cached[1]  # same range, height and fonts: same labels, same width
        else:
            labels = [t for _, vals in left.tickValues(y0, y1, height) for t in left.tickStrings(vals, 1.0, 1.0)]
            width = fit_axis_width(font, 12 * self.font_scale, labels, left)
            self._left_fit = (key, width)
        current = left.fixedWidth
        # A new width relayouts the whole chart (milliseconds). Wider at once, so no label is
        # cut; narrower only once SHRINK_AFTER results in a row asked for less, so a drag
        # whose range swings between 10¹ and 10¹⁵ does not relayout on every result.
        if current is None or width > current:
            self._narrower = 0
            left.setWidth(width)
        elif width < current:
            self._narrower += 1
            if self._narrower >= SHRINK_AFTER:
                self._narrower = 0
                left.setWidth(width)
        else:
            self._narrower = 0

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

    def _update_labels(self, floor: float, marker: float, offsets: tuple[float, float]) -> None:
        for label in self._labels:
            label.hide()
        i = 0
        depth = self.result.depth if self.result else 0
        for slot, (col, s) in enumerate(self._series.items()):
            what = SERIES_LABELS[col].replace(" RMS", "")
            if s.first_bad is not None:
                text = overflow_label(self.result, col, s.first_bad)
                lab = self._labels[i]
                i += 1
                lab.setText(text)
                anchor_x = 1.0 if s.first_bad > depth / 2 else 0.0
                lab.setAnchor((anchor_x, 1.0 + 0.9 * slot))
                lab.setPos(s.first_bad + offsets[slot], marker)
                lab.show()
            if s.first_zero is not None:
                if self.result is not None and self.result.settings.init == "zeros":
                    # Not an underflow: W = 0 passes nothing back (and every unit is phi(0) forward).
                    if col == "activation_rms":
                        text = f"{what} exactly 0 from layer {s.first_zero} (W = 0: every unit is φ(0))"
                    else:
                        text = f"{what} exactly 0 below layer {depth} (W = 0 passes nothing back)"
                else:
                    text = f"{what} underflow to 0 at layer {s.first_zero}"
                lab = self._labels[i]
                i += 1
                lab.setText(text)
                anchor_x = 1.0 if s.first_zero > depth / 2 else 0.0
                lab.setAnchor((anchor_x, 1.0 + 0.9 * slot))  # above the stubs, a line per series
                lab.setPos(s.first_zero + offsets[slot], floor)
                lab.show()

    def _update_note(self) -> None:
        r = self.result
        if r is not None and not r.theory.defined:
            self._note.setText(chart_note(r.theory.note))
            self._note.show()
        else:
            self._note.hide()

    def _update_title(self) -> None:
        t = self.theme
        if self.result is None:
            # Not "depthlens": the window's title already says it (it read twice).
            text = "Computing the first result…"
        else:
            s = self.result.settings
            text = (
                f"{VIEW_LABELS[self.view]} per layer{' —<br>' if self.font_scale > 1.2 else ' — '}"  # 2 lines if large
                f"{s.activation}, {s.init} init, "
                f"s = {s.scale:.3g}, L = {s.depth}, n = {s.width}, B = {s.batch}, {s.dtype}"
            )
        key = (text, t.foreground, self._pt(12))
        if key == getattr(self, "_title_key", None):
            return  # the same title: no relayout (a result at another scale changes it, a tween frame not)
        self._title_key = key
        self.title.setText(text, color=key[1], size=key[2])
        self.fit_width()

    def fit_width(self) -> None:
        """Wrap the title and the colour rule and narrow the legend to the chart's width."""
        if not hasattr(self, "rule") or getattr(self, "closed", False):  # being built, or closed (scene cleared)
            return
        chart_fit.fit_width(self, self.ci, [self.title, self.rule], self.legend, self.legend_columns)

    def set_legend_columns(self, columns: int) -> None:
        """Use at most `columns` legend columns (fewer if they do not fit)."""
        self.legend_columns = max(1, int(columns))
        self.fit_width()

    def resizeEvent(self, event) -> None:  # Qt override
        """Refit title and legend to the new width."""
        super().resizeEvent(event)
        self.fit_width()

    def _legend_state(self) -> tuple:
        """What the legend shows: rebuilt only when this changes."""
        shows_bad = any(np.isin(s.codes, (NONFINITE, ZERO)).any() for s in self._series.values())  # not BLANK
        pinned = pin_label(self.pinned) if self.pinned is not None else ""
        extra = tuple(text for _, text in self._extra_legend)
        looks = (self.theme.name, self.view, self.pen_scale, self.font_scale)
        return (*looks, shows_bad, bool(self._theory_targets), pinned, extra)

    def _update_legend(self) -> None:
        t = self.theme
        key = self._legend_state()
        if key == self._legend_key:
            return  # rebuilding the legend costs ~30 ms: only when its content changes
        self._legend_key = key
        shows_bad, pinned = key[4], key[6]
        self.legend.clear()
        k = self.pen_scale  # sample lines grow with an export's scale like the plot's do
        self.legend.setLabelTextColor(t.foreground)
        self.legend.setLabelTextSize(self._pt(11))
        own = chart_legend.rows(
            t,
            solid=self._brush_sets[0],
            outlined=self._brush_sets[1],
            shows_bad=shows_bad,
            both=self.view == "both",
            theory=bool(self._theory_targets),
            pinned=pinned,
            ghost_pen=self._ghost.pen(t.foreground, max(1.0, t.line_width * 0.75) * k) if pinned else None,
            k=k,
        )
        for sample, text in own:
            self.legend.addItem(sample, text)
        for sample_item, text in self._extra_legend:
            self.legend.addItem(sample_item, text)
        self.fit_width()

    def set_extra_legend(self, entries: list[tuple[object, str]]) -> None:
        """Legend entries of items drawn over the chart by others: (sample item, text)."""
        texts, old = [t for _, t in entries], [t for _, t in self._extra_legend]
        if texts == old:
            return
        rows = self.legend.items
        if old and len(texts) == len(old) and len(rows) >= len(old) and self._legend_key == self._legend_state():
            # Only the words changed (a spread's seed count as its seeds come in): relabel
            # those rows in place; a rebuild would stall the event loop ~30 ms per partial.
            self._extra_legend = [(sample, text) for (sample, _), text in zip(self._extra_legend, texts, strict=True)]
            labels = [label for _, label in rows[-len(texts) :]]
            widths = [label.itemRect().width() for label in labels]
            for label, text in zip(labels, texts, strict=True):
                label.setText(text)
            self._legend_key = self._legend_state()
            if widths != [label.itemRect().width() for label in labels]:
                self.fit_width()  # only a wider or narrower row can change the legend's columns
            return
        self._extra_legend = list(entries)
        self._update_legend()

    def _update_rule(self) -> None:
        """The line under the legend: what a bar's colour is compared with, where bars start."""
        t = self.theme
        ref = {
            "activations": "layer 0 (the input)",
            "gradients": "layer L (the output)",
            "weight_gradients": "layer L (the output)",
            "both": "layer 0 for activations, layer L for gradients",
        }[self.view]
        start = "0" if self.linear else baseline_label(self.baseline)
        where = "" if self.linear else " (below every value shown)"
        bars = f" Bars rise from {start}{where}." if self.result is not None else ""
        key = (f"Colour: each bar compared with {ref}.{bars}", t.foreground, self._pt(9))
        if key == getattr(self, "_rule_key", None):
            return  # unchanged: no relayout
        self._rule_key = key
        self.rule.setText(key[0], color=key[1], size=key[2])
        self.fit_width()

    # -- hover -------------------------------------------------------------------------
    def _on_mouse_moved(self, pos: QPointF) -> None:
        layer = self.layer_at(pos)
        if layer == self.hover_layer:
            return
        self.hover_layer = layer
        if layer is None:
            self.hover_text = ""
            QToolTip.hideText()
            return
        self.hover_text = self.layer_tooltip(layer)
        self._show_tooltip()

    def _bar_rect(self, layer: int) -> QRect:
        """The widget rectangle of layer `layer`'s column (the tooltip stays while the mouse is in it)."""
        vb = self.plot.vb
        _, _, y0, y1 = self._range_shown
        a = vb.mapViewToScene(QPointF(layer - 0.5, y1))
        b = vb.mapViewToScene(QPointF(layer + 0.5, y0))
        return QRect(self.mapFromScene(a), self.mapFromScene(b)).normalized()

    def _show_tooltip(self) -> None:
        if self.hover_layer is None or not self.hover_text:
            return
        rect = self._bar_rect(self.hover_layer)
        QToolTip.showText(QCursor.pos(), self.hover_text, self, rect, TOOLTIP_MS)

    def viewportEvent(self, ev) -> bool:  # Qt override
        """Keep the bar's tooltip against Qt's own tooltip event.

        That event goes to the scene, which finds no item with a tooltip under the mouse and
        hides ours: it vanished about a second after the mouse stopped.
        """
        if ev.type() == QEvent.Type.ToolTip:
            if self.hover_layer is not None:
                self._show_tooltip()
            ev.accept()
            return True
        return super().viewportEvent(ev)

    def leaveEvent(self, event) -> None:  # Qt override
        """Forget the hovered layer when the mouse leaves the chart."""
        self.hover_layer = None
        QToolTip.hideText()
        super().leaveEvent(event)
