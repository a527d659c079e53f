"""Presentation mode, font size and themes (chart, window and exports)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QFormLayout, QToolBar

from depthlens import classroom, classroom_look
from depthlens.engine import Settings
from depthlens.widgets import theme as themes

pytest_plugins = ("classroom_util",)

SMALL = Settings(depth=12, width=8, batch=4)


def toolbars(window):
    return [b for b in window.findChildren(QToolBar) if b.parentWidget() is window]


def row_visible(controls, name):
    widget = controls.control(name)
    form = widget.parentWidget().layout()
    assert isinstance(form, QFormLayout)
    return form.isRowVisible(widget)


def test_presentation_toggles_and_restores_the_window(make_room, qtbot):
    window, room = make_room(SMALL)
    state, geometry = window.windowState(), window.geometry()
    bars = {b: b.isVisible() for b in toolbars(window)}
    assert any(bars.values())
    window.chart.setFocus()

    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert room.presenting and window.isFullScreen()
    assert room.actions["presentation"].isChecked() and room.indicator.isVisible()
    assert not any(b.isVisible() for b in toolbars(window))
    assert not window.statusBar().isVisible()
    for name in ("depth", "scale", "activation"):
        assert row_visible(window.controls, name)
    for name in ("init", "width", "bias_std"):
        assert not row_visible(window.controls, name)
    assert window.chart.pen_scale >= 1.5  # thick theory line and axes
    assert window.controls_dock.isVisible()

    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not room.presenting and not window.isFullScreen()
    assert window.windowState() == state and window.geometry() == geometry
    assert {b: b.isVisible() for b in toolbars(window)} == bars
    assert window.statusBar().isVisible() and not room.indicator.isVisible()
    for name in ("init", "width", "bias_std"):
        assert row_visible(window.controls, name)
    assert window.chart.pen_scale == 1.0 and window.chart.font_scale == 1.0

    room.actions["presentation"].trigger()  # View > Presentation mode
    assert room.presenting
    room.actions["presentation"].trigger()
    assert not room.presenting and window.geometry() == geometry


def test_presentation_restores_a_maximized_window(make_room, qtbot):
    window, room = make_room(SMALL)
    window.showMaximized()
    qtbot.waitUntil(window.isMaximized)
    room.set_presentation(True)
    assert window.isFullScreen()
    room.set_presentation(False)
    assert window.isMaximized() and not window.isFullScreen()


@pytest.mark.parametrize(("size", "minimum"), [((1920, 1080), 24.0), ((1024, 768), 14.0), ((2560, 1440), 31.0)])
def test_presentation_text_scales_with_the_window(make_room, size, minimum):
    window, room = make_room(SMALL)
    room.set_presentation(True)
    # the offscreen screen is 800x800: size the window as on the projector's screen
    window.setMinimumSize(*size)
    window.resize(*size)
    assert (window.width(), window.height()) == size
    tick_pt = window.chart.plot.getAxis("left").style["tickFont"].pointSizeF()
    assert tick_pt >= minimum
    assert tick_pt == pytest.approx(24.0 * (size[0] / 1920 * size[1] / 1080) ** 0.5)
    assert window.readout.font().pointSizeF() >= minimum
    assert room.panel.caption.font().pointSizeF() >= minimum * 0.7
    # axis labels are at least as large as the tick labels
    label = window.chart.plot.getAxis("left").labelStyle["font-size"]
    assert float(label.removesuffix("pt")) >= minimum


def test_font_size_changes_in_every_mode(make_room, qtbot):
    window, room = make_room(SMALL)
    window.chart.setFocus()
    chart0 = window.chart.font_scale
    readout0 = window.readout.font().pointSizeF()
    window0 = window.font().pointSizeF()
    caption0 = room.panel.caption.font().pointSizeF()
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert window.chart.font_scale == pytest.approx(chart0 * 1.21)
    assert window.readout.font().pointSizeF() == pytest.approx(readout0 * 1.21)
    assert window.font().pointSizeF() == pytest.approx(window0 * 1.21)
    assert room.panel.caption.font().pointSizeF() > caption0
    tick = window.chart.plot.getAxis("left").style["tickFont"].pointSizeF()
    assert tick == pytest.approx(11 * 1.21)

    room.set_presentation(True)
    big = window.chart.font_scale
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert window.chart.font_scale == pytest.approx(big / 1.1)
    room.set_presentation(False)
    assert window.chart.font_scale == pytest.approx(1.1)
    for _ in range(40):
        room.change_font(0.5)
    assert room.user_font == 0.5  # bounded


def _pixel(path) -> QColor:
    img = QImage(str(path))
    assert not img.isNull()
    return img.pixelColor(3, 3)


@pytest.mark.parametrize("name", list(themes.THEMES))
def test_theme_applies_to_chart_window_and_exports(name, make_room, tmp_path):
    window, room = make_room(SMALL, theme="light" if name != "light" else "dark")
    room.theme_actions[name].trigger()  # View > Theme
    t = themes.get(name)
    assert window.theme_name == name and room.theme_actions[name].isChecked()
    assert window.chart.backgroundBrush().color() == QColor(t.background)
    axis = window.chart.plot.getAxis("left")
    assert axis.textPen().color() == QColor(t.foreground)
    standard = QApplication.style().standardPalette().color(QPalette.ColorRole.Window)
    assert window.palette().color(QPalette.ColorRole.Window) == (QColor(t.panel) if t.dark else standard)
    path = tmp_path / f"{name}.png"
    assert window.export_chart_png(path, size=(400, 300))
    assert _pixel(path) == QColor(t.background)
    # the overlay and the panel follow too
    assert t.foreground.lower() in room.overlay.card.styleSheet().lower()


def test_palette_stays_colour_blind_safe():
    okabe = {c.upper() for c in themes.OKABE_ITO.values()}
    for t in themes.THEMES.values():
        for colour in (t.exploding, t.healthy, t.vanishing, t.overflow):
            assert colour.upper() in okabe
        assert len({t.exploding, t.healthy, t.vanishing}) == 3


def test_system_theme_reads_the_colour_scheme(monkeypatch):
    class Hints:
        def __init__(self, scheme):
            self.scheme = scheme

        def colorScheme(self):
            return self.scheme

    cases = ((Qt.ColorScheme.Dark, "dark"), (Qt.ColorScheme.Light, "light"), (Qt.ColorScheme.Unknown, "light"))
    for scheme, want in cases:
        monkeypatch.setattr(classroom_look.QGuiApplication, "styleHints", staticmethod(lambda s=scheme: Hints(s)))
        assert classroom.system_theme() == want


def test_overlay_lists_keys_over_the_window(make_room, qtbot):
    window, room = make_room(SMALL)
    room.toggle_overlay()
    assert room.overlay.isVisible() and room.overlay.geometry() == window.rect()
    assert "Presentation mode" in room.overlay.label.text()
    qtbot.mouseClick(room.overlay, Qt.MouseButton.LeftButton)
    assert not room.overlay.isVisible()


def test_dark_theme_reaches_menus_and_tooltips(make_room):
    from PySide6.QtWidgets import QMenu, QToolTip

    window, room = make_room(SMALL, theme="light")
    room.theme_actions["dark"].trigger()
    t = themes.get("dark")
    menu = QMenu(window)  # a pop-up is a window of its own: it takes the application palette
    assert menu.palette().color(QPalette.ColorRole.Window) == QColor(t.panel)
    assert QApplication.palette().color(QPalette.ColorRole.WindowText) == QColor(t.foreground)
    assert QToolTip.palette().color(QPalette.ColorRole.ToolTipBase) == QColor(t.panel)
    room.theme_actions["light"].trigger()
    standard = QApplication.style().standardPalette().color(QPalette.ColorRole.Window)
    assert QMenu(window).palette().color(QPalette.ColorRole.Window) == standard
    tip = QApplication.style().standardPalette().color(QPalette.ColorRole.ToolTipBase)
    assert QToolTip.palette().color(QPalette.ColorRole.ToolTipBase) == tip
