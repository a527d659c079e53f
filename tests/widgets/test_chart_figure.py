"""The chart as a figure (issue 16): axis labels, baseline, tooltips, pin, linear axis, stale, caption."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QFontMetricsF, QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from depthlens.engine import PRESETS, Engine, Settings
from depthlens.headless import offscreen_chart
from depthlens.widgets.health_bars import GAPLESS_PX, device_rects

ENGINE = Engine()


def lecture(scale=1.0, depth=20):
    return ENGINE.compute(
        Settings(
            depth=depth,
            width=2,
            batch=1,
            activation="linear",
            init="identity",
            scale=scale,
            input="ones",
            dtype="float64",
        )
    )


@pytest.fixture
def chart(make_chart):
    c = make_chart("both", (900, 520))
    c.animation_ms = 0
    return c


def _axes(chart):
    return [item for item in chart.scene().items() if isinstance(item, pg.AxisItem)]


NARROW = [PRESETS["he-relu"].settings, lecture(1.001).settings, Settings(depth=1000, width=8, batch=2, scale=1.0)]


@pytest.mark.parametrize("settings", NARROW, ids=["he-relu", "near-1", "L1000"])
@pytest.mark.parametrize("font_scale", [1.0, 2.2])
@pytest.mark.parametrize("linear", [False, True])
def test_no_axis_label_has_an_si_prefix(chart, settings, font_scale, linear):
    chart.set_font_scale(font_scale)
    chart.set_linear(linear)
    chart.set_result(ENGINE.compute(settings), animate=False)
    QApplication.processEvents()
    for axis in _axes(chart):
        assert "(x" not in axis.labelString(), axis.labelString()
        assert axis.autoSIPrefixScale == 1.0
    # The offscreen export path (PNG at 3840x2160 is laid out at 1280x720 and scaled x3).
    with offscreen_chart(ENGINE.compute(settings), (1280, 720), scale=3.0, state=chart.export_state()) as c:
        for axis in _axes(c):
            assert "(x" not in axis.labelString()


def test_y_axis_is_wide_enough_for_its_tick_labels_and_title(chart):
    for result in (ENGINE.compute(PRESETS["he-relu"].settings), lecture(0.5, 50), lecture(1.5, 50)):
        for font_scale in (1.0, 2.0):
            chart.set_font_scale(font_scale)
            chart.set_result(result, animate=False)
            QApplication.processEvents()
            left = chart.plot.getAxis("left")
            _, _, y0, y1 = chart._range_to
            strings = [
                t
                for _, vals in left.tickValues(y0, y1, chart.plot.vb.height())
                for t in left.tickStrings(vals, 1.0, 1.0)
            ]
            fm = QFontMetricsF(left.style["tickFont"])
            widest = max(fm.horizontalAdvance(t) for t in strings)
            title_h = QFontMetricsF(left.label.font()).height()
            # Tick text right-aligned against the axis line; the title's line left of it.
            assert left.width() >= widest + title_h + 2 * left.style["tickTextOffset"][0], (strings, left.width())


def test_bars_rise_from_a_decade_below_every_value_so_rms_one_is_visible(chart):
    chart.set_result(lecture(1.0), animate=False)  # every RMS is exactly 1
    h = chart.bar_heights("activation_rms")
    np.testing.assert_allclose(h, 0.0, atol=1e-12)  # the bars' tops are at 10^0
    assert chart.baseline <= -1.0 and chart.baseline == math.floor(chart.baseline)
    drawn = np.asarray(chart._bars[0].opts["height"])
    assert np.all(drawn >= 1.0 - 1e-12)  # each bar is at least a decade tall on screen
    assert "Bars rise from 10⁻¹" in chart.rule.text
    he = ENGINE.compute(PRESETS["he-relu"].settings)
    chart.set_result(he, animate=False)
    lows = [np.nanmin(chart.series(c).logs) for c in ("activation_rms", "gradient_rms")]
    assert chart.baseline < min(lows) and chart._range_shown[2] == chart.baseline


def test_tooltip_is_in_words_and_stays_while_the_mouse_rests(qtbot, chart):
    chart.set_result(lecture(1.5, 10), animate=False)
    QApplication.processEvents()
    pos = chart.plot.vb.mapViewToScene(QPointF(4, 0.5))
    chart.scene().sigMouseMoved.emit(pos)
    assert chart.hover_layer == 4
    tip = chart.hover_text
    assert "gradient RMS" in tip and "activation RMS" in tip and "_" not in tip.replace("g_L", "")
    assert QToolTip.isVisible() and QToolTip.text() == tip
    # Qt sends the view a tooltip event after the mouse rests; the scene, which has no item
    # with a tooltip there, used to hide ours. Wait well past 2 s with those events arriving.
    widget_pos = chart.mapFromScene(pos)
    for _ in range(6):
        ev = QHelpEvent(QEvent.Type.ToolTip, widget_pos, chart.viewport().mapToGlobal(widget_pos))
        QApplication.sendEvent(chart.viewport(), ev)
        qtbot.wait(450)
    assert QToolTip.isVisible() and QToolTip.text() == tip
    chart.leaveEvent(QEvent(QEvent.Type.Leave))
    QApplication.processEvents()
    assert chart.hover_layer is None


def test_pinned_ghost_is_drawn_in_the_legend_and_the_tooltip(chart):
    xavier = ENGINE.compute(PRESETS["xavier-relu"].settings)
    he = ENGINE.compute(PRESETS["he-relu"].settings)
    chart.set_result(xavier, animate=False)
    chart.pin()
    chart.set_result(he, animate=False)
    fill = chart._ghost.fills[0]
    assert fill.isVisible() and chart._ghost.lines[0].isVisible()
    tops = np.asarray(fill.opts["height"]) + float(fill.opts["y0"])
    np.testing.assert_allclose(tops, np.log10(xavier.column("activation_rms")), rtol=1e-9)
    # The range holds the ghost: Xavier-ReLU's activations fall to ~3e-8.
    assert chart._range_shown[2] < float(np.log10(xavier.column("activation_rms")).min())
    labels = [label.text for _, label in chart.legend.items]
    assert any(t.startswith("pinned: relu, gaussian, s = 1,") for t in labels), labels
    assert "(pinned " in chart.layer_tooltip(30)
    chart.unpin()
    assert not fill.isVisible() and not any("pinned" in label.text for _, label in chart.legend.items)


def test_linear_axis_plots_the_rms_itself(chart):
    r = lecture(0.5, 50)
    chart.set_linear(True)
    chart.set_result(r, animate=False)
    np.testing.assert_allclose(chart.bar_heights("activation_rms"), r.column("activation_rms"), rtol=1e-12)
    assert chart.baseline == 0.0 and chart._range_shown[2] == 0.0
    assert "linear" in chart.plot.getAxis("left").labelString()
    assert "Bars rise from 0" in chart.rule.text
    left = chart.plot.getAxis("left")
    assert left.tickStrings([0.0, 0.25, 2.5e8, 1e-15], 1.0, 0.25) == ["0", "0.25", "2.5·10⁸", "10⁻¹⁵"]
    chart.set_linear(False)
    np.testing.assert_allclose(chart.bar_heights("activation_rms"), np.log10(r.column("activation_rms")), rtol=1e-9)


def test_stale_dims_the_bars_with_progress_until_the_next_result(chart):
    chart.set_result(lecture(1.5, 10), animate=False)
    chart.set_stale(0.42)
    assert chart._bars[0].opacity() < 0.5 and chart._stale_text.isVisible()
    assert "42 %" in chart._stale_text.textItem.toPlainText()
    chart.set_result(lecture(1.2, 10), animate=False)
    assert chart.stale is None and chart._bars[0].opacity() == 1.0 and not chart._stale_text.isVisible()


def test_narrow_bars_fill_their_columns_on_whole_pixels():
    # 1001 layers on 1200 px: each layer ~1.2 px. Bars of 0.8 would leave sub-pixel gaps (a moire).
    sx = 1.2
    assert sx < GAPLESS_PX
    x = np.arange(1001, dtype=np.float64)
    rects = np.column_stack([x - 0.4, np.zeros_like(x), np.full_like(x, 0.8), np.ones_like(x)])
    dev = device_rects(rects, sx, -100.0, 10.0, 500.0)
    left, width = dev[:, 0], dev[:, 2]
    assert np.all(left == np.round(left)) and np.all(width >= 1)
    assert np.all(left[1:] <= left[:-1] + width[:-1])  # no gap between neighbours
    # Side-by-side bars meet at the layer's centre, each takes its half of the column.
    pair = np.array([[4.6, 0, 0.4, 1], [5.0, 0, 0.4, 1]])
    d = device_rects(pair, 2.0, -1.0, 0.0, 0.0)
    assert d[0, 0] + d[0, 2] == d[1, 0]
    # Wide bars keep their width (to the pixel).
    wide = device_rects(np.array([[9.6, 0, 0.8, 1]]), 30.0, -1.0, 0.0, 0.0)
    assert wide[0, 2] == 24


def test_exact_zeros_are_a_stub_on_the_baseline_not_a_value(chart):
    r = ENGINE.compute(
        Settings(
            depth=300, width=2, batch=1, activation="linear", init="identity", scale=0.05, input="ones", dtype="float32"
        )
    )
    chart.set_result(r, animate=False)
    s = chart.series("activation_rms")
    zero = s.codes == 4  # ZERO
    assert zero.any()
    _, _, y0, y1 = chart._range_shown
    h = chart.bar_heights("activation_rms")
    assert np.all(h[zero] - y0 <= 0.05 * (y1 - y0))  # a stub, far below the smallest real value
    assert np.all(h[zero] < np.nanmin(s.logs))
    assert any("underflow to 0" in t for t in chart.marker_texts())


def test_extra_legend_words_change_in_place_and_a_new_row_rebuilds(chart):
    chart.set_result(lecture(), animate=False)
    box, dot = pg.BarGraphItem(x=[0], height=[1], width=1), pg.ScatterPlotItem()
    chart.set_extra_legend([(box, "10–90 % over 1 seeds"), (dot, "median of 1 seeds")])
    rows = list(chart.legend.items)
    assert [label.text for _, label in rows[-2:]] == ["10–90 % over 1 seeds", "median of 1 seeds"]
    fresh = pg.BarGraphItem(x=[0], height=[1], width=1)
    chart.set_extra_legend([(fresh, "10–90 % over 5 seeds"), (dot, "median of 5 seeds")])
    assert chart.legend.items == rows  # the same rows (no rebuild), relabelled
    assert [label.text for _, label in chart.legend.items[-2:]] == ["10–90 % over 5 seeds", "median of 5 seeds"]
    chart.set_view("gradients")  # the rest of the legend is rebuilt with the extra rows' new words
    assert [label.text for _, label in chart.legend.items[-2:]] == ["10–90 % over 5 seeds", "median of 5 seeds"]
    chart.set_extra_legend([(box, "a third entry")])
    assert [label.text for _, label in chart.legend.items][-1] == "a third entry"
    assert not any("seeds" in label.text for _, label in chart.legend.items)
    chart.set_extra_legend([])
    assert not any("third" in label.text for _, label in chart.legend.items)


def test_y_axis_widens_at_once_and_narrows_after_a_few_narrow_results(chart):
    from depthlens.widgets.chart_texts import SHRINK_AFTER

    left = chart.plot.getAxis("left")
    wide, narrow = lecture(1.0, 20), lecture(2.0, 50)  # labels 2·10⁰ .. (minor ticks), or decades only
    chart.set_result(wide, animate=False)
    w_wide = left.fixedWidth
    chart.set_result(narrow, animate=False)
    assert left.fixedWidth == w_wide  # kept: a drag swinging between the two does not relayout
    for _ in range(SHRINK_AFTER - 1):
        chart.set_result(narrow, animate=False)
    w_narrow = left.fixedWidth
    assert w_narrow < w_wide
    chart.set_result(wide, animate=False)
    assert left.fixedWidth == w_wide  # wider at once: no label is ever cut


def test_a_longer_rule_or_title_is_never_cut_in_a_wide_chart(make_chart, qtbot):
    from PySide6.QtCore import QPoint, QRect

    chart = make_chart("activations", (1900, 700))
    chart.animation_ms = 0
    chart.set_result(lecture(), animate=False)
    for view in ("activations", "both", "gradients", "both"):  # the rule's text grows and shrinks
        chart.set_view(view)
        qtbot.wait(20)
        view_rect = QRect(QPoint(0, 0), chart.viewport().size())
        for label in (chart.title, chart.rule):
            text = label.item.mapRectToScene(label.item.boundingRect())
            shown = label.mapRectToScene(label.boundingRect())
            assert shown.left() <= text.left() + 1 and text.right() <= shown.right() + 1, (view, label.text)
            assert view_rect.contains(chart.mapFromScene(text).boundingRect()), (view, label.text)
