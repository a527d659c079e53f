"""AppState: one owner of what the user chose; views bind to its signals."""

from __future__ import annotations

import pytest

from depthlens.engine import Settings
from depthlens.state import AppState


def test_each_setter_emits_once_and_only_on_a_change(qapp):
    state = AppState()
    seen = []
    for name in ("settings", "view", "theme", "font_scale", "theory_shown"):
        getattr(state, f"{name}_changed").connect(lambda v, n=name: seen.append((n, v)))
    s = Settings(depth=7)
    for _ in range(2):
        state.set_settings(s)
        state.set_view("gradients")
        state.set_theme("dark")
        state.set_font_scale(1.5)
        state.set_theory_shown(False)
    assert seen == [
        ("settings", s),
        ("view", "gradients"),
        ("theme", "dark"),
        ("font_scale", 1.5),
        ("theory_shown", False),
    ]


def test_values_are_validated_or_clamped(qapp):
    state = AppState()
    with pytest.raises(ValueError):
        state.set_view("sideways")
    with pytest.raises(ValueError):
        state.set_theme("neon")
    with pytest.raises(TypeError):
        state.set_settings({"depth": 3})
    state.set_font_scale(100)
    assert state.font_scale == 4.0


def test_the_window_and_its_views_follow_the_state(make_window, qtbot):
    w = make_window()
    w.state.set_theme("dark")
    assert w.theme_name == "dark" and w.chart.theme.name == "dark"
    w.state.set_view("weight_gradients")
    assert w.chart.view == "weight_gradients" and w._view_buttons["weight_gradients"].isChecked()
    w.state.set_theory_shown(False)
    assert not w.chart.show_theory
    s = Settings(depth=9, width=8, batch=4)
    w.state.set_settings(s)
    result = qtbot.waitUntil(lambda: w.chart.result is not None and w.chart.result.settings == s, timeout=20000)
    assert result is None and w.settings() == s and w.controls.settings() == s  # the controls follow
