"""The chart's bars: one BarGraphItem painted with a brush per health code.

pyqtgraph's private drawing members (`_rectarray`, `_sharedPen`) are used here only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush


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
        # Outlines only where a bar is wide enough to show one inside (>= 4 px): on narrower
        # bars the outline would cover the health colour, and it costs 5 ms at 1000 bars.
        if pen is not None and abs(p.transform().m11() * float(rects[0, 2])) < 4.0:
            pen = None
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
            batch.ndarray()[:] = rects[idx]
            p.setBrush(brush)
            p.drawRects(*batch.drawargs())
