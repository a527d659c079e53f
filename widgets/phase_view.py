"""Phase diagram view: the mean-field gradient factor chi_1 over (sigma_w^2, sigma_b^2).

Colour = log10 chi_1 (cividis, clipped to 1/4 .. 4) where a stable fixed point q* exists,
and a region of its own colour where it does not ("q* unbounded": the variance grows
without bound). The critical line chi_1 = 1 is drawn solid, the divergence line where q*
jumps to infinity dashed, both in a legend; the ordered (vanishing), chaotic (exploding)
and unbounded regions are labelled, and the current network (scale^2, bias_std^2) is a
marker. A click asks for that point (`point_clicked`); the spin boxes set the ranges
(`ranges_changed`). The readout shows q*, chi_1, xi and the region the settings are in.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QPushButton

from depthlens.engine.analysis import PhaseDiagram, PhasePoint
from depthlens.engine.config import RANGES
from depthlens.engine.numbers import sig

from . import theme as themes
from .view_base import PHASE_CMAP, AnalysisView

DEFAULT_W2 = (0.0, 4.0)
DEFAULT_B2 = (0.0, 0.5)
CHI_DECADES = math.log10(4.0)  # colours span chi_1 = 1/4 .. 4
RESOLUTION = (81, 51)  # grid points along sigma_w^2, sigma_b^2
MAX_W2 = RANGES["scale"][1] ** 2  # sigma_w^2 = scale^2
MAX_B2 = RANGES["bias_std"][1] ** 2
UNBOUNDED_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: not a colour of cividis
NO_CRITICAL = "none within the slider's range (s ≤ 10)"
REGION_WORDS = {
    "ordered": "ordered region (gradients vanish)",
    "chaotic": "chaotic region (gradients explode)",
    "critical": "on the critical line",
    "unbounded": "q* unbounded region: no stable fixed point, the variance grows without bound",
}


def format_num(x: float, digits: int = 3) -> str:
    """A readout number: `digits` significant digits, inf as ∞."""
    return sig(x, digits, nan="—", inf="∞", neg_inf="−∞")


def readout_text(p: PhasePoint, critical_w2: float | None, divergence_w2: float | None = None) -> str:
    """The readout for point `p`: its numbers and the region it is in.

    Also, if known, the critical sigma_w^2 and the divergence sigma_w^2 (where q* jumps to
    infinity) at its bias.
    """
    xi = p.xi
    region = p.region
    if region == "unbounded":
        survive = f"{REGION_WORDS['unbounded']} (χ₁ is its q → ∞ limit)"
    elif region == "critical" or math.isinf(xi):
        survive = f"{REGION_WORDS['critical']}: signals survive arbitrarily many layers"
    else:
        survive = f"{REGION_WORDS[region]}: signals survive about {format_num(xi)} layers"
    text = f"q* = {format_num(p.q_star)}   χ₁ = {format_num(p.chi_1, 4)}   ξ = {format_num(xi)} — {survive}."
    if region != "unbounded" and p.runs_away:
        text += (
            f"  A network's input variance v₁ = {format_num(p.q_start)} lies above the unstable fixed point "
            f"{format_num(p.q_unstable)}: from there the variance runs away instead."
        )
    if divergence_w2 is not None and not math.isnan(divergence_w2):
        text += f"  The stable fixed point vanishes (q* jumps to ∞) at σ_w² = {divergence_w2:.3f}."
    if critical_w2 is not None:
        crit = NO_CRITICAL if math.isnan(critical_w2) else f"{critical_w2:.3f}"
        text += f"  Critical σ_w² at σ_b² = {p.sigma_b2:.3g}: {crit}."
    return text


def region_masks(diagram: PhaseDiagram) -> dict[str, np.ndarray]:
    """The grid's regions: ordered / chaotic (finite q*, chi_1 below / above 1) and unbounded."""
    unbounded = diagram.unbounded
    return {
        "ordered": ~unbounded & (diagram.chi_1 < 1),
        "chaotic": ~unbounded & (diagram.chi_1 > 1),
        "unbounded": unbounded,
    }


