"""Decision boundary for the spirals, as in TensorFlow Playground: y_hat over the plane, and the points.

The plane is the standardised 2-D input (before the fixed embedding into width n); the
colour is y_hat (diverging: orange for label +1, blue for -1, white at the boundary y_hat = 0);
the points are drawn in the colour of their label.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from depthlens.engine.train_snapshot import Boundary

from . import theme as themes
from .view_base import AnalysisView

POS, NEG = "#E69F00", "#0072B2"  # Okabe-Ito orange (+1), blue (-1)


class BoundaryView(AnalysisView):
    """y_hat over the standardised plane with the training points (spirals only)."""

    CAPTION = (
        "Decision boundary: the network's output ŷ over the input plane (orange: +1, blue: −1, "
        "white: ŷ = 0) with the spirals' points. An untrained or vanishing net shows one flat colour."
    )

    def __init__(self, parent: QWidget | None = None, *, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__(parent, theme=theme)
        self.plot = self.graphics.addPlot()
        self.plot.setAspectLocked(True)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.cmap = pg.ColorMap([0.0, 0.5, 1.0], [pg.mkColor(NEG), pg.mkColor("#FFFFFF"), pg.mkColor(POS)])
        self.image.setColorMap(self.cmap)
        self.scatter = pg.ScatterPlotItem(size=8, pen=pg.mkPen("#FFFFFF", width=1.2))  # as Playground
        self.plot.addItem(self.scatter)
        self.boundary: Boundary | None = None
        self.csv_button.hide()
        self.set_theme(theme)

    def set_boundary(self, b: Boundary | None) -> None:
        """Draw `b` (None: the task has no plane, e.g. the teacher)."""
        self.boundary = b
        if b is None:
            self.image.clear()
            self.scatter.clear()
            self.status.setText("The decision boundary exists for the spirals task only.")
            return
        v = np.nan_to_num(b.values, nan=0.0, posinf=1e3, neginf=-1e3)
        span = max(float(np.max(np.abs(v))), 1e-30)
        # tanh squashes y_hat so the boundary stays visible whatever the output's scale.
        img = np.tanh(3.0 * v / span if span < 1 else 3.0 * v)
        self.image.setImage(img.T, levels=(-1.0, 1.0), autoLevels=False)
        e = b.extent
        self.image.setRect(QRectF(-e, -e, 2 * e, 2 * e))
        brushes = [pg.mkBrush(POS if y > 0 else NEG) for y in b.labels]
        self.scatter.setData(pos=b.points, brush=brushes)
        self.status.setText(f"|ŷ| up to {span:.2g} on this plane")

    def apply_theme(self) -> None:
        """Recolour the axes."""
        self.style_plot(self.plot, left="x₂ (standardised)", bottom="x₁ (standardised)")
