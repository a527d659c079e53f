"""The chart has priority at every size: nothing cut off, captions never clipped, controls can go."""

from __future__ import annotations

import json

import pytest
from classroom_util import inside, settle, sized
from conftest import wait_shown
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox, QPushButton

from depthlens.engine import PRESETS, Engine, Settings
from depthlens.walkthrough import default_steps
from depthlens.widgets import theme as themes
from depthlens.widgets.readout import describe

pytest_plugins = ("classroom_util",)

SMALL = Settings(depth=12, width=8, batch=4)


@pytest.mark.parametrize("index", [0, 4])
def test_whole_chart_visible_at_1024x768_with_the_walkthrough(make_room, qtbot, index):
    window, room = make_room(SMALL)
    sized(window, qtbot, (1024, 768))
    room.go_to_step(index)
    settle(qtbot, window, room.steps[index])
    chart = window.chart
    assert window.rect().contains(inside(chart, window))  # the chart widget lies inside the window
    # and the chart's own layout (title, plot, legend, colour rule) lies inside the chart's view
    view = QRect(QPoint(0, 0), chart.viewport().size())
    for item in (chart.title, chart.plot, chart.legend, chart.rule):
        rect = item.mapRectToScene(item.boundingRect()).toAlignedRect()
        assert view.adjusted(-1, -1, 1, 1).contains(rect), (item, rect, view)
    assert chart.plot.vb.height() >= 80  # the plot keeps room, above the readout and the panel
    assert room.walk_dock.height() <= 0.31 * window.height()
    assert room.panel.text_fits()  # the caption is shown whole, or scrolls: never clipped
    assert window.readout_area.fits() and window.readout_area.height() <= 0.26 * window.centralWidget().height()


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)])
@pytest.mark.parametrize("index", [4, 7])
def test_presentation_caption_is_never_clipped(make_room, qtbot, size, index):
    window, room = make_room(SMALL)
    room.set_presentation(True)
    sized(window, qtbot, size)
    room.go_to_step(index)
    settle(qtbot, window, room.steps[index])
    panel = room.panel
    bar = panel.text_area.verticalScrollBar()
    # the caption's document fits its viewport, or it scrolls to the rest
    assert panel.text_height() <= panel.text_area.viewport().height() or bar.maximum() > 0
    assert panel.text_area.viewport().height() > 0 and inside(panel, window).bottom() <= window.height()
    assert panel.fitted_scale >= 0.8 * panel._font_scale - 1e-9  # shrunk to fit, not to nothing
    # the caption sits under the controls, in the same column
    assert inside(room.walk_dock, window).top() >= inside(window.controls_dock, window).bottom()


def test_larger_text_never_squeezes_the_chart_away(make_room, qtbot):
    window, room = make_room(SMALL)
    room.set_presentation(True)
    sized(window, qtbot, (1920, 1080))
    room.go_to_step(4)
    settle(qtbot, window, room.steps[4])
    for _ in range(6):
        room.change_font(1.1)
    qtbot.wait(50)
    assert window.chart.height() >= 0.5 * window.height()
    assert window.readout_area.fits()
    # the controls' text grows with the rest, and their column with it
    spin = window.controls.control("depth").spin
    assert spin.font().pointSizeF() == pytest.approx(window.font().pointSizeF())
    assert window.controls_scroll.width() >= window.controls.minimumSizeHint().width()


def test_controls_can_be_hidden_in_both_modes(make_room, qtbot):
    window, room = make_room(SMALL)
    toggle = window.controls_dock_toggle()
    assert toggle.isEnabled() and toggle in window.view_menu.actions()  # not greyed out
    toggle.trigger()
    assert not window.controls_shown()
    toggle.trigger()
    room.set_presentation(True)
    room.actions["controls"].trigger()
    assert not window.controls_dock.isVisible()
    room.set_presentation(False)
    assert window.controls_shown()  # leaving puts the window back as it was
    room.actions["controls"].trigger()
    assert not window.controls_shown()


