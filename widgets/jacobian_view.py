"""Jacobian spectrum view: histogram of the singular values of d a_L / d a_0 on a log axis.

All singular values at 1 is dynamical isometry (Saxe et al. 2014, Pennington et al.
2017): every input direction reaches the output, and every gradient direction the input,
unchanged. The view marks 1 and the root mean square singular value sqrt(mean sigma^2).
Beyond width 512 or depth 200 it says so instead (`show_message`).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from depthlens.engine.analysis import JacobianSpectrum
from depthlens.engine.numbers import from_log10

from . import theme as themes
from .view_base import AnalysisView, LogValueAxis, power_label

SPIKE_WIDTH = 0.04  # decades: the bar drawn when every singular value is the same


def histogram_log10(logs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(edges, counts) of finite log10 values; a single narrow bin if they all coincide."""
    v = logs[np.isfinite(logs)]
    if v.size == 0:
        return np.array([-SPIKE_WIDTH / 2, SPIKE_WIDTH / 2]), np.zeros(1, dtype=np.int64)
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < 1e-6 * max(1.0, abs(lo)):
        c = 0.5 * (lo + hi)
        return np.array([c - SPIKE_WIDTH / 2, c + SPIKE_WIDTH / 2]), np.array([v.size], dtype=np.int64)
    bins = int(np.clip(2 * math.sqrt(v.size), 10, 60))
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return edges, counts


