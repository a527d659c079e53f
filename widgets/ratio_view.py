"""Update:data view: log10 of RMS(ΔW_l)/RMS(W_l) as a layer x step heatmap, and the current step's bars.

Karpathy's rule of thumb (makemore part 3): an update:data ratio near 1e-3 (log10 = -3)
means a layer learns at a sensible pace; far below it the layer barely moves. The colours
are diverging around -3 (white), the bars have a dashed guide at -3.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from depthlens.engine.train_snapshot import TrainSnapshot

from . import theme as themes
from .view_base import AnalysisView

LOG_LO, LOG_HI = -6.0, 0.0  # colour range; -3 sits in the middle
GUIDE = -3.0
FLOOR = -12.0  # a zero ratio is drawn here


def log_ratio(r: np.ndarray) -> np.ndarray:
    """log10 of the ratios, 0 -> FLOOR, NaN kept."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(np.asarray(r, dtype=np.float64))
    out[np.isneginf(out)] = FLOOR
    return out


class RatioView(AnalysisView):
    """Heatmap (x = step, y = layer) and bars (the current step) of log10 update:data."""

    CAPTION = (
        "Update:data ratio RMS(ΔW)/RMS(W) of each layer's applied update, log₁₀. White = 10⁻³ "
        "(a layer learning at a sensible pace); blue = barely moving; red = moving fast."
    )

    def __init__(self, parent: QWidget | None = None, *, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__(parent, theme=theme)
        self.heat = self.graphics.addPlot(row=0, col=0)
        self.image = pg.ImageItem()
        self.heat.addItem(self.image)
        self.cmap = pg.colormap.get("CET-D1")
        self.image.setColorMap(self.cmap)
        self.colorbar = pg.ColorBarItem(values=(LOG_LO, LOG_HI), colorMap=self.cmap, interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.heat)
        self.bars_plot = self.graphics.addPlot(row=1, col=0)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, y0=LOG_LO)
        self.bars_plot.addItem(self.bars)
        dash = pg.mkPen("#555555", width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine)
        self.guide = pg.InfiniteLine(pos=GUIDE, angle=0, pen=dash)
        self.bars_plot.addItem(self.guide)
        self.bars_plot.setYRange(LOG_LO, LOG_HI)
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 2)
        self.snapshot: TrainSnapshot | None = None
        self.set_theme(theme)

    def set_snapshot(self, snap: TrainSnapshot) -> None:
        """Draw the run's recorded ratios and its current step's."""
        self.snapshot = snap
        L = snap.ratio_now.size
        if snap.ratios.shape[0]:
            img = np.clip(np.nan_to_num(log_ratio(snap.ratios), nan=LOG_HI), LOG_LO, LOG_HI)
            self.image.setImage(img, levels=(LOG_LO, LOG_HI), autoLevels=False)
            last = float(snap.steps[-1]) if snap.steps.size else 1.0
            self.image.setRect(pg.QtCore.QRectF(0.0, 0.5, max(1.0, last + snap.stride), float(L)))
        else:
            self.image.clear()
        now = log_ratio(snap.ratio_now)
        finite = np.isfinite(now)
        x = np.arange(1, L + 1, dtype=np.float64)[finite]
        h = np.maximum(now[finite], LOG_LO) - LOG_LO
        colours = [self._colour(v) for v in now[finite]]
        self.bars.setOpts(x=x, height=h, y0=LOG_LO, width=0.8, brushes=colours, pen=pg.mkPen(None))
        self.status.setText(snap.learning)

    def _colour(self, v: float):
        t = (min(max(v, LOG_LO), LOG_HI) - LOG_LO) / (LOG_HI - LOG_LO)
        return self.cmap.map(t, mode="qcolor")

    def apply_theme(self) -> None:
        """Recolour the axes."""
        self.style_plot(self.heat, left="layer", bottom="step")
        self.style_plot(self.bars_plot, left="log₁₀ update:data", bottom="layer (current step)")
