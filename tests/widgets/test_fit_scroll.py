"""FitScroll: as tall as its wrapped text at the current width, up to a share of its parent; measures kept per text."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from depthlens.widgets.fit_scroll import FitScroll

TEXT = "Gradients shrink by the same factor at every layer, " * 12


def _area(qtbot, width=300, height=800):
    host = QWidget()
    qtbot.addWidget(host)
    label = QLabel(TEXT)
    label.setWordWrap(True)
    area = FitScroll(label, share=0.5, parent=host)
    layout = QVBoxLayout(host)
    layout.addWidget(area)
    layout.addStretch(1)
    host.resize(width, height)
    host.show()
    qtbot.waitExposed(host)
    return host, label, area


def test_height_follows_the_width_the_text_and_the_font(qtbot):
    _, label, area = _area(qtbot)
    narrow = area.content_height(200)
    wide = area.content_height(600)
    assert narrow > wide > 0
    assert area.content_height(200) == narrow  # measured again from the kept measure: same

    label.setText("One line.")
    assert area.content_height(200) < narrow  # a new text is measured anew
    label.setText(TEXT)
    assert area.content_height(200) == narrow

    big = QFont(label.font())
    big.setPointSizeF(label.font().pointSizeF() * 2)
    label.setFont(big)
    assert area.content_height(200) > narrow  # a new font too


def test_the_area_shows_all_of_a_short_text_and_scrolls_a_long_one(qtbot):
    host, label, area = _area(qtbot, height=200)
    label.setText("One line.")
    area.refit()  # as its users do after a new text
    qtbot.waitUntil(lambda: area.height() == area.content_height())
    assert not area.scrolls()
    label.setText(TEXT * 3)
    area.refit()
    qtbot.waitUntil(lambda: area.scrolls())
    assert area.height() <= 0.5 * host.height() + 1 and area.fits()
