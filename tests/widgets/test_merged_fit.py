"""What the merged window showed wrong in the chart and the controls, each checked on the widget.

The chart's layout stayed wider than the chart after a narrowing (its last layers and legend
items cut off), batch norm's four-line note ran off both sides of the plot, the y axis title
ran into the chart title on a low plot, and compact controls kept the skip/norm group.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QApplication

from depthlens.engine import Engine, Settings
from depthlens.widgets.chart import LayerChart
from depthlens.widgets.chart_texts import NOTE_CHARS, chart_note
from depthlens.widgets.controls import ControlPanel

ENGINE = Engine()
DEEP = Settings(depth=152, width=16, batch=8, activation="relu", scale=1.41)


@pytest.fixture
def chart(qtbot):
    c = LayerChart(view="both")
    qtbot.addWidget(c)
    c.resize(1072, 459)
    c.show()
    yield c
    c.stop()


def _items_inside(chart: LayerChart) -> None:
    view = QRect(QPoint(0, 0), chart.viewport().size()).adjusted(-1, -1, 1, 1)
    assert chart.ci.geometry().width() <= chart.viewport().width() + 1
    for item in (chart.title, chart.plot, chart.legend, chart.rule):
        rect = item.mapRectToScene(item.boundingRect()).toAlignedRect()
        assert view.contains(rect), (item, rect, view)


@pytest.mark.parametrize("width", [806, 700, 560])
def test_the_layout_follows_a_narrower_chart(chart, qtbot, width):
    # Wide first (a 3- or 4-column legend), then narrow, as when the Training dock opens.
    chart.set_result(ENGINE.compute(DEEP), animate=False)
    QApplication.processEvents()
    chart.resize(width, 407)
    qtbot.waitUntil(lambda: chart.viewport().width() <= width)
    QApplication.processEvents()
    _items_inside(chart)
    # the legend's columns as laid out fit (the quick estimate misses the grid's spacing)
    assert chart.legend.layout.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() <= chart.viewport().width()


def test_a_long_note_is_one_short_line_in_the_plot(chart, qtbot):
    r = ENGINE.compute(Settings(depth=20, width=16, batch=8, activation="relu", scale=1.41, norm="batch"))
    assert not r.theory.defined and len(r.theory.note) > NOTE_CHARS
    chart.set_result(r, animate=False)
    QApplication.processEvents()
    text = chart._note.textItem.toPlainText()
    assert text.count("no theory line") == 1 and "batch norm" in text and len(text) <= NOTE_CHARS
    plot = chart.plot.vb.sceneBoundingRect()
    note = chart._note.sceneBoundingRect()
    assert note.left() >= plot.left() - 1 and note.right() <= plot.right() + 1
    assert chart_note("identity init: x") == "no theory line: identity init: x"  # short notes whole


def test_the_y_title_is_never_longer_than_the_plot(chart, qtbot):
    chart.set_result(ENGINE.compute(DEEP), animate=False)
    for height in (459, 300, 220, 180):
        chart.resize(806, height)
        QApplication.processEvents()
        left = chart.plot.getAxis("left")
        font = QFont()
        font.setPointSizeF(12 * chart.font_scale)
        room = chart.plot.vb.height()
        if room >= QFontMetricsF(font).horizontalAdvance("RMS"):
            assert QFontMetricsF(font).horizontalAdvance(left.labelText) <= room, (height, left.labelText)
    chart.resize(806, 600)
    QApplication.processEvents()
    assert chart.plot.getAxis("left").labelText == "RMS (log scale)"  # the full title when it fits


def test_compact_controls_keep_the_skip_group_only_when_used(qtbot):
    panel = ControlPanel(Settings())
    qtbot.addWidget(panel)
    panel.show()
    arch = panel.control("residual").parentWidget()
    panel.set_compact(True)
    assert arch.isHidden()  # a plain net: depth, scale, activation only
    panel.set_settings(Settings(residual=1.0))
    assert not arch.isHidden()
    panel.set_settings(Settings(norm="layer"))
    assert not arch.isHidden()
    panel.set_compact(False)
    panel.set_settings(Settings())
    assert not arch.isHidden()  # every control outside compact mode