class JacobianView(AnalysisView):
    """Histogram of log10 singular values, the isometry line (1) and the RMS singular value."""

    CAPTION = (
        "What am I seeing? How much the whole network stretches or shrinks each direction of "
        "one input on its way to the output (the singular values of the input–output Jacobian): "
        "all of them at 1 is \u201cdynamical isometry\u201d, where every signal and gradient passes through intact."
    )

    def __init__(self, parent=None, *, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__(parent, theme=theme)
        self.spectrum: JacobianSpectrum | None = None
        self.message = ""
        self.plot = self.graphics.addPlot(row=0, col=0, axisItems={"bottom": LogValueAxis("bottom")})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.bars = pg.BarGraphItem(x0=[0], x1=[0], height=[0])
        self.plot.addItem(self.bars)
        # The share of each bin below the precision floor: rounding noise, drawn hatched and
        # faded on top of the resolved part, so a noise peak never looks like real values.
        self.noise_bars = pg.BarGraphItem(x0=[0], x1=[0], y0=[0], height=[0])
        self.noise_bars.setZValue(1)
        self.noise_bars.setToolTip("Below the float64 precision floor: not resolved (rounding noise).")
        self.plot.addItem(self.noise_bars)
        self.one_line = pg.InfiniteLine(pos=0.0, angle=90, movable=False, label="σ = 1", labelOpts={"position": 0.92})
        self.rms_line = pg.InfiniteLine(
            pos=0.0, angle=90, movable=False, label="√(mean σ²)", labelOpts={"position": 0.78}
        )
        # The float64 SVD does not resolve singular values below n * eps * sigma_max.
        self.floor_line = pg.InfiniteLine(
            pos=0.0, angle=90, movable=False, label="precision floor", labelOpts={"position": 0.62}
        )
        self.floor_line.setToolTip(
            "Singular values left of this line are below n·ε·σ_max of float64: the SVD does not "
            "resolve them. Their true values lie somewhere below the line; the printed digits are rounding noise."
        )
        self.floor_line.hide()
        for line in (self.one_line, self.rms_line, self.floor_line):
            line.setZValue(3)
            self.plot.addItem(line)
        self.message_item = pg.TextItem("", anchor=(0.5, 0.5))
        self.message_item.setZValue(5)
        self.plot.addItem(self.message_item)
        self.set_theme(self.theme.name)

    # -- public --------------------------------------------------------------------
    def set_result(self, spectrum: JacobianSpectrum) -> None:
        """Show `spectrum`."""
        self.spectrum = spectrum
        self.message = ""
        self._redraw()

    def show_message(self, text: str) -> None:
        """Replace the plot by a message (e.g. "too large"); keeps the last spectrum for later."""
        self.message = text
        self.spectrum = None
        self._redraw()

    def summary(self) -> str:
        """The text under the plot."""
        return self.status.text()

    def drawn_histogram(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(left edges, right edges, counts) of the bars drawn (resolved and sub-floor parts together)."""
        o = self.bars.opts
        counts = np.asarray(o.get("height"), dtype=np.float64)
        if self.noise_bars.isVisible():
            counts = counts + np.asarray(self.noise_bars.opts.get("height"), dtype=np.float64)
        return (
            np.asarray(o.get("x0"), dtype=np.float64),
            np.asarray(o.get("x1"), dtype=np.float64),
            counts,
        )

    def drawn_noise(self) -> np.ndarray:
        """The sub-floor (unresolved) part of each bar drawn, hatched (zeros if none)."""
        if not self.noise_bars.isVisible():
            return np.zeros(0)
        return np.asarray(self.noise_bars.opts.get("height"), dtype=np.float64)

    def apply_theme(self) -> None:
        """Recolour axes, bars, lines and the message."""
        t = self.theme
        self.style_plot(self.plot, "number of singular values", "singular value σ (log scale)")
        self.one_line.setPen(pg.mkPen(t.healthy, width=t.line_width, style=Qt.PenStyle.DashLine))
        self.rms_line.setPen(pg.mkPen(t.theory, width=t.line_width))
        self.floor_line.setPen(pg.mkPen(t.foreground, width=1, style=Qt.PenStyle.DotLine))
        for line in (self.one_line, self.rms_line, self.floor_line):
            line.label.setColor(t.foreground)
            line.label.fill = pg.mkBrush(QColor(t.background))
        self.message_item.setColor(t.foreground)
        font = self.message_item.textItem.font()
        font.setPointSizeF(self.font_pt(1.3))
        self.message_item.setFont(font)
        self._redraw()

    # -- drawing -------------------------------------------------------------------
    def _redraw(self) -> None:
        t = self.theme
        js = self.spectrum
        if js is None or not js.finite:
            self.bars.setOpts(x0=[0.0], x1=[0.0], height=[0.0])
            self.noise_bars.hide()
            self.one_line.hide()
            self.rms_line.hide()
            self.floor_line.hide()
            text = self.message or (js.note if js is not None else "")
            self.message_item.setText(text)
            self.message_item.setVisible(bool(text))
            self.plot.vb.setRange(xRange=(-1, 1), yRange=(0, 1), padding=0)
            self.message_item.setPos(0.0, 0.5)
            self.message_item.setTextWidth(max(200.0, 0.8 * self.plot.vb.width()))
            self.status.setText(text)
            return
        self.message_item.hide()
        logs = js.log10_singular_values
        edges, counts = histogram_log10(logs)
        floor = js.log10_floor
        noise = np.zeros(counts.size)
        if math.isfinite(floor) and counts.size > 1:
            sub = logs[np.isfinite(logs) & (logs < floor)]
            noise = np.histogram(sub, bins=edges)[0].astype(np.float64)
        resolved = counts.astype(np.float64) - noise
        self.bars.setOpts(
            x0=edges[:-1],
            x1=edges[1:],
            height=resolved,
            brush=QBrush(QColor(t.vanishing)),
            pen=pg.mkPen(t.foreground, width=1),
        )
        faded = QColor(t.foreground)
        faded.setAlpha(110)
        self.noise_bars.setOpts(
            x0=edges[:-1],
            x1=edges[1:],
            y0=resolved,
            height=noise,
            brush=QBrush(faded, Qt.BrushStyle.BDiagPattern),
            pen=pg.mkPen(faded, width=1, style=Qt.PenStyle.DotLine),
        )
        self.noise_bars.setVisible(bool(noise.any()))
        finite = logs[np.isfinite(logs)]
        ms = js.mean_squared
        rms_log = 0.5 * math.log10(ms) if ms > 0 and math.isfinite(ms) else None
        if rms_log is None and finite.size:  # mean square beyond float64: from the logs
            m = float(np.max(2 * finite))
            rms_log = 0.5 * (m + math.log10(float(np.mean(10.0 ** (2 * finite - m)))))
        lo = min(float(edges[0]), 0.0, rms_log if rms_log is not None else 0.0)
        hi = max(float(edges[-1]), 0.0, rms_log if rms_log is not None else 0.0)
        pad = max(0.1, 0.06 * (hi - lo))
        self.plot.vb.setRange(xRange=(lo - pad, hi + pad), yRange=(0, max(1.0, float(counts.max())) * 1.15), padding=0)
        self.one_line.setPos(0.0)
        self.one_line.show()
        if rms_log is not None:
            self.rms_line.setPos(rms_log)
            self.rms_line.show()
        else:
            self.rms_line.hide()
        zeros = int(np.count_nonzero(np.isneginf(logs)))
        n = logs.size
        spread = float(finite.max() - finite.min()) if finite.size else 0.0
        ms_text = f"{ms:.3g}" if math.isfinite(ms) else (power_label(2 * rms_log) if rms_log is not None else "—")
        parts = [
            f"{n} singular values, from {_fmt_log(finite.min() if finite.size else math.nan)} "
            f"to {_fmt_log(finite.max() if finite.size else math.nan)} ({spread:.2g} decades apart)",
            f"mean σ² = {ms_text}",
        ]
        if zeros:
            parts.append(f"{zeros} exactly 0 (not drawn)")
        below = js.below_floor - zeros
        if below > 0:
            self.floor_line.setPos(js.log10_floor)
            self.floor_line.show()
            parts.append(
                f"{below} below the float64 precision floor {_fmt_log(js.log10_floor)} (left of the dotted line, "
                "hatched): not resolved, their true values lie somewhere below it"
            )
        else:
            self.floor_line.hide()
        if js.note:
            parts.append(js.note)
        self.status.setText("; ".join(parts) + ".")
        self.plot.setTitle(
            f"Jacobian spectrum — {js.settings.activation}, {js.settings.init}, s = {js.settings.scale:.3g}, "
            f"L = {js.settings.depth}, n = {js.settings.width}",
            color=t.foreground,
        )


_fmt_log = from_log10
