"""The merged window at 1024x768: Training dock, walkthrough, controls and toolbars together.

The Training panel as a third column made the window 1087 px wide (its buttons and the
walkthrough's Next off a 1024 px screen), the walkthrough shrank the loss curve's row to
its caption, the lab stayed open (and training) after the training steps, and a panel
tabbed with the controls turned presentation mode's caption into a hidden tab.
"""

from __future__ import annotations

import pytest
from classroom_util import inside, settle, sized
from conftest import wait_shown
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QStyle, QStyleOptionButton

from depthlens.engine import Settings

pytest_plugins = ("classroom_util",)

SMALL = Settings(depth=12, width=8, batch=4)
TRAIN_STEP = 9  # step 10: "Training: He init learns the two spirals"


def chart_whole(window):
    chart = window.chart
    assert window.rect().contains(inside(chart, window))
    view = QRect(QPoint(0, 0), chart.viewport().size()).adjusted(-1, -1, 1, 1)
    for item in (chart.title, chart.plot, chart.legend, chart.rule):
        rect = item.mapRectToScene(item.boundingRect()).toAlignedRect()
        assert view.contains(rect), (item, rect, view)


def _at_training_step(make_room, qtbot, size):
    """A window of `size` on the walkthrough's training step: (window, classroom, training lab)."""
    window, room = make_room(SMALL)
    sized(window, qtbot, size)
    room.go_to_step(TRAIN_STEP)
    settle(qtbot, window, room.steps[TRAIN_STEP])
    return window, room, window.training


def test_training_step_fits_1024x768(make_room, qtbot):
    window, room, lab = _at_training_step(make_room, qtbot, (1024, 768))
    assert lab.dock.isVisible() and lab.docks["loss"].isVisible()
    assert window.minimumSizeHint().width() <= 1024  # no third column wider than the screen
    for dock in (lab.dock, lab.docks["loss"], room.walk_dock):  # (the controls: the tab behind)
        assert window.rect().contains(inside(dock, window)), dock.objectName()
    assert lab.dock in window.tabifiedDockWidgets(window.controls_dock)  # a tab beside Network
    for bar in window.toolbars():
        assert window.rect().contains(inside(bar, window)), bar.objectName()
    chart_whole(window)
    assert window.chart.plot.vb.height() >= 80  # the chart keeps room beside the lab
    # the walkthrough leaves the loss curve's row alone: the curve keeps a usable height
    assert lab.docks["loss"].height() >= 150
    assert room.panel.text_fits()


def test_wide_window_puts_the_panel_right(make_room, qtbot):
    window, _room, lab = _at_training_step(make_room, qtbot, (1400, 860))
    assert lab.dock not in window.tabifiedDockWidgets(window.controls_dock)
    assert inside(lab.dock, window).left() > inside(window.chart, window).right()
    chart_whole(window)


def test_leaving_the_training_steps_hides_the_lab_and_presentation_keeps_the_caption(make_room, qtbot):
    window, room, lab = _at_training_step(make_room, qtbot, (1024, 768))
    lab.set_running(True)
    room.go_to_step(TRAIN_STEP + 2)  # skip connections: no training here
    settle(qtbot, window, room.steps[TRAIN_STEP + 2])
    assert not lab.shown() and not lab.running()
    assert lab.dock not in window.tabifiedDockWidgets(window.controls_dock)
    room.go_to_step(4)
    room.set_presentation(True)
    settle(qtbot, window, room.steps[4])
    assert room.walk_dock not in window.tabifiedDockWidgets(window.controls_dock)
    assert room.walk_dock.isVisible() and room.panel.text_area.viewport().height() > 0
    assert inside(room.walk_dock, window).top() >= inside(window.controls_dock, window).bottom()
    room.set_presentation(False)


def test_presentation_after_a_tabbed_panel_keeps_the_caption_visible(make_room, qtbot):
    window, room = make_room(SMALL)
    sized(window, qtbot, (1024, 768))
    window.training.show()  # the user opens the lab: a tab beside the controls
    assert window.training.dock in window.tabifiedDockWidgets(window.controls_dock)
    room.go_to_step(4)
    room.set_presentation(True)
    settle(qtbot, window, room.steps[4])
    assert room.walk_dock not in window.tabifiedDockWidgets(window.controls_dock)
    assert inside(room.walk_dock, window).top() >= inside(window.controls_dock, window).bottom()
    room.set_presentation(False)
    assert window.training.dock.isVisible()  # put back as it was


def test_controls_fit_their_column_at_1024x768(make_room, qtbot):
    window, _room = make_room(SMALL)
    sized(window, qtbot, (1024, 768))
    qtbot.wait(50)
    panel, scroll = window.controls, window.controls_scroll
    assert scroll.viewport().width() >= panel.minimumSizeHint().width()  # nothing cut at the right
    arch = panel.control("residual").parentWidget()
    assert not arch.isHidden() and QRect(QPoint(0, 0), panel.size()).contains(arch.geometry())


@pytest.mark.parametrize("theme", ["projector", "dark"])
def test_the_skip_check_box_shows_its_state_in_dark_themes(make_room, qtbot, theme):
    window, _room = make_room(SMALL, theme=theme)
    box = window.controls.control("residual_scaling")
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)

    def lit() -> int:
        img = box.grab().toImage()
        return sum(
            img.pixelColor(x, y).lightness() > 128
            for x in range(rect.left(), rect.right() + 1)
            for y in range(rect.top(), rect.bottom() + 1)
        )

    off = lit()
    assert off > 0  # the box's outline, not black on black
    box.setChecked(True)
    assert lit() > off  # and filled when on
    box.setChecked(False)


def test_an_idle_window_does_no_layout_work(make_window, qtbot, monkeypatch):
    """The readout's fitted scroll area settles: a refit that changes nothing asks nothing again.

    It used to re-request its layout on every refit, which refit it again: an idle window spun
    the event loop at ~60 % CPU.
    """
    from depthlens.widgets.fit_scroll import FitScroll

    w = make_window(SMALL)
    w.resize(1024, 768)
    wait_shown(qtbot, w, SMALL)
    qtbot.wait(500)  # the first layout passes
    calls = []
    original = FitScroll.refit
    monkeypatch.setattr(FitScroll, "refit", lambda self: calls.append(1) or original(self))
    qtbot.wait(1000)
    assert len(calls) < 5
