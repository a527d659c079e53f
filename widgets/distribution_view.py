"""Distributions view: a heatmap of every layer's values (Glorot & Bengio 2010 style).

x = layer, y = value on an asinh ("symmetric log") axis so that 10⁻³⁰ and 10³⁰ both have
rows, colour = share of the layer's entries in the bin (viridis; empty bins transparent).
By default the sign is folded away (|value|); "signed" shows both halves. Clicking a layer
shows its histogram in the side plot, with the share of inactive (saturated or dead) units.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QButtonGroup, QCheckBox, QLabel, QRadioButton

from depthlens.engine.analysis import Distributions, Histogram, asinh_decades, decades_to_value

from . import theme as themes
from .view_base import HEATMAP_CMAP, AnalysisView, decade_step, nice_ceiling, power_label

QUANTITY_LABELS = {"activation": "Activations a_l", "gradient": "Gradients ∂loss/∂a_l"}


class AsinhAxis(pg.AxisItem):
    """Axis over t = asinh(x / linthresh) / ln 10, labelled 0, ±10ᵏ at powers of ten."""

    def __init__(self, orientation: str, linthresh: float = 1e-30) -> None:
        super().__init__(orientation)
        self.linthresh = linthresh
        self.min_tick = -math.inf  # no ticks below this (the exact-zero row sits there)

    def tickValues(self, minVal, maxVal, size):  # pyqtgraph API
        """Positions of 0 and of ±10ᵏ for a decade step that fits the axis length."""
        lo, hi = min(minVal, maxVal), max(minVal, maxVal)
        step = decade_step(hi - lo, size, 24.0)
        k_lo = math.floor(math.log10(self.linthresh)) + 1
        k_hi = 308
        ks = np.arange(math.ceil(k_lo / step) * step, k_hi, step)
        pos = asinh_decades(10.0 ** ks.astype(np.float64), self.linthresh)
        lo = max(lo, self.min_tick)
        ticks = [0.0] if lo <= 0 <= hi else []
        for p in pos:
            for v in (p, -p):
                if lo <= v <= hi and math.isfinite(v):
                    ticks.append(float(v))
        return [(float(step), sorted(ticks))]

    def tickStrings(self, values, scale, spacing):  # pyqtgraph API
        """'0', '10ᵏ' or '−10ᵏ'."""
        out = []
        for t in values:
            if abs(t) < 1e-9:
                out.append("0")
                continue
            x = float(decades_to_value(np.array([abs(t)]), self.linthresh)[0])
            k = math.log10(x) if x > 0 and math.isfinite(x) else 0.0
            out.append(("−" if t < 0 else "") + power_label(k))
        return out


def fold(h: Histogram) -> tuple[np.ndarray, float, float]:
    """(counts by |value|, lowest bin's lower edge, bin height) in t: central bin + both signs."""
    counts = h.counts
    half = (counts.shape[1] - 1) // 2
    folded = counts[:, half:].copy()
    folded[:, 1:] += counts[:, half - 1 :: -1] if half > 0 else 0
    dt = float(h.edges_t[1] - h.edges_t[0])
    return folded, float(h.edges_t[half]), dt


class DistributionView(AnalysisView):
    """Heatmap of per-layer histograms plus the selected layer's histogram.

    `set_result(dist)` shows a `Distributions`; `set_quantity("activation"|"gradient")`,
    `set_signed(bool)`, `select_layer(l)`. Signals: `layer_clicked(int)` (a click on the
    heatmap), `quantity_changed(str)`.
    """

    layer_clicked = Signal(int)
    quantity_changed = Signal(str)

    CAPTION = (
        "What am I seeing? Each column is one layer; colour shows what share of that layer's "
        "values fall at each magnitude (up = larger), so a band drifting down with depth means "
        "the signal is vanishing, drifting up means it is exploding."
    )

    def __init__(self, parent=None, *, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__(parent, theme=theme)
        self.dist: Distributions | None = None
        self.quantity = "activation"
        self.signed = False
        self.layer = 0
        self._image_info: tuple[float, float] = (0.0, 1.0)  # (y0, bin height)
        self._levels = (0.0, 1.0)

        self.controls_row.addWidget(QLabel("Show:"))
        self._group = QButtonGroup(self)
        self.quantity_buttons: dict[str, QRadioButton] = {}
        for q, text in QUANTITY_LABELS.items():
            b = QRadioButton(text)
            b.setChecked(q == self.quantity)
            b.toggled.connect(lambda on, q=q: self.set_quantity(q) if on else None)
            self._group.addButton(b)
            self.quantity_buttons[q] = b
            self.controls_row.addWidget(b)
        self.signed_box = QCheckBox("signed values")
        self.signed_box.setToolTip("Show negative and positive values apart (off: magnitudes |x| only).")
        self.signed_box.toggled.connect(self.set_signed)
        self.controls_row.addWidget(self.signed_box)
        self.controls_row.addStretch(1)

        self.value_axis = AsinhAxis("left")
        # Titles in their own row, so that the heatmap and the side plot (y-linked) align.
        self.heat_title = self.graphics.addLabel("", row=0, col=0)
        self.side_title = self.graphics.addLabel("", row=0, col=2)
        self.graphics.addLabel("", row=0, col=1)  # an empty gap column between heatmap and side plot
        self.graphics.ci.layout.setColumnFixedWidth(1, 8)
        self.heat = self.graphics.addPlot(row=1, col=0, axisItems={"left": self.value_axis})
        self.heat.setMenuEnabled(False)
        self.heat.hideButtons()
        self.heat.setMouseEnabled(x=False, y=False)
        self.image = pg.ImageItem()
        self.image.setZValue(0)
        self.heat.addItem(self.image)
        self.nonfinite_image = pg.ImageItem()
        self.nonfinite_image.setZValue(0)
        self.heat.addItem(self.nonfinite_image)
        self.nonfinite_label = pg.TextItem("inf/NaN", anchor=(0.0, 0.5))
        self.heat.addItem(self.nonfinite_label)
        # Exact zeros (dead ReLUs): a row of their own under the range, so the axis does not
        # stretch 20 decades down to the bin that holds 0.
        self.zero_image = pg.ImageItem()
        self.zero_image.setZValue(0)
        self.heat.addItem(self.zero_image)
        self.zero_label = pg.TextItem("0", anchor=(1.0, 0.5))
        self.heat.addItem(self.zero_label)
        self.sel_lines = [pg.InfiniteLine(angle=90, movable=False) for _ in range(2)]
        for line in self.sel_lines:
            line.setZValue(5)
            self.heat.addItem(line)

        self.cmap = pg.colormap.get(HEATMAP_CMAP)
        self.colorbar = pg.ColorBarItem(values=(0.0, 100.0), colorMap=self.cmap, interactive=False, width=14)
        self.colorbar.axis.enableAutoSIPrefix(False)
        self.graphics.addItem(self.colorbar, row=1, col=3)  # far right: the side plot sits next to the heatmap

        self.side = self.graphics.addPlot(row=1, col=2)
        self.side.setMenuEnabled(False)
        self.side.hideButtons()
        self.side.setMouseEnabled(x=False, y=False)
        self.side.setYLink(self.heat)
        self.side.getAxis("left").setStyle(showValues=False)
        self.side.setMaximumWidth(260)
        self.side.setMinimumWidth(170)
        self.side_bars = pg.BarGraphItem(x0=[0], y=[0], width=[0], height=1.0)
        self.side.addItem(self.side_bars)
        self.inactive_bar = pg.BarGraphItem(x0=[0], y=[0], width=[0], height=1.0)
        self.side.addItem(self.inactive_bar)
        self.side_text = pg.TextItem("", anchor=(1.0, 0.0))  # not shown: the side plot's title carries it
        self.graphics.ci.layout.setColumnStretchFactor(0, 4)
        self.graphics.ci.layout.setColumnStretchFactor(2, 1)

        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self.set_theme(self.theme.name)

    # -- public --------------------------------------------------------------------
    def set_result(self, dist: Distributions) -> None:
        """Show the histograms of `dist` (keeps the quantity and, if it exists, the layer)."""
        self.dist = dist
        self.value_axis.linthresh = dist.linthresh
        if self.layer > dist.settings.depth:
            self.layer = dist.settings.depth
        self._redraw()

    def set_quantity(self, quantity: str) -> None:
        """Show "activation" or "gradient" histograms."""
        if quantity not in QUANTITY_LABELS:
            raise ValueError(f"quantity must be one of {', '.join(QUANTITY_LABELS)}")
        if quantity == self.quantity:
            return
        self.quantity = quantity
        self.quantity_buttons[quantity].setChecked(True)
        self._redraw()
        self.quantity_changed.emit(quantity)

    def set_signed(self, signed: bool) -> None:
        """Show signed values (True) or magnitudes (False)."""
        signed = bool(signed)
        if signed == self.signed:
            return
        self.signed = signed
        self.signed_box.setChecked(signed)
        self.apply_theme()  # axis label and redraw

    def select_layer(self, layer: int) -> None:
        """Show layer `layer`'s histogram in the side plot."""
        depth = self.dist.settings.depth if self.dist is not None else layer
        self.layer = int(max(0, min(depth, layer)))
        self._draw_selection()
        self._draw_side()

    def histogram(self) -> Histogram | None:
        """The histogram shown (current quantity) or None."""
        return self.dist[self.quantity] if self.dist is not None else None

    def shown_shares(self) -> np.ndarray:
        """The shares drawn in the heatmap: (layers, bins) as shown (folded or signed)."""
        h = self.histogram()
        if h is None:
            return np.zeros((0, 0))
        counts = h.counts if self.signed else fold(h)[0]
        return counts / float(h.entries)

    def side_shares(self) -> np.ndarray:
        """The shares (0..1) drawn in the side histogram (the selected layer)."""
        return np.asarray(self.side_bars.opts.get("width"), dtype=np.float64) / 100.0

    def side_caption(self) -> str:
        """The side plot's text (layer, inactive share, non-finite share)."""
        return self.side_text.textItem.toPlainText()

    def apply_theme(self) -> None:
        """Recolour axes, selection lines, side bars and texts."""
        t = self.theme
        self.style_plot(self.heat, "value (asinh scale)" if self.signed else "|value| (log scale)", "layer l")
        self.style_plot(self.side, "", "share of the layer (%)")
        for line in self.sel_lines:
            line.setPen(pg.mkPen(t.foreground, width=max(1.5, t.line_width * 0.75), style=Qt.PenStyle.DashLine))
        self.colorbar.axis.setPen(pg.mkPen(t.foreground))
        self.colorbar.axis.setTextPen(pg.mkPen(t.foreground))
        self.colorbar.axis.setLabel("share of the layer's entries (%)", color=t.foreground)
        self.side_text.setColor(t.foreground)
        self.nonfinite_label.setColor(t.foreground)
        self.zero_label.setColor(t.foreground)
        if self.dist is not None:
            self._redraw()

    # -- drawing -------------------------------------------------------------------
    def _rgba(self, shares: np.ndarray, top: float) -> np.ndarray:
        v = np.clip(shares / top, 0.0, 1.0)
        rgba = self.cmap.map(v.reshape(-1), mode="byte").reshape((*v.shape, 4)).copy()
        rgba[..., 3] = np.where(shares > 0, 255, 0)
        return rgba

    def _redraw(self) -> None:
        h = self.histogram()
        if h is None:
            return
        if self.signed:
            counts, y0, dt = h.counts, float(h.edges_t[0]), float(h.edges_t[1] - h.edges_t[0])
        else:
            counts, y0, dt = fold(h)
        shares = counts / float(h.entries)
        layers = shares.shape[0]
        top = nice_ceiling(float(shares.max()) if shares.size else 1.0)
        self._levels = (0.0, top)
        self.colorbar.setLevels((0.0, 100.0 * top))
        self.image.setImage(self._rgba(shares, top), autoLevels=False, levels=(0, 255))
        self.image.setRect(QRectF(-0.5, y0, layers, shares.shape[1] * dt))
        self._image_info = (y0, dt)

        # Occupied range (whole bins) with a decade of room; the inf/NaN row above it and,
        # by magnitude, the zero bin's row below it.
        per_bin = counts.sum(axis=0)
        zero_share = shares[:, 0] if not self.signed else np.zeros(layers)
        others = np.nonzero(per_bin[1:])[0] + 1 if not self.signed else np.zeros(0, dtype=np.int64)
        split_zero = bool(zero_share.any() and others.size and others[0] * dt > 2.0)
        nz = others if split_zero else np.nonzero(per_bin)[0]
        lo_t = y0 + (nz[0] if nz.size else 0) * dt
        hi_t = y0 + ((nz[-1] + 1) if nz.size else shares.shape[1]) * dt
        lo_t, hi_t = lo_t - 1.0, hi_t + 1.0
        if not self.signed:
            lo_t = max(lo_t, y0)
        if split_zero:
            row_h = max(0.8, 0.06 * (hi_t - lo_t))
            rgba0 = np.zeros((layers, 1, 4), dtype=np.uint8)
            c0 = QColor(self.theme.foreground)
            rgba0[:, 0, :3] = (c0.red(), c0.green(), c0.blue())
            rgba0[:, 0, 3] = np.where(zero_share > 0, (60 + 195 * zero_share / max(top, 1e-12)).clip(0, 255), 0).astype(
                np.uint8
            )
            self.zero_image.setImage(rgba0, autoLevels=False, levels=(0, 255))
            self.zero_image.setRect(QRectF(-0.5, lo_t - 1.3 * row_h, layers, row_h))
            self.zero_image.show()
            upper = float(h.edges[len(h.edges) // 2])  # the zero bin's upper edge
            self.zero_label.setText(f"exactly 0 (or below {power_label(math.log10(upper))})")
            self.zero_label.setPos(layers - 0.5, lo_t - 0.8 * row_h)
            self.zero_label.show()
            self.value_axis.min_tick = lo_t - 0.2 * row_h
            lo_t -= 1.5 * row_h
        else:
            self.value_axis.min_tick = -math.inf
            self.zero_image.hide()
            self.zero_label.hide()
        bad = (h.nonfinite / float(h.entries)).astype(np.float64)
        if bad.any():
            row_h = max(0.8, 0.06 * (hi_t - lo_t))
            c = QColor(self.theme.overflow)
            rgba = np.zeros((layers, 1, 4), dtype=np.uint8)
            rgba[:, 0, :3] = (c.red(), c.green(), c.blue())
            rgba[:, 0, 3] = np.where(bad > 0, (80 + 175 * bad).astype(np.uint8), 0)
            self.nonfinite_image.setImage(rgba, autoLevels=False, levels=(0, 255))
            self.nonfinite_image.setRect(QRectF(-0.5, hi_t + 0.3 * row_h, layers, row_h))
            self.nonfinite_image.show()
            self.nonfinite_label.setPos(layers - 0.5, hi_t + 0.8 * row_h)
            self.nonfinite_label.setAnchor((1.0, 0.5))
            self.nonfinite_label.show()
            hi_t += 1.5 * row_h
        else:
            self.nonfinite_image.hide()
            self.nonfinite_label.hide()
        self.heat.vb.setRange(xRange=(-0.5, layers - 0.5), yRange=(lo_t, hi_t), padding=0)
        self.heat_title.setText(
            f"{QUANTITY_LABELS[self.quantity]} — {'signed' if self.signed else 'magnitude |x|'}",
            color=self.theme.foreground,
            size=f"{self.font_pt(1.1):.0f}pt",
        )
        self._draw_selection()
        self._draw_side()

    def _draw_selection(self) -> None:
        for line, dx in zip(self.sel_lines, (-0.5, 0.5), strict=True):
            line.setPos(self.layer + dx)

    def _draw_side(self) -> None:
        h = self.histogram()
        if h is None:
            return
        t = self.theme
        y0, dt = self._image_info
        counts = h.counts if self.signed else fold(h)[0]
        shares = counts[self.layer] / float(h.entries)
        centres = y0 + (np.arange(shares.size) + 0.5) * dt
        brush = QBrush(QColor(self.cmap.map(0.55, mode="qcolor")))
        self.side_bars.setOpts(
            x0=np.zeros(shares.size), y=centres, width=100.0 * shares, height=dt, brush=brush, pen=None
        )
        inactive = float(h.inactive_fraction[self.layer])
        bad = float(h.nonfinite[self.layer]) / float(h.entries)
        vr = self.heat.vb.viewRange()[1]
        lines = [f"layer {self.layer}"]
        if math.isnan(inactive):
            lines.append("inactive: — (input)")
            self.inactive_bar.hide()
        else:
            lines.append(f"inactive (saturated/dead, hatched bar): {100 * inactive:.0f} %")
            gauge_y = vr[1] - 0.04 * (vr[1] - vr[0])
            self.inactive_bar.setOpts(
                x0=[0.0],
                y=[gauge_y],
                width=[100.0 * inactive],
                height=0.035 * (vr[1] - vr[0]),
                brush=QBrush(QColor(t.overflow), Qt.BrushStyle.BDiagPattern),
                pen=pg.mkPen(t.overflow, width=1.5),
            )
            self.inactive_bar.show()
        if bad > 0:
            lines.append(f"inf/NaN: {100 * bad:.1f} %")
        self.side_text.setText("\n".join(lines))
        self.side_title.setText("<br>".join(lines), color=t.foreground, size=f"{self.font_pt(1.0):.0f}pt")
        xmax = max(0.05, float(shares.max()) if shares.size else 0.0, inactive if math.isfinite(inactive) else 0.0)
        self.side.vb.setXRange(0.0, 105.0 * xmax, padding=0)

    def _on_click(self, ev) -> None:
        if self.dist is None:
            return
        pos: QPointF = ev.scenePos()
        if not self.heat.vb.sceneBoundingRect().contains(pos):
            return
        p = self.heat.vb.mapSceneToView(pos)
        layer = round(p.x())
        if 0 <= layer <= self.dist.settings.depth:
            self.select_layer(layer)
            self.layer_clicked.emit(layer)
