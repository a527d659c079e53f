"""The walkthrough panel: step title, caption, live checks, Previous / Next.

It only displays; `app.classroom_walk` decides which step is shown and applies its settings.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from . import theme as themes

NARROW = 60  # below this many points (x the font size) wide, the navigation takes two rows
FIT_FLOOR = 0.8  # fitted text is at least this share of the size asked for; beyond, it scrolls
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
    """Shows one step; emits `next_requested` / `previous_requested` / `step_chosen(index)`.

    The title, caption and check lines sit in a scroll area: the panel is as tall as its
    text needs (`needed_height`) and a caption longer than the room scrolls, never clipped.
    With `fit_font` on (presentation mode) the text shrinks, down to `FIT_FLOOR` x its
    size, until it fits the room.
    """

    next_requested = Signal()
    previous_requested = Signal()
    step_chosen = Signal(int)  # 0-based: the step list or Restart

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("walkthrough_panel")
        self._theme = themes.get(themes.DEFAULT_THEME)
        self._font_scale = 1.0
        self._fit = False
        self.fitted_scale = 1.0  # the text size used (below _font_scale when fitted)
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
        self.jump = QComboBox()
        self.jump.setToolTip("Jump to a step")
        self.jump.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.jump.setMinimumContentsLength(8)
        self.jump.activated.connect(self.step_chosen)
        self.restart_button = QPushButton("Restart")
        self.restart_button.setToolTip("Back to the first step")
        self.restart_button.clicked.connect(lambda: self.step_chosen.emit(0))
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.setToolTip("Previous step (Page Up)")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("Next step (Page Down; a presenter clicker sends this key)")
        for b in (self.previous_button, self.next_button, self.restart_button, self.jump):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Page Up/Down stay with the window
        self.previous_button.clicked.connect(self.previous_requested)
        self.next_button.clicked.connect(self.next_requested)

        # Navigation on top, text below: fits a wide bottom dock and a narrow side column.
        # One row in a wide dock, two in a narrow column (presentation mode).
        where, buttons = QWidget(), QWidget()
        row = QHBoxLayout(where)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.counter)
        row.addWidget(self.jump, 1)
        row = QHBoxLayout(buttons)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.restart_button)
        row.addWidget(self.previous_button)
        row.addWidget(self.next_button)
        self.nav = QWidget()
        self._nav = QBoxLayout(QBoxLayout.Direction.LeftToRight, self.nav)
        self._nav.setContentsMargins(0, 0, 0, 0)
        self._nav.addWidget(where, 1)
        self._nav.addWidget(buttons)
        self.text = QWidget()
        self._text_layout = text = QVBoxLayout(self.text)
        # Sized here by its height for the actual width (`_size_text`): a resizable scroll area
        # would use the labels' narrow-width minimum heights and scroll when everything fits.
        text.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        text.setContentsMargins(0, 0, 0, 0)
        text.setSpacing(4)
        text.addWidget(self.title)
        text.addWidget(self.caption)
        text.addWidget(self.checks)
        text.addStretch(1)
        self.text_area = QScrollArea()
        self.text_area.setWidgetResizable(False)
        self.text_area.setFrameShape(QFrame.Shape.NoFrame)
        self.text_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.text_area.setWidget(self.text)
        self.text_area.viewport().installEventFilter(self)  # a scroll bar coming or going: new width
        self._layout = lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(4)
        lay.addWidget(self.nav)
        lay.addWidget(self.text_area, 1)
        self._apply_fonts(self._font_scale)

    # -- public API ------------------------------------------------------------------
    def set_titles(self, titles: list[str]) -> None:
        """The step list of the jump box (one entry per step)."""
        with QSignalBlocker(self.jump):
            self.jump.clear()
            self.jump.addItems([breakable(t) for t in titles])

    def show_step(self, index: int, count: int, title: str, caption: str) -> None:
        """Show step `index` (0-based) of `count`."""
        self.title.setText(breakable(title))
        self.caption.setText(caption_html(caption))
        self.counter.setText(f"Step {index + 1} of {count}")
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < count - 1)
        if 0 <= index < self.jump.count():
            with QSignalBlocker(self.jump):
                self.jump.setCurrentIndex(index)
        self.show_checks([], "")
        self.text_area.verticalScrollBar().setValue(0)

    def show_checks(self, checks: list[tuple[bool, str]], note: str = "") -> None:
        """The caption's claims as measured on the chart (✓/✗), or a note instead."""
        self._checks = list(checks)
        self._note = note
        self._render_checks()
        self._refit()

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

    def set_font_scale(self, k: float, *, fit: bool = False) -> None:
        """Text size x `k`; with `fit`, smaller (down to FIT_FLOOR x) until the text fits the room."""
        self._font_scale = float(k)
        self._fit = fit
        self._apply_fonts(self._font_scale)
        self._refit()

    def text_height(self, width: int | None = None) -> int:
        """The height title, caption and checks need at `width` (default: the scroll area's)."""
        w = max(1, self.text_area.viewport().width() if width is None else width)
        return self._text_layout.heightForWidth(w)

    def needed_height(self, width: int) -> int:
        """The panel's height that shows everything without scrolling at panel width `width`."""
        m = self._layout.contentsMargins()
        bar = self.text_area.verticalScrollBar().sizeHint().width()  # as if it scrolled: never short
        inner = max(1, width - m.left() - m.right() - bar)
        return m.top() + m.bottom() + self.nav.sizeHint().height() + self._layout.spacing() + self.text_height(inner)

    def text_fits(self) -> bool:
        """True when the whole text is visible, or the rest can be scrolled to (never clipped)."""
        bar = self.text_area.verticalScrollBar()
        return self.text_height() <= self.text_area.viewport().height() or bar.maximum() > 0

    # -- internals -------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # Qt override
        """A new size may need another fitted text size, and the buttons another row."""
        super().resizeEvent(event)
        wide = event.size().width() >= NARROW * self._base_pt * min(self.fitted_scale, self._font_scale)
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self._nav.direction() != direction:
            self._nav.setDirection(direction)
        # In one wide row the step list shows the title (bold): no second copy below it.
        self.title.setVisible(not wide)
        self._refit()

    def eventFilter(self, obj, event) -> bool:  # Qt override
        """The text area's viewport changed size: the text follows its width."""
        if event.type() == QEvent.Type.Resize and obj is self.text_area.viewport():
            self._size_text()
        return False

    def _size_text(self) -> None:
        view = self.text_area.viewport()
        self.text.resize(view.width(), max(view.height(), self.text_height(view.width())))

    def _refit(self) -> None:
        try:
            self._fit_font()
        finally:
            self._size_text()

    def _fit_font(self) -> None:
        if not self._fit:
            if self.fitted_scale != self._font_scale:
                self._apply_fonts(self._font_scale)
            return
        room = self.text_area.viewport().height()
        k = self._font_scale
        self._apply_fonts(k)
        while self.text_height() > room and k > self._font_scale * FIT_FLOOR:
            k = max(self._font_scale * FIT_FLOOR, k * 0.93)
            self._apply_fonts(k)

    def _apply_fonts(self, k: float) -> None:
        self.fitted_scale = k
        for label, factor, bold in (
            (self.title, 1.35, True),
            (self.caption, 1.2, False),
            (self.checks, 1.0, False),
            (self.counter, 1.0, False),
        ):
            f = label.font()
            f.setPointSizeF(max(6.0, self._base_pt * factor * k))
            f.setBold(bold)
            label.setFont(f)
        for b in (self.previous_button, self.next_button, self.restart_button):
            f = b.font()
            f.setPointSizeF(max(6.0, self._base_pt * min(k, self._font_scale)))
            b.setFont(f)
        f = self.jump.font()
        f.setPointSizeF(max(6.0, self._base_pt * 1.15 * min(k, self._font_scale)))
        f.setBold(True)
        self.jump.setFont(f)

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
