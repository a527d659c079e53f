"""The chart's own legend rows: the three health colours, inf/NaN, the gradient outline, theory, the ghost.

One sample item and one label per row, from the theme and what the chart shows; the
chart adds them (and its add-ons' rows) to its `LegendItem`.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QBrush, QPen

from depthlens.engine.health import EXPLODING, HEALTHY, NONFINITE, VANISHING

from .pin import blend
from .theme import Theme

HEALTH_ROWS = (
    (EXPLODING, "exploding (&gt;10×)"),
    (HEALTHY, "healthy (within 10×)"),
    (VANISHING, "vanishing (&lt;1/10)"),
)


def _swatch(brush, pen) -> pg.BarGraphItem:
    return pg.BarGraphItem(x=[0], height=[1], width=1, brush=brush, pen=pen)


def rows(
    t: Theme,
    *,
    solid: dict[int, QBrush],
    outlined: dict[int, QBrush],
    shows_bad: bool,
    both: bool,
    theory: bool,
    pinned: str,
    ghost_pen: QPen | None,
    k: float,
) -> list[tuple[pg.GraphicsObject, str]]:
    """(sample, label) per row; `k` scales the sample lines as an export scales the plot's."""
    out: list[tuple[pg.GraphicsObject, str]] = [(_swatch(solid[code], None), text) for code, text in HEALTH_ROWS]
    if shows_bad:
        out.append((_swatch(solid[NONFINITE], pg.mkPen(t.overflow, width=k)), "inf/NaN or 0"))
    if both:
        out.append((_swatch(outlined[HEALTHY], pg.mkPen(t.gradient_tint, width=k)), "gradient (outlined)"))
    if theory:
        sample = pg.PlotDataItem(
            [0, 1],
            [0, 1],
            pen=pg.mkPen(t.theory, width=t.line_width * k),
            symbol="o",
            symbolBrush=t.theory,
            symbolPen=t.theory,
            symbolSize=6,
        )
        out.append((sample, "theory"))
    if pinned:
        out.append((_swatch(blend(t.foreground, t.background, 0.28), ghost_pen), pinned + " (ghost)"))
    return out
