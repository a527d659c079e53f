"""A wrapped paragraph inside a pyqtgraph layout: the readout under an exported chart.

pyqtgraph's LabelItem is one line; a figure "with caption" for slides needs the readout's
sentences wrapped to the chart's width, so this item wraps a QGraphicsTextItem and asks the
layout for exactly the height the wrapped text takes.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGraphicsTextItem, QSizePolicy


class CaptionItem(pg.GraphicsWidget):
    """Plain text wrapped to the item's width; its height follows the text."""

    def __init__(self) -> None:
        super().__init__()
        self._width = 0.0
        self.text = QGraphicsTextItem(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(10)  # the text wraps to the layout's width; it never widens the layout
        self.setPreferredWidth(10)

    def set_text(self, plain: str, colour: str, point_size: float) -> None:
        """Show `plain` (one paragraph per line) in `colour` at `point_size`."""
        font = QFont()
        font.setPointSizeF(point_size)
        self.text.setFont(font)
        self.text.setDefaultTextColor(QColor(colour))
        self.text.setPlainText(plain)
        self._fit(self.size().width())

    def plain_text(self) -> str:
        """The caption as shown."""
        return self.text.toPlainText()

    def _fit(self, width: float) -> None:
        width = max(100.0, width)
        self.text.setTextWidth(width - 16)
        self.text.setPos(8, 0)
        h = self.text.document().size().height() + 4
        self.setMinimumHeight(h)
        self.setMaximumHeight(h)
        self.updateGeometry()

    def resizeEvent(self, ev) -> None:  # Qt override
        """Re-wrap when the layout gives the item another width."""
        w = self.size().width()
        if abs(w - self._width) > 0.5:
            self._width = w
            self._fit(w)
        super().resizeEvent(ev)
