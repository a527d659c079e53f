"""The walkthrough panel: step title, caption, live checks, Previous / Next.

It only displays; `app.classroom` decides which step is shown and applies its settings.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from . import theme as themes

LONG_WORD = 30  # a word longer than this gets break opportunities, so it can wrap


def breakable(text: str) -> str:
    """`text` with a zero-width space every LONG_WORD characters inside very long words.

    A word-wrapped label cannot break a word, so one 2000-letter word would make the
    window 27,000 px wide.
    """
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) > LONG_WORD:
            words[i] = "\u200b".join(w[j : j + LONG_WORD] for j in range(0, len(w), LONG_WORD))
    return " ".join(words)


def caption_html(text: str) -> str:
    """Plain caption text as the only markup a step may have: **bold** and line breaks.

    Everything else is escaped, so no steps file can make Qt load an image or lay out
    a table.
    """
    parts = html.escape(breakable(text), quote=False).split("**")
    out = "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts[: len(parts) - (len(parts) % 2 == 0)]))
    if len(parts) % 2 == 0:  # an unpaired ** stays as typed
        out += "**" + parts[-1]
    return out.replace("\n", "<br>")


class WalkthroughPanel(QWidget):
    """Shows one step; emits `next_requested` / `previous_requested` from its buttons."""

    next_requested = Signal()
    previous_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("walkthrough_panel")
        self._theme = themes.get(themes.DEFAULT_THEME)
        self._font_scale = 1.0
        self._base_pt = self.font().pointSizeF() if self.font().pointSizeF() > 0 else 10.0
        self._checks: list[tuple[bool, str]] = []
        self._note = ""

        self.title = QLabel("Walkthrough")
        self.title.setObjectName("walkthrough_title")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # a steps file is data, never markup
        self.caption = QLabel(caption_html("Press Page Down (or Next) to start the lecture walkthrough."))
        self.caption.setTextFormat(Qt.TextFormat.RichText)  # only what caption_html makes
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.checks = QLabel("")
        self.checks.setWordWrap(True)
        self.checks.setTextFormat(Qt.TextFormat.RichText)
        self.counter = QLabel("")
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.setToolTip("Previous step (Page Up)")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("Next step (Page Down; a presenter clicker sends this key)")
        for b in (self.previous_button, self.next_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Page Up/Down stay with the window
        self.previous_button.clicked.connect(self.previous_requested)
        self.next_button.clicked.connect(self.next_requested)

        # Navigation on top, text below: fits a wide bottom dock and a narrow side column.
        nav = QHBoxLayout()
        nav.addWidget(self.counter)
        nav.addStretch(1)
        nav.addWidget(self.previous_button)
        nav.addWidget(self.next_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(4)
        lay.addLayout(nav)
        lay.addWidget(self.title)
        lay.addWidget(self.caption)
        lay.addWidget(self.checks)
        lay.addStretch(1)
        self._apply_fonts()

    # -- public API ------------------------------------------------------------------
    def show_step(self, index: int, count: int, title: str, caption: str) -> None:
        """Show step `index` (0-based) of `count`."""
        self.title.setText(breakable(title))
        self.caption.setText(caption_html(caption))
        self.counter.setText(f"Step {index + 1} of {count}")
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < count - 1)
        self.show_checks([], "")

    def show_checks(self, checks: list[tuple[bool, str]], note: str = "") -> None:
        """The caption's claims as measured on the chart (✓/✗), or a note instead."""
        self._checks = list(checks)
        self._note = note
        self._render_checks()

    def check_lines(self) -> list[tuple[bool, str]]:
        """The (holds, text) lines shown."""
        return list(self._checks)

    def set_theme(self, name: str) -> None:
        """Colour the check marks with the theme's health colours."""
        self._theme = themes.get(name)
        self._render_checks()

    @property
    def base_pt(self) -> float:
        """The point size the text sizes are relative to (the application's font)."""
        return self._base_pt

    def set_font_scale(self, k: float) -> None:
        """Text size x `k`."""
        self._font_scale = float(k)
        self._apply_fonts()

    # -- internals -------------------------------------------------------------------
    def _apply_fonts(self) -> None:
        k = self._font_scale
        for label, factor, bold in (
            (self.title, 1.35, True),
            (self.caption, 1.2, False),
            (self.checks, 0.85, False),
            (self.counter, 1.0, False),
        ):
            f = label.font()
            f.setPointSizeF(max(6.0, self._base_pt * factor * k))
            f.setBold(bold)
            label.setFont(f)
        for b in (self.previous_button, self.next_button):
            f = b.font()
            f.setPointSizeF(max(6.0, self._base_pt * k))
            b.setFont(f)

    def _render_checks(self) -> None:
        t = self._theme
        if self._note:
            self.checks.setText(f"<i>{html.escape(self._note)}</i>")
            return
        lines = []
        for ok, text in self._checks:
            colour = t.healthy if ok else t.exploding
            lines.append(f"<span style='color:{colour}'>{html.escape(text)}</span>")
        self.checks.setText("<br>".join(lines))
