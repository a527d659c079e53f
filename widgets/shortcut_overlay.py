"""A translucent overlay over the window listing every keyboard shortcut (F1 or ?).

It is a child widget of the window, never takes the keyboard focus (so the window's
shortcuts keep working while it is shown) and hides on a click.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from . import theme as themes


class ShortcutOverlay(QWidget):
    """The list of keys, centred over its parent; `rows()` is what it shows."""

    dismissed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("shortcut_overlay")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self._rows: list[tuple[str, str]] = []
        self._theme = themes.get(themes.DEFAULT_THEME)
        self._font_scale = 1.0
        self.card = QFrame(self)
        self.card.setObjectName("card")
        self.label = QLabel(self.card)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        lay = QVBoxLayout(self.card)
        lay.setContentsMargins(28, 20, 28, 20)
        lay.addWidget(self.label)
        self.hide()

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        """(keys, what they do) pairs, in display order."""
        self._rows = list(rows)
        self._render()

    def rows(self) -> list[tuple[str, str]]:
        """The rows shown."""
        return list(self._rows)

    def set_theme(self, name: str) -> None:
        """Colours of the card."""
        self._theme = themes.get(name)
        self._render()

    def set_font_scale(self, k: float) -> None:
        """Text size x `k`."""
        self._font_scale = k
        self._render()

    def toggle(self) -> None:
        """Show (over the whole parent) or hide."""
        if self.isVisible():
            self.dismiss()
        else:
            self.show_over_parent()

    def show_over_parent(self) -> None:
        """Cover the parent and show the list."""
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self._place_card()
        self.show()
        self.raise_()

    def dismiss(self) -> None:
        """Hide the overlay."""
        if self.isVisible():
            self.hide()
            self.dismissed.emit()

    def _render(self) -> None:
        t = self._theme
        pt = 13 * self._font_scale
        rows = "".join(
            f"<tr><td style='padding:3px 18px 3px 0'><b>{html.escape(k)}</b></td>"
            f"<td style='padding:3px 0'>{html.escape(v)}</td></tr>"
            for k, v in self._rows
        )
        self.label.setText(
            f"<div style='font-size:{pt * 1.3:.1f}pt'><b>Keyboard shortcuts</b></div>"
            f"<table style='font-size:{pt:.1f}pt'>{rows}</table>"
            f"<div style='font-size:{pt * 0.85:.1f}pt'>F1, ? or Esc closes this list. "
            "Keys work wherever the focus is, except while typing in a number box.</div>"
        )
        self.card.setStyleSheet(
            f"QFrame#card {{ background: {t.panel}; border: 2px solid {t.foreground}; border-radius: 10px; }}"
            f"QLabel {{ color: {t.foreground}; background: transparent; }}"
        )
        if self.isVisible():
            self._place_card()

    def _place_card(self) -> None:
        self.card.adjustSize()
        size = self.card.sizeHint().boundedTo(self.size())
        self.card.resize(size)
        self.card.move(max(0, (self.width() - size.width()) // 2), max(0, (self.height() - size.height()) // 2))

    def resizeEvent(self, event) -> None:  # Qt override
        """Keep the card centred."""
        self._place_card()
        super().resizeEvent(event)

    def paintEvent(self, event) -> None:  # Qt override
        """Dim everything behind the card."""
        p = QPainter(self)
        c = QColor(0, 0, 0, 150)
        p.fillRect(self.rect(), c)
        p.end()

    def mousePressEvent(self, event) -> None:  # Qt override
        """A click anywhere closes the overlay."""
        self.dismiss()
        event.accept()
