"""Shared parts of the analysis views (issue 5): caption, status, progress, theme, fonts, axes.

Every analysis view is an `AnalysisView`: a one-sentence "what am I seeing?" caption on
top, a row of controls, a pyqtgraph `GraphicsLayoutWidget` and a status line. Colours come
from `widgets.theme`; fonts follow the widget's font (presentation mode may enlarge it).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from depthlens.engine import numbers

from . import theme as themes

# Colour maps: perceptually uniform and colour-blind safe.
HEATMAP_CMAP = "viridis"
PHASE_CMAP = "cividis"


def power_label(k: float) -> str:
    """'10ᵏ' for a (rounded) decade k."""
    return numbers.power_label(round(k))


def nice_ceiling(x: float) -> float:
    """The smallest of 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, ..., 1 that is >= x (1 beyond)."""
    for v in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0):
        if x <= v + 1e-12:
            return v
    return 1.0


def decade_step(span: float, size_px: float, min_px: float = 28.0) -> int:
    """A tick step in whole decades (1, 2, 5, 10, ...) giving at least `min_px` per tick."""
    n_max = max(1.0, size_px / min_px)
    for step in (1, 2, 5, 10, 20, 50, 100):
        if span / step <= n_max:
            return step
    return 200


class LogValueAxis(pg.AxisItem):
    """Axis over log10 values: 10ᵏ labels over wide ranges, plain numbers over narrow ones."""

    def tickValues(self, minVal, maxVal, size):  # pyqtgraph API
        """Whole decades when the range spans more than 2 decades, else pyqtgraph's own."""
        lo, hi = min(minVal, maxVal), max(minVal, maxVal)
        if hi - lo < 2.0:
            return super().tickValues(minVal, maxVal, size)
        step = decade_step(hi - lo, size)
        first = math.ceil(lo / step) * step
        return [(float(step), [float(v) for v in np.arange(first, hi + 1e-9, step)])]

    def tickStrings(self, values, scale, spacing):  # pyqtgraph API
        """'10ᵏ' at whole decades, else the value itself with 3 significant digits."""
        out = []
        for v in values:
            if abs(v - round(v)) < 1e-9 and spacing >= 1.0:
                out.append(power_label(v))
            else:
                out.append(f"{10.0**v:.3g}")
        return out


class AnalysisView(QWidget):
    """Base of the analysis views: caption, control row, graphics, status and progress.

    Subclasses put their controls into `self.controls_row`, their plots into
    `self.graphics`, and implement `apply_theme()` (called after the theme or font changes).
    Signals `export_png_requested` / `export_svg_requested` / `export_csv_requested` come
    from the export buttons; the SVG button is hidden until its owner handles it
    (`svg_button.show()`).
    """

    export_png_requested = Signal()
    export_svg_requested = Signal()
    export_csv_requested = Signal()

    CAPTION = ""

    def __init__(self, parent=None, *, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__(parent)
        self.theme = themes.get(theme)
        self.font_scale = 1.0
        self.setAutoFillBackground(True)
        lay = self.column = QVBoxLayout(self)  # caption, controls row, graphics, status (subclasses insert rows)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(3)
        self.caption = QLabel(self.CAPTION)
        self.caption.setWordWrap(True)
        self.caption.setObjectName("caption")
        lay.addWidget(self.caption)
        self.controls_row = QHBoxLayout()
        self.controls_row.setSpacing(6)
        lay.addLayout(self.controls_row)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setContentsMargins(4, 4, 10, 4)
        lay.addWidget(self.graphics, 1)
        bottom = QHBoxLayout()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom.addWidget(self.status, 1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(160)
        self.progress.setMaximumHeight(12)
        self.progress.setTextVisible(False)
        self.progress.hide()
        bottom.addWidget(self.progress)
        self.png_button = QPushButton("PNG…")
        self.png_button.setToolTip("Save this view as a PNG image.")
        self.png_button.clicked.connect(lambda _=False: self.export_png_requested.emit())
        self.svg_button = QPushButton("SVG…")
        self.svg_button.setToolTip("Save this view's plot as a scalable SVG drawing.")
        self.svg_button.clicked.connect(lambda _=False: self.export_svg_requested.emit())
        self.svg_button.hide()
        self.csv_button = QPushButton("CSV…")
        self.csv_button.setToolTip("Save the numbers behind this view as CSV (as `depthlens export` writes them).")
        self.csv_button.clicked.connect(lambda _=False: self.export_csv_requested.emit())
        bottom.addWidget(self.png_button)
        bottom.addWidget(self.svg_button)
        bottom.addWidget(self.csv_button)
        lay.addLayout(bottom)

    # -- public --------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        """Switch to theme `name` (light, dark, projector) and redraw."""
        self.theme = themes.get(name)
        t = self.theme
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor(t.panel))
        pal.setColor(QPalette.ColorRole.WindowText, QColor(t.foreground))
        self.setPalette(pal)
        for label in (self.caption, self.status):
            label.setStyleSheet(f"QLabel {{ color: {t.foreground}; }}")
        self.graphics.setBackground(t.background)
        self.apply_theme()

    def set_font_scale(self, k: float) -> None:
        """Multiply the view's font sizes by `k` (presentation mode), then redraw."""
        self.font_scale = float(k)
        for label in self.findChildren(QLabel):
            if label.property("base_pt") is None:
                label.setProperty("base_pt", label.font().pointSizeF())
            f = label.font()
            f.setPointSizeF(float(label.property("base_pt")) * self.font_scale)
            label.setFont(f)
        self.apply_theme()

    def set_progress(self, fraction: float) -> None:
        """Show the progress of a running computation (0..1)."""
        self.progress.setValue(round(1000 * max(0.0, min(1.0, fraction))))
        self.progress.show()

    def done(self, message: str = "") -> None:
        """The computation ended: hide the progress, show `message` in the status line."""
        self.progress.hide()
        self.status.setText(message)

    def apply_theme(self) -> None:
        """Recolour the plots (subclasses)."""

    # -- helpers for subclasses ----------------------------------------------------
    def font_pt(self, factor: float = 1.0) -> float:
        """The widget's font size in points times `factor`."""
        size = self.font().pointSizeF()
        return (size if size > 0 else 10.0) * factor * self.font_scale

    def style_plot(self, plot: pg.PlotItem, left: str = "", bottom: str = "") -> None:
        """Colour and size a plot's axes and labels after the theme and the font."""
        t = self.theme
        tick_font = QFont(self.font())
        tick_font.setPointSizeF(self.font_pt(1.0))
        label_style = {"color": t.foreground, "font-size": f"{self.font_pt(1.1):.0f}pt"}
        for name, text in (("left", left), ("bottom", bottom)):
            ax = plot.getAxis(name)
            ax.enableAutoSIPrefix(False)  # never "(x0.001)": the values are decades or shares
            ax.setPen(pg.mkPen(t.foreground, width=max(1.0, t.line_width / 2)))
            ax.setTextPen(pg.mkPen(t.foreground))
            ax.setStyle(tickFont=tick_font)
            if text:
                ax.setLabel(text, **label_style)

    def changeEvent(self, event) -> None:  # Qt override
        """Re-apply fonts to the plots when the widget's font changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.apply_theme()
