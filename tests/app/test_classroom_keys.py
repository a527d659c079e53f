"""Every shortcut does what the overlay says, wherever the focus is, except in a number box."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from depthlens.engine import ACTIVATIONS, INITS, Settings
from depthlens.engine.limits import CONTROL_RANGES
from depthlens.engine.views import VIEWS

START = Settings(depth=12, width=8, batch=4, activation="tanh", init="gaussian", scale=1.0, seed=3)
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier

# the `make_room` fixture
pytest_plugins = ("classroom_util",)


def _settings_check(**expected):
    def check(window, room, before, tmp_path):
        s = window.settings()
        for name, value in expected.items():
            want = value(before) if callable(value) else value
            got = getattr(s, name)
            assert math.isclose(got, want, rel_tol=1e-12) if isinstance(want, float) else got == want, name
        # the controls show it too
        assert window.controls.settings() == s

    return check


def _export_png(window, room, before, tmp_path):
    assert (tmp_path / "key.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _export_csv(window, room, before, tmp_path):
    text = (tmp_path / "key.csv").read_text()
    assert "layer,activation_rms" in text and "\n12," in text


def _copied(window, room, before, tmp_path):
    assert not QApplication.clipboard().image().isNull()


def _theory_off(window, room, before, tmp_path):
    assert window.chart.show_theory is False
    assert room.actions["theory"].isChecked() is False
    assert not any(line.isVisible() for line in window.chart._theory_lines)


def _next_view(window, room, before, tmp_path):
    assert window.chart.view == VIEWS[(VIEWS.index("both") + 1) % len(VIEWS)]


def _font(factor):
    def check(window, room, before, tmp_path):
        assert room.user_font == pytest.approx(factor)
        assert window.chart.font_scale == pytest.approx(factor)

    return check


def _presenting(window, room, before, tmp_path):
    assert room.presenting and window.isFullScreen()


def _overlay_shown(window, room, before, tmp_path):
    assert room.overlay.isVisible()


def _training(window, room, before, tmp_path):
    lab = window.training
    running, label = lab.running(), lab.panel.train_button.text()
    lab.set_running(False)  # the test ends with no training chunk pending
    assert running and label == "Pause"


def _step(index):
    def check(window, room, before, tmp_path):
        assert room.step_index == index
        assert room.walk_dock.isVisible()
        assert window.settings() == room.steps[index].settings

    return check


# id -> (setup, key, modifier, check). `setup(window, room)` prepares a state first.
CASES = {
    "depth_up": (None, Qt.Key.Key_Right, NONE, _settings_check(depth=13)),
    "depth_down": (None, Qt.Key.Key_Left, NONE, _settings_check(depth=11)),
    "depth_up10": (None, Qt.Key.Key_Right, SHIFT, _settings_check(depth=22)),
    "depth_down10": (None, Qt.Key.Key_Left, SHIFT, _settings_check(depth=2)),
    "scale_up": (None, Qt.Key.Key_Up, NONE, _settings_check(scale=1.05)),
    "scale_down": (None, Qt.Key.Key_Down, NONE, _settings_check(scale=1 / 1.05)),
    "scale_up25": (None, Qt.Key.Key_Up, SHIFT, _settings_check(scale=1.25)),
    "scale_down25": (None, Qt.Key.Key_Down, SHIFT, _settings_check(scale=1 / 1.25)),
    **{
        f"activation{i}": (None, getattr(Qt.Key, f"Key_{i}"), NONE, _settings_check(activation=ACTIVATIONS[i - 1]))
        for i in range(1, 9)
        if ACTIVATIONS[i - 1] != START.activation
    },
    "init": (None, Qt.Key.Key_I, NONE, _settings_check(init=INITS[(INITS.index("gaussian") + 1) % len(INITS)])),
    "seed": (None, Qt.Key.Key_R, NONE, lambda w, r, b, t: _settings_check()(w, r, b, t) or w.settings().seed != 3),
    "theory": (None, Qt.Key.Key_T, NONE, _theory_off),
    "view": (None, Qt.Key.Key_G, NONE, _next_view),
    "controls": (None, Qt.Key.Key_C, NONE, lambda w, r, b, t: not (w.controls_dock.isVisible() or w.controls_shown())),
    "train": (None, Qt.Key.Key_Space, NONE, _training),
    "next_step": (None, Qt.Key.Key_PageDown, NONE, _step(0)),
    "previous_step": (lambda w, r: r.go_to_step(2), Qt.Key.Key_PageUp, NONE, _step(1)),
    "export_png": (None, Qt.Key.Key_S, CTRL, _export_png),
    "export_csv": (None, Qt.Key.Key_S, CTRL | SHIFT, _export_csv),
    "copy": (None, Qt.Key.Key_C, CTRL, _copied),
    "font_up": (None, Qt.Key.Key_Equal, CTRL, _font(1.1)),
    "font_down": (None, Qt.Key.Key_Minus, CTRL, _font(1 / 1.1)),
    "font_reset": (lambda w, r: r.set_user_font(2.0), Qt.Key.Key_0, CTRL, _font(1.0)),
    "presentation": (None, Qt.Key.Key_F11, NONE, _presenting),
    "escape": (lambda w, r: r.set_presentation(True), Qt.Key.Key_Escape, NONE, lambda w, r, b, t: not r.presenting),
    "overlay": (None, Qt.Key.Key_F1, NONE, _overlay_shown),
}
# the activation already selected (tanh) is checked from another start
CASES["activation4"] = (
    lambda w, r: r.set_setting("activation", "relu"),
    Qt.Key.Key_4,
    NONE,
    _settings_check(activation="tanh"),
)


def test_every_overlay_row_is_tested(make_room):
    window, room = make_room(START)
    ids = {i for row in room.key_rows for i in row.ids}
    assert ids == set(CASES), "a shortcut without a test, or a test without a shortcut"
    # each row is shown by the overlay, keys and words
    assert room.overlay.rows() == [(r.keys, r.text) for r in room.key_rows]
    # one binding per key across the whole window
    seen = {}
    from PySide6.QtGui import QAction

    for act in window.findChildren(QAction):
        for seq in act.shortcuts():
            key = seq.toString()
            assert key not in seen or seen[key] is act, f"{key} bound twice"
            seen[key] = act


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_shortcut_does_what_the_overlay_says(case_id, make_room, qtbot, tmp_path, monkeypatch):
    window, room = make_room(START)
    paths = {"PNG": tmp_path / "key.png", "CSV": tmp_path / "key.csv"}
    monkeypatch.setattr(
        window, "ask_save_path", lambda title, name, filters: str(paths["CSV" if "CSV" in title else "PNG"])
    )
    setup, key, mods, check = CASES[case_id]
    if setup:
        setup(window, room)
    # focus on a widget that is not a number box: a view button
    buttons = [b for b in getattr(window, "_view_buttons", {}).values() if b.isVisible()]
    button = buttons[0] if buttons else window.chart  # presentation mode hides the view buttons
    button.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is button)
    before = window.settings()
    qtbot.keyClick(window, key, mods)
    result = check(window, room, before, tmp_path)
    assert result is None or result is True


def test_question_mark_toggles_the_overlay_and_esc_closes_it(make_room, qtbot):
    window, room = make_room(START)
    window.chart.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Question)
    assert room.overlay.isVisible()
    text = room.overlay.label.text()
    for row in room.key_rows:
        assert row.text.split(" (")[0].replace("&", "&amp;") in text
    qtbot.keyClick(window, Qt.Key.Key_Question)
    assert not room.overlay.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not room.overlay.isVisible()


def test_keys_work_with_focus_on_a_slider_or_combo(make_room, qtbot):
    window, _ = make_room(START)
    for widget in (window.controls.depth_control.slider, window.controls.activation):
        widget.setFocus()
        qtbot.waitUntil(lambda w=widget: QApplication.focusWidget() is w)
        d = window.settings().depth
        qtbot.keyClick(window, Qt.Key.Key_Right)
        assert window.settings().depth == d + 1
        qtbot.keyClick(window, Qt.Key.Key_G)
    assert window.settings().activation == "tanh"


def test_typing_in_a_spin_box_is_not_hijacked(make_room, qtbot):
    window, room = make_room(START)
    spin = window.controls.depth_control.spin
    spin.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is spin)
    # Up/Down step the box (its own meaning), not the scale
    qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert window.settings().scale == START.scale
    assert spin.value() == START.depth + 1
    # digits and arrows edit the text; 1..8, I, R, T, G do not fire
    spin.lineEdit().selectAll()
    for key in (Qt.Key.Key_3, Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_7):
        qtbot.keyClick(spin, key)
    for key in (Qt.Key.Key_I, Qt.Key.Key_R, Qt.Key.Key_T, Qt.Key.Key_G):
        qtbot.keyClick(spin, key)
    assert spin.text() == "37"
    assert window.settings().activation == "tanh" and window.settings().init == "gaussian"
    assert window.settings().seed == START.seed and window.chart.show_theory and window.chart.view == "both"
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.settings().depth == 37)
    window.throttle.flush()
    # Ctrl shortcuts and the presenter keys still work from the box
    qtbot.keyClick(spin, Qt.Key.Key_Equal, CTRL)
    assert room.user_font == pytest.approx(1.1)
    qtbot.keyClick(spin, Qt.Key.Key_PageDown)
    assert room.step_index == 0


def test_depth_and_scale_stay_in_range(make_room, qtbot):
    # The scale's top is the controls' (engine.limits): 32 since N(0, 1) weights must be reachable.
    top = CONTROL_RANGES["scale"][1]
    window, _ = make_room(START.replace(depth=3, scale=0.95 * top))
    window.chart.setFocus()
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_Left, SHIFT)
    assert window.settings().depth == 1
    qtbot.keyClick(window, Qt.Key.Key_Up, SHIFT)
    assert window.settings().scale == top == 32.0


def test_space_pauses_training_too_and_is_left_to_number_boxes(make_room, qtbot):
    window, room = make_room(START)
    lab = window.training
    window.chart.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert lab.running()
    qtbot.waitUntil(lambda: lab.snapshot is not None and lab.snapshot.step >= 1, timeout=20000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not lab.running()
    spin = window.controls.depth_control.spin
    spin.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is spin)
    qtbot.keyClick(spin, Qt.Key.Key_Space)
    assert not lab.running()
    assert any(r.keys == "Space" and r.ids == ("train",) for r in room.key_rows)
    assert ("Space", next(r.text for r in room.key_rows if r.keys == "Space")) in room.overlay.rows()
