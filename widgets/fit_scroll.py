"""A scroll area exactly as tall as its word-wrapped content, up to a share of its parent's height.

Long text (the readout, a walkthrough caption) then never squeezes the chart beyond that
share and is never clipped: past the cap it scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QWidget


def line_bottoms(content: QWidget, width: int) -> list[float]:
    """Where each text line of a rich-text label ends (pixels from its top), at `width`; [] otherwise."""
    if not isinstance(content, QLabel) or not content.text():
        return []
    m = content.contentsMargins()
    doc = QTextDocument()
    doc.setDefaultFont(content.font())
    doc.setDocumentMargin(0)
    doc.setHtml(content.text())
    doc.setTextWidth(max(1, width - m.left() - m.right()))
    out: list[float] = []
    block = doc.begin()
    while block.isValid():
        top = doc.documentLayout().blockBoundingRect(block).top()
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            out.append(m.top() + top + line.y() + line.height())
        block = block.next()
    return out


class FitScroll(QScrollArea):
    """Shows `content` at its height for the current width, capped at `share` x the parent's height."""

    def __init__(self, content: QWidget, share: float = 0.3, parent=None) -> None:
        super().__init__(parent)
        self._watched: QWidget | None = None
        self._hint = QSize()  # the size hint last given to the layout
        self.share = share
        self.setWidgetResizable(False)  # the content is sized here, at its height for the width
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(content)
        self.content = content
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        # Measuring a label lays its text out (a millisecond or more); the layout asks for the
        # size hint several times per change, so the measures of a few recent texts are kept.
        self._measures: dict[tuple, int | list[float]] = {}
        content.installEventFilter(self)

    def _key(self, what: str, width: int) -> tuple | None:
        """What a measure of a label depends on; None for other content (measured each time)."""
        content = self.content
        if not isinstance(content, QLabel):
            return None
        m = content.contentsMargins()
        return (what, width, content.text(), content.font().key(), m.left(), m.top(), m.right(), m.bottom())

    def _measured(self, what: str, width: int, measure):
        key = self._key(what, width)
        if key is None:
            return measure()
        if key not in self._measures:
            if len(self._measures) >= 16:
                self._measures.clear()
            self._measures[key] = measure()
        return self._measures[key]

    def content_height(self, width: int | None = None) -> int:
        """The content's height at `width` (default: the viewport's), all of its text shown."""
        content = self.content
        w = max(1, self.viewport().width() if width is None else width)

        def measure() -> int:
            if content.hasHeightForWidth():  # a word-wrapped label: its height at w is the whole answer
                return content.heightForWidth(w)
            return max(content.sizeHint().height(), content.minimumSizeHint().height())

        return self._measured("height", w, measure)

    def cap(self) -> int:
        """The most height this area takes: a share of the parent's height, in whole lines of text."""
        parent = self.parentWidget()
        if parent is None:
            return 10_000
        room = max(1, int(self.share * parent.height()))
        w = max(1, self.viewport().width())
        if self.content_height(w) <= room:
            return room  # all of it fits: no line is cut, so none needs finding
        bottoms = self._measured("lines", w, lambda: line_bottoms(self.content, w))
        fitting = [b for b in bottoms if b <= room]
        if fitting and bottoms and bottoms[-1] > room:  # whole lines only: none cut in half
            return int(fitting[-1]) + 1
        return room

    def refit(self) -> None:
        """The content changed (new text): size it again and ask the layout for the new height.

        Only a real change resizes or asks the layout again: resizing is what triggers the
        next refit (parent resize, content layout request), so an unconditional refit keeps
        the event loop busy forever (a window idling at 60 % CPU).
        """
        content = self.content
        w = max(1, self.viewport().width())
        size = QSize(w, self.content_height(w))
        if content.size() != size:
            content.resize(size)
        hint = self.sizeHint()
        if hint != self._hint:
            self._hint = hint
            self.updateGeometry()

    def sizeHint(self) -> QSize:  # Qt override
        """As tall as the content, up to the cap."""
        return QSize(super().sizeHint().width(), min(self.content_height(), self.cap()))

    def minimumSizeHint(self) -> QSize:  # Qt override
        """The same as the size hint: the layout gives exactly that."""
        return self.sizeHint()

    def scrolls(self) -> bool:
        """True when the content is taller than the area (it scrolls instead of being cut)."""
        return self.verticalScrollBar().maximum() > 0

    def fits(self) -> bool:
        """True when the whole content is visible or can be scrolled to: never clipped."""
        return self.content_height() <= self.viewport().height() or self.scrolls()

    def showEvent(self, event) -> None:  # Qt override
        """Follow the parent's height from now on."""
        parent = self.parentWidget()
        if parent is not None and parent is not self._watched:
            parent.installEventFilter(self)
            self._watched = parent
        super().showEvent(event)

    def resizeEvent(self, event) -> None:  # Qt override
        """A new width changes the wrapped content's height."""
        super().resizeEvent(event)
        self.refit()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # Qt override
        """Recompute the height when the content changes or the parent is resized."""
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.FontChange) or (
            obj is self._watched and event.type() == QEvent.Type.Resize
        ):
            self.refit()
        return super().eventFilter(obj, event)
