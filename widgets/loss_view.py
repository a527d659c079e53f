"""Loss-curve view: the training loss over steps on a log axis, the current run and pinned ones.

Each curve is (label, steps, losses); the current run is drawn thick, pinned runs and
the Init race in the Okabe-Ito colours with their labels in the legend. Non-finite
losses (a diverged step) break the line instead of hiding the curve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from . import theme as themes
from .axes import PowerAxis
from .view_base import AnalysisView

CURVE_COLOURS = ("#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#0072B2", "#F0E442")  # Okabe-Ito
FLOOR = 1e-12  # losses below are drawn at the floor (log axis)
CEILING = 1e3  # the view stops here: an exploding run's 1e20 would flatten every other curve


@dataclass(frozen=True, slots=True)
class Curve:
    """One loss curve: legend label, steps and the loss at each."""

    label: str
    steps: np.ndarray
    losses: np.ndarray


class LossView(AnalysisView):
    """The loss (log y) against the step for the current run and any pinned or raced runs."""

    CAPTION = (
        "Training loss (log scale) against the step. ln 2 = 0.693 is the untrained spirals loss: "
        "a curve that stays there is not learning."
    )

    def __init__(self, parent: QWidget | None = None, *, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__(parent, theme=theme)
        # log10 of the loss on a decade axis (10ᵏ labels, minor ticks only where there is room:
        # pyqtgraph's log mode labelled every 2..9 x 10ᵏ and crowded a 200 px tall view).
        self.plot = self.graphics.addPlot(axisItems={"left": PowerAxis("left")})
        for name in ("left", "bottom"):
            self.plot.getAxis(name).enableAutoSIPrefix(False)  # no "(x1e+24)"
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        # Beside the plot, never over a curve, and not below it: the dock is short at
        # 1024x768 and a legend row there left the curves ~30 px of height.
        self.legend = pg.LegendItem(colCount=1)
        self.graphics.addItem(self.legend, row=0, col=1)
        self.csv_button.setToolTip("Save the loss curves shown as CSV (label, step, loss).")
        self.current: Curve | None = None
        self.others: list[Curve] = []
        self._items: list[pg.PlotDataItem] = []
        self.set_theme(theme)

    def set_current(self, curve: Curve | None) -> None:
        """The running (or last) run's curve."""
        self.current = curve
        self._redraw()

    def set_others(self, curves: Sequence[Curve]) -> None:
        """Pinned runs or an Init race, drawn behind the current run."""
        self.others = list(curves)
        self._redraw()

    def curves(self) -> list[Curve]:
        """Every curve shown, current last."""
        return [*self.others, *([self.current] if self.current is not None else [])]

    def apply_theme(self) -> None:
        """Recolour axes and curves."""
        self.style_plot(self.plot, left="loss", bottom="step")
        self.legend.setLabelTextColor(self.theme.foreground)
        self._redraw()

    def _redraw(self) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items.clear()
        self.legend.clear()
        width = self.theme.line_width
        for i, c in enumerate(self.others):
            self._add(c, CURVE_COLOURS[i % len(CURVE_COLOURS)], width)
        if self.current is not None:
            self._add(self.current, self.theme.foreground, 1.5 * width)
        self._fit_range()
        cur = self.current
        if cur is not None and cur.losses.size:
            last = _loss_text(float(cur.losses[-1]))
            self.status.setText(f"{cur.label}: loss {last} at step {int(cur.steps[-1])}")

    def _fit_range(self) -> None:
        values = [np.asarray(c.losses, dtype=np.float64) for c in self.curves() if c.losses.size]
        finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values]) if values else np.array([])
        if finite.size == 0:
            self.plot.enableAutoRange(axis="y")
            return
        lo = max(float(finite.min()), FLOOR) / 2.0
        hi = min(float(finite.max()), CEILING) * 2.0
        self.plot.setYRange(math.log10(lo), math.log10(max(hi, 2 * lo)), padding=0.02)

    def _add(self, c: Curve, colour: str, width: float) -> None:
        y = np.asarray(c.losses, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(np.isfinite(y), np.log10(np.maximum(y, FLOOR)), np.nan)
        x = np.asarray(c.steps, dtype=np.float64)
        item = self.plot.plot(x, y, pen=pg.mkPen(colour, width=width), connect="finite")
        self.legend.addItem(item, c.label)
        self._items.append(item)


def _loss_text(x: float) -> str:
    if not math.isfinite(x):
        return "diverged"
    return f"{x:.4g}"