class PhaseView(AnalysisView):
    """chi_1 heatmap with critical line, region labels, live marker, click-to-set and readout."""

    point_clicked = Signal(float, float)  # sigma_w2, sigma_b2 (within the ranges)
    ranges_changed = Signal(tuple, tuple)  # (w0, w1), (b0, b1)

    CAPTION = (
        "What am I seeing? For very wide networks, each point is a choice of weight variance σ_w² "
        "(= scale²) and bias variance σ_b² (= bias_std²); colour is χ₁, the factor by which "
        "gradients grow per layer: left of the critical line χ₁ = 1 they vanish, right of it they explode. "
        "Purple: no stable fixed point, the variance grows without bound (q* unbounded); the dashed line "
        "is where the fixed point q* jumps to ∞ before χ₁ reaches 1."
    )

    def __init__(self, parent=None, *, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__(parent, theme=theme)
        self.diagram: PhaseDiagram | None = None
        self.point: PhasePoint | None = None
        self.critical_w2: float | None = None
        self.divergence_w2: float | None = None
        self.marker_pos = (1.0, 0.0)
        self.activation = ""
        self.w2_range = DEFAULT_W2
        self.b2_range = DEFAULT_B2

        self.spins: dict[str, QDoubleSpinBox] = {}
        for key, label, lo, hi, value, step in (
            ("w0", "σ_w² from", 0.0, MAX_W2, DEFAULT_W2[0], 0.5),
            ("w1", "to", 0.0, MAX_W2, DEFAULT_W2[1], 0.5),
            ("b0", "   σ_b² from", 0.0, MAX_B2, DEFAULT_B2[0], 0.05),
            ("b1", "to", 0.0, MAX_B2, DEFAULT_B2[1], 0.05),
        ):
            spin = QDoubleSpinBox()
            spin.setRange(lo, hi)
            spin.setDecimals(3)
            spin.setSingleStep(step)
            spin.setValue(value)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._spin_changed)
            self.controls_row.addWidget(QLabel(label))
            self.controls_row.addWidget(spin)
            self.spins[key] = spin
        reset = QPushButton("Reset ranges")
        reset.setToolTip("Back to σ_w² 0..4 and σ_b² 0..0.5.")
        reset.clicked.connect(lambda _=False: self.set_ranges(DEFAULT_W2, DEFAULT_B2, emit=True))
        self.controls_row.addWidget(reset)
        self.controls_row.addStretch(1)

        self.plot = self.graphics.addPlot(row=0, col=0)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        for name in ("left", "bottom"):
            self.plot.getAxis(name).enableAutoSIPrefix(False)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.critical_line = pg.PlotDataItem()
        self.critical_line.setZValue(3)
        self.plot.addItem(self.critical_line)
        self.divergence_line = pg.PlotDataItem()
        self.divergence_line.setZValue(3)
        self.plot.addItem(self.divergence_line)
        self.ordered_label = pg.TextItem("ordered\ngradients vanish\n(χ₁ < 1)", anchor=(0.5, 0.5))
        self.chaotic_label = pg.TextItem("chaotic\ngradients explode\n(χ₁ > 1)", anchor=(0.5, 0.5))
        self.unbounded_label = pg.TextItem("q* unbounded\n(no stable\nfixed point)", anchor=(0.5, 0.5))
        self.critical_label = pg.TextItem("critical line χ₁ = 1", anchor=(0.0, 0.5))
        self.no_critical_label = pg.TextItem("", anchor=(0.5, 0.0))
        for item in (
            self.ordered_label,
            self.chaotic_label,
            self.unbounded_label,
            self.critical_label,
            self.no_critical_label,
        ):
            item.setZValue(4)
            self.plot.addItem(item)
        # Legend under the plot: the two boundary styles and the unbounded region's colour.
        self.unbounded_swatch = pg.ScatterPlotItem(symbol="s", size=14)
        self.legend = pg.LegendItem(colCount=3, horSpacing=18, verSpacing=-4)
        self.graphics.addItem(self.legend, row=1, col=0)
        self.legend.addItem(self.critical_line, "critical line χ₁ = 1")
        self.legend.addItem(self.divergence_line, "q* jumps to ∞ (stable fixed point vanishes)")
        self.legend.addItem(self.unbounded_swatch, "q* unbounded")
        # Two-tone marker: visible on dark and light parts of the map.
        self.marker_outer = pg.ScatterPlotItem(size=22, symbol="o")
        self.marker_inner = pg.ScatterPlotItem(size=22, symbol="o")
        self.marker_dot = pg.ScatterPlotItem(size=6, symbol="o")
        for z, item in enumerate((self.marker_outer, self.marker_inner, self.marker_dot)):
            item.setZValue(6 + z)
            self.plot.addItem(item)
        self.marker_label = pg.TextItem("you are here", anchor=(0.0, 1.3))
        self.marker_label.setZValue(9)
        self.plot.addItem(self.marker_label)

        self.cmap = pg.colormap.get(PHASE_CMAP)
        self.colorbar = pg.ColorBarItem(
            values=(-CHI_DECADES, CHI_DECADES), colorMap=self.cmap, interactive=False, width=14
        )
        self.colorbar.axis.enableAutoSIPrefix(False)
        lg = math.log10
        self.colorbar.axis.setTicks([[(lg(v), f"{v:g}") for v in (0.25, 0.5, 1.0, 2.0, 4.0)]])
        self.graphics.addItem(self.colorbar, row=0, col=1)

        self.readout = QLabel("")
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.column.insertWidget(3, self.readout)
        # For residual / normalised settings: the diagram is the plain net's (engine.block_theory.phase_note).
        self.plain_note = QLabel("")
        self.plain_note.setWordWrap(True)
        self.plain_note.hide()
        self.column.insertWidget(4, self.plain_note)

        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self.set_theme(self.theme.name)
        self._apply_range()

    # -- public --------------------------------------------------------------------
    def set_ranges(self, w2: tuple[float, float], b2: tuple[float, float], *, emit: bool = False) -> None:
        """Show sigma_w^2 over `w2` and sigma_b^2 over `b2` (low < high); `emit` signals it."""
        w2 = (float(w2[0]), float(w2[1]))
        b2 = (float(b2[0]), float(b2[1]))
        if not (0 <= w2[0] < w2[1] <= MAX_W2 and 0 <= b2[0] < b2[1] <= MAX_B2):
            raise ValueError(f"ranges must be 0 <= low < high (σ_w² <= {MAX_W2:g}, σ_b² <= {MAX_B2:g})")
        changed = (w2, b2) != (self.w2_range, self.b2_range)
        self.w2_range, self.b2_range = w2, b2
        for key, v in zip(("w0", "w1", "b0", "b1"), (*w2, *b2), strict=True):
            spin = self.spins[key]
            spin.blockSignals(True)
            spin.setValue(v)
            spin.blockSignals(False)
        self._apply_range()
        self._draw_marker()
        if changed and emit:
            self.ranges_changed.emit(w2, b2)

    def set_diagram(self, diagram: PhaseDiagram) -> None:
        """Show `diagram` (its ranges become the view's)."""
        self.diagram = diagram
        self.activation = diagram.activation
        sw, sb = diagram.sigma_w2, diagram.sigma_b2
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.log10(diagram.chi_1)
        v = np.clip(v, -CHI_DECADES, CHI_DECADES)
        norm = (v + CHI_DECADES) / (2 * CHI_DECADES)
        rgba = self.cmap.map(np.nan_to_num(norm, nan=0.0).reshape(-1), mode="byte").reshape((*norm.shape, 4)).copy()
        rgba[..., 3] = np.where(np.isnan(norm), 0, 255)
        c = QColor(UNBOUNDED_COLOUR)
        rgba[diagram.unbounded] = (c.red(), c.green(), c.blue(), 255)
        # Array is (n_b, n_w): rows = bias; ImageItem wants [x, y] = [w, b].
        self.image.setImage(np.ascontiguousarray(rgba.transpose(1, 0, 2)), autoLevels=False, levels=(0, 255))
        dw = (sw[-1] - sw[0]) / max(1, sw.size - 1)
        db = (sb[-1] - sb[0]) / max(1, sb.size - 1)
        self.image.setRect(QRectF(sw[0] - dw / 2, sb[0] - db / 2, sw[-1] - sw[0] + dw, sb[-1] - sb[0] + db))
        # NaN rows break the lines (connect="finite"): never bridge rows without a boundary.
        self.critical_line.setData(diagram.critical_sigma_w2, sb, connect="finite")
        self.divergence_line.setData(diagram.divergence_sigma_w2, sb, connect="finite")
        self._place_labels()
        self.plot.setTitle(f"χ₁ for {diagram.activation} (mean field)", color=self.theme.foreground)

    def set_marker(self, scale: float, bias_std: float) -> None:
        """Put the "you are here" marker at (scale^2, bias_std^2)."""
        self.marker_pos = (float(scale) ** 2, float(bias_std) ** 2)
        self._draw_marker()
        self._place_labels()  # the critical line's label keeps clear of the marker's

    def set_point(
        self, point: PhasePoint, critical_w2: float | None = None, divergence_w2: float | None = None
    ) -> None:
        """Show the readout of `point` (and the critical and divergence sigma_w^2 at its bias if given)."""
        self.point = point
        self.critical_w2 = critical_w2
        self.divergence_w2 = divergence_w2
        self.readout.setText(readout_text(point, critical_w2, divergence_w2))
        self._place_labels()

    def set_plain_note(self, text: str) -> None:
        """Say (or, with "", stop saying) that the diagram shows the plain net's phases."""
        self.plain_note.setText(text)
        self.plain_note.setVisible(bool(text))

    def readout_text(self) -> str:
        """The readout's text."""
        return self.readout.text()

    def marker_xy(self) -> tuple[float, float]:
        """Where the marker is drawn (clamped into the ranges)."""
        x, y = self.marker_outer.getData()
        return (float(x[0]), float(y[0])) if len(x) else (math.nan, math.nan)

    def clamp(self, w2: float, b2: float) -> tuple[float, float]:
        """(w2, b2) clamped into the shown ranges."""
        return (
            min(max(w2, self.w2_range[0]), self.w2_range[1]),
            min(max(b2, self.b2_range[0]), self.b2_range[1]),
        )

    def click_at(self, w2: float, b2: float) -> None:
        """What a click at (w2, b2) does: emit `point_clicked` with the clamped point."""
        cw, cb = self.clamp(w2, b2)
        self.point_clicked.emit(cw, cb)

    def apply_theme(self) -> None:
        """Recolour axes, line, labels and marker."""
        t = self.theme
        self.style_plot(self.plot, "σ_b² = bias_std²", "σ_w² = scale²")
        self.critical_line.setPen(pg.mkPen(t.theory, width=t.line_width * 1.5))
        self.divergence_line.setPen(pg.mkPen(t.theory, width=t.line_width * 1.5, style=Qt.PenStyle.DashLine))
        self.unbounded_swatch.setPen(pg.mkPen(t.foreground, width=1))
        self.unbounded_swatch.setBrush(pg.mkBrush(UNBOUNDED_COLOUR))
        self.legend.setLabelTextColor(t.foreground)
        self.legend.setLabelTextSize(f"{self.font_pt(1.0):.0f}pt")
        self._relabel_legend()
        bg = QColor(t.background)
        bg.setAlpha(210)
        labels = (
            self.ordered_label,
            self.chaotic_label,
            self.unbounded_label,
            self.critical_label,
            self.no_critical_label,
            self.marker_label,
        )
        for item in labels:
            item.fill = pg.mkBrush(bg)
            item.setColor(t.foreground)
            font = item.textItem.font()
            font.setPointSizeF(self.font_pt(1.0))
            item.setFont(font)
        self.colorbar.axis.setPen(pg.mkPen(t.foreground))
        self.colorbar.axis.setTextPen(pg.mkPen(t.foreground))
        self.colorbar.axis.setLabel("χ₁ (gradient factor per layer)", color=t.foreground)
        self.readout.setStyleSheet(f"QLabel {{ color: {t.foreground}; font-weight: bold; }}")
        self._draw_marker()
        if self.diagram is not None:
            self.plot.setTitle(f"χ₁ for {self.diagram.activation} (mean field)", color=t.foreground)

    # -- drawing -------------------------------------------------------------------
    def _apply_range(self) -> None:
        (w0, w1), (b0, b1) = self.w2_range, self.b2_range
        self.plot.vb.setRange(xRange=(w0, w1), yRange=(b0, b1), padding=0.02)
        self._place_labels()

    def _relabel_legend(self) -> None:
        """Legend text in the theme's colour and the view's font size (LegendItem keeps its own)."""
        style = {"color": self.theme.foreground, "size": f"{self.font_pt(1.0):.0f}pt"}
        for _sample, label in self.legend.items:
            label.setText(label.text, **style)

    def _place_labels(self) -> None:
        (w0, w1), (b0, b1) = self.w2_range, self.b2_range
        d = self.diagram
        region_labels = {
            "ordered": self.ordered_label,
            "chaotic": self.chaotic_label,
            "unbounded": self.unbounded_label,
        }
        if d is None:
            for item in region_labels.values():
                item.hide()
            self.critical_label.hide()
            self.no_critical_label.hide()
            return
        # Each region's label at its middle along a row at 55 % height (or its centroid),
        # shown when the region covers enough of the grid to hold it.
        j = int(np.argmin(np.abs(d.sigma_b2 - (b0 + 0.55 * (b1 - b0)))))
        W, B = np.meshgrid(d.sigma_w2, d.sigma_b2)
        for name, mask in region_masks(d).items():
            item = region_labels[name]
            if mask.mean() < 0.08:
                item.hide()
                continue
            row = np.nonzero(mask[j])[0]
            if row.size:
                x, y = float(np.median(d.sigma_w2[row])), float(d.sigma_b2[j])
            else:
                x, y = float(W[mask].mean()), float(B[mask].mean())
            item.setPos(x, y)
            item.show()
        ok = np.isfinite(d.critical_sigma_w2) & (d.sigma_b2 >= b0) & (d.sigma_b2 <= b1)
        idx = np.nonzero(ok)[0]
        if idx.size:
            k = self._critical_label_row(d.critical_sigma_w2, d.sigma_b2, idx)
            self.critical_label.setPos(float(d.critical_sigma_w2[k]) + 0.01 * (w1 - w0), float(d.sigma_b2[k]))
            self.critical_label.show()
            self.no_critical_label.hide()
        else:
            self.critical_label.hide()
            # Say so instead of drawing nothing: none within the slider's range at this bias
            # (the critical search covers s <= 10), or none in the range shown.
            if self.critical_w2 is not None and math.isnan(self.critical_w2):
                text = f"no critical point χ₁ = 1 {NO_CRITICAL.removeprefix('none ')}"
            elif self.critical_w2 is not None:
                text = f"critical line χ₁ = 1 outside the range shown (σ_w² = {self.critical_w2:.3g} here)"
            else:
                text = "no critical line χ₁ = 1 in the range shown"
            self.no_critical_label.setText(text)
            self.no_critical_label.setPos((w0 + w1) / 2, b1)
            self.no_critical_label.show()

    def _critical_label_row(self, w2: np.ndarray, b2: np.ndarray, idx: np.ndarray) -> int:
        """The row along the critical line for its label: far from the "you are here" marker.

        Candidates at 25, 75, 50, 10 and 90 % of the line; the first whose distance to the
        marker (in fractions of the shown ranges) clears both labels wins, else the farthest.
        """
        (w0, w1), (b0, b1) = self.w2_range, self.b2_range
        mx, my = self.clamp(*self.marker_pos)
        best, best_d = int(idx[int(0.25 * (idx.size - 1))]), -1.0
        for f in (0.25, 0.75, 0.5, 0.1, 0.9):
            k = int(idx[int(f * (idx.size - 1))])
            # The label runs right of the line and the marker's label sits above the marker.
            dx = (float(w2[k]) + 0.12 * (w1 - w0) - mx) / (w1 - w0)
            dy = (float(b2[k]) - my - 0.06 * (b1 - b0)) / (b1 - b0)
            dist = math.hypot(dx / 0.2, dy / 0.12)  # the labels' extent: ~20 % wide, ~12 % tall
            if dist > 1.5:
                return k
            if dist > best_d:
                best, best_d = k, dist
        return best

    def _draw_marker(self) -> None:
        t = self.theme
        x, y = self.clamp(*self.marker_pos)
        outside = (x, y) != self.marker_pos
        self.marker_outer.setData([x], [y], pen=pg.mkPen("#FFFFFF", width=6), brush=None)
        self.marker_inner.setData([x], [y], pen=pg.mkPen("#000000", width=2.5), brush=None)
        self.marker_dot.setData([x], [y], pen=pg.mkPen("#000000", width=1), brush=pg.mkBrush(t.exploding))
        self.marker_label.setText("you are here (outside the range)" if outside else "you are here")
        (w0, w1), _ = self.w2_range, self.b2_range
        self.marker_label.setAnchor((1.0 if x > w0 + 0.7 * (w1 - w0) else 0.0, 1.3))
        self.marker_label.setPos(x, y)

    def _spin_changed(self, _value: float = 0.0) -> None:
        w2 = (self.spins["w0"].value(), self.spins["w1"].value())
        b2 = (self.spins["b0"].value(), self.spins["b1"].value())
        if not (w2[0] < w2[1] and b2[0] < b2[1]):
            self.status.setText("Each range needs low < high.")
            return
        self.status.setText("")
        self.set_ranges(w2, b2, emit=True)

    def _on_click(self, ev) -> None:
        pos: QPointF = ev.scenePos()
        if ev.button() != Qt.MouseButton.LeftButton or not self.plot.vb.sceneBoundingRect().contains(pos):
            return
        p = self.plot.vb.mapSceneToView(pos)
        self.click_at(p.x(), p.y())