def test_jump_to_a_step_and_restart(make_room, qtbot):
    window, room = make_room(SMALL)
    room.go_to_step(0)
    panel = room.panel
    assert panel.jump.count() == len(room.steps) == len(room.walk.jump_menu.actions())
    panel.jump.activated.emit(5)
    assert room.step_index == 5 and window.settings() == room.steps[5].settings
    assert panel.jump.currentIndex() == 5
    room.walk.jump_menu.actions()[2].trigger()
    assert room.step_index == 2
    panel.restart_button.click()
    assert room.step_index == 0 and window.settings() == room.steps[0].settings
    room.go_to_step(3)
    room.actions["restart_steps"].trigger()
    assert room.step_index == 0


def test_the_step_is_saved_in_the_session(make_room, qtbot, tmp_path):
    _window, room = make_room(SMALL)
    room.go_to_step(6)
    path = tmp_path / "lesson.json"
    assert room.save_session(path)
    assert json.loads(path.read_text())["step"] == 6
    window2, room2 = make_room(SMALL)
    assert room2.open_session(path)
    assert room2.step_index == 6 and room2.walk_dock.isVisible()
    assert window2.settings() == room.steps[6].settings
    path.write_text(path.read_text().replace('"step": 6', '"step": "six"'))
    assert not room2.open_session(path) and "step" in room2.messages[-1]


def test_changed_settings_hint_says_how_to_return(make_room, qtbot):
    window, room = make_room(SMALL)
    room.go_to_step(1)
    settle(qtbot, window, room.steps[1])
    room.set_setting("depth", 20)
    wait_shown(qtbot, window, window.settings())
    text = room.panel.checks.text()
    assert "changed" in text and "Page" not in text and "list" in text
    room.panel.jump.activated.emit(1)  # what the hint says
    assert window.settings() == room.steps[1].settings


def test_a_bad_steps_file_is_reported_in_a_dialog(make_room, qtbot, tmp_path):
    window, room = make_room(SMALL)
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "steps": [{"title": "x", "caption": "y", "view": "sideways"}]}')
    assert not room.load_steps_file(bad)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1 and "bad.json" in boxes[0].text() and "view must be" in boxes[0].text()
    assert len(room.steps) == len(default_steps())  # the current steps stay
    boxes[0].accept()
    qtbot.waitUntil(lambda: room.walk.error_box is None)


@pytest.mark.parametrize("name", ["dark", "projector"])
def test_dark_themes_show_every_control_state(make_room, qtbot, name):
    window, room = make_room(SMALL, theme="light")
    room.apply_theme(name)
    t = themes.get(name)
    buttons = window.view_selector.findChildren(QPushButton)
    checked = next(b for b in buttons if b.isChecked())
    other = next(b for b in buttons if not b.isChecked())
    qtbot.wait(20)

    def centre(widget):
        img = widget.grab().toImage()
        return img.pixelColor(img.width() // 2, 3)

    assert centre(checked) == QColor(t.vanishing) and centre(other) != QColor(t.vanishing)
    # the slider handle is drawn in the text colour, not in the panel's (black on black)
    img = window.controls.control("depth").slider.grab().toImage()
    light = sum(1 for x in range(img.width()) for y in range(img.height()) if img.pixelColor(x, y).lightness() > 200)
    assert light > 40
    room.apply_theme("light")
    assert window.styleSheet() == ""


def test_readout_speaks_plain_numbers():
    e = Engine()
    for name, preset in PRESETS.items():
        for dtype in ("float32", "float64"):
            text = " ".join(line for line, _ in describe(e.compute(preset.settings.replace(dtype=dtype))))
            assert "see README" not in text, name
            assert "0.999999" not in text and "1.000000" not in text, (name, dtype, text)
    lecture = " ".join(line for line, _ in describe(e.compute(PRESETS["lecture-explode"].settings)))
    assert "layer 49" in lecture and "last bar is layer 50" in lecture and "W^[L]" in lecture
