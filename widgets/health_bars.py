"""The chart's bars: one BarGraphItem painted with a brush per health code.

Bars are painted in device (pixel) coordinates with their left and right edges on whole
pixels: in data coordinates the SVG export carried a huge non-uniform scale and a
`vector-effect: non-scaling-stroke` outline, which librsvg ignores (a dark zig-zag) and
ImageMagick drew as nothing; and sub-pixel bars at L = 500..1000 blended into a moire
with white gaps. Bars narrower than `GAPLESS_PX` fill their layer's whole column.

pyqtgraph's private drawing members (`_rectarray`, `_sharedPen`) are used here only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPainter

GAPLESS_PX = 3.0  # below this many pixels per layer, bars fill their column (no gaps, no moire)


def device_rects(rects: np.ndarray, sx: float, sy: float, dx: float, dy: float) -> np.ndarray:
    """(x, y, w, h) rows in data coordinates -> pixel rows, x edges on whole pixels, w >= 1.

    `sx, sy, dx, dy` is the axis-aligned data-to-device transform. When a layer is narrower
    than GAPLESS_PX, each bar is widened on the side facing the gap to its column's edge
    (layer l's column is [l - 0.5, l + 0.5]; side-by-side bars meet at l).
    """
    r = np.asarray(rects, dtype=np.float64)
    x0, x1 = r[:, 0].copy(), r[:, 0] + r[:, 2]
    if abs(sx) < GAPLESS_PX:
        c = np.round(0.5 * (x0 + x1))
        x0 = np.where(x0 < c - 1e-9, c - 0.5, x0)
        x1 = np.where(x1 > c + 1e-9, c + 0.5, x1)
    a, b = sx * x0 + dx, sx * x1 + dx
    left = np.round(np.minimum(a, b))
    right = np.maximum(np.round(np.maximum(a, b)), left + 1.0)
    ya, yb = sy * r[:, 1] + dy, sy * (r[:, 1] + r[:, 3]) + dy
    top = np.minimum(ya, yb)
    return np.column_stack([left, top, right - left, np.maximum(ya, yb) - top])


class HealthBars(pg.BarGraphItem):
    """A BarGraphItem drawn with one `drawRects` call per health colour.

    pyqtgraph's per-bar `brushes` path replays a QPicture of one rect per bar, which
    costs tens of ms at 1000 bars; grouping by colour keeps a frame to about a ms.
    Set the colours with `set_codes(codes, brushes)` (health code per bar, code -> brush).
    """

    def __init__(self, **opts) -> None:
        super().__init__(**opts)
        self._codes = np.zeros(0, dtype=np.int8)
        self._code_brushes: dict[int, QBrush] = {}
        self._batches: dict[int, Any] = {}  # reused rect buffers (pyqtgraph PrimitiveArray), one per colour

    def set_codes(self, codes: np.ndarray, brushes: dict[int, QBrush]) -> None:
        """Colour bar i with `brushes[codes[i]]`."""
        self._codes = np.asarray(codes, dtype=np.int8)
        self._code_brushes = brushes
        self.update()

    def paint(self, p, *args) -> None:
        """Draw the bars, one batch per colour."""
        rects = self._rectarray.ndarray()
        n = min(len(rects), self._codes.size)
        if n == 0:
            return
        pen = self._sharedPen
        tr = p.transform()
        # Outlines only where a bar is wide enough to show one inside (>= 4 px): on narrower
        # bars the outline would cover the health colour, and it costs 5 ms at 1000 bars.
        if pen is not None and abs(tr.m11() * float(rects[0, 2])) < 4.0:
            pen = None
        dev = device_rects(rects[:n], tr.m11(), tr.m22(), tr.dx(), tr.dy())
        p.save()
        p.resetTransform()
        if abs(tr.m11()) < GAPLESS_PX:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # whole-pixel columns, no blending
        p.setPen(pen if pen is not None else pg.mkPen(None))
        codes = self._codes[:n]
        for code, brush in self._code_brushes.items():
            if brush.style() == Qt.BrushStyle.NoBrush:
                continue
            idx = np.nonzero(codes == code)[0]
            if idx.size == 0:
                continue
            batch = self._batches.get(code)
            if batch is None:
                batch = self._batches[code] = pg.Qt.internals.PrimitiveArray(QRectF, 4)
            batch.resize(idx.size)
            batch.ndarray()[:] = dev[idx]
            p.setBrush(brush)
            p.drawRects(*batch.drawargs())
        p.restore()
