"""The window's figure tools (issue 16): pin, linear axis, stale chart, caption exports, the new inits."""

from __future__ import annotations

import time

import numpy as np
from conftest import wait_shown
from PySide6.QtGui import QImage

from depthlens.engine import PRESETS, Settings
from depthlens.worker import CHART

SMALL = Settings(depth=12, width=16, batch=4, activation="relu", init="gaussian", scale=1.0)


def test_pin_then_change_a_setting_shows_both_and_exports_the_ghost(qtbot, make_window, tmp_path):
    w = make_window(SMALL)
    w.pin_chart()
    assert w.unpin_action.isEnabled() and w.chart.pinned is w.result
    he = SMALL.replace(scale=2**0.5)
    w.set_settings(he)
    wait_shown(qtbot, w, he)
    assert w.chart._ghost.fills[0].isVisible()
    assert any(label.text.startswith("pinned:") for _, label in w.chart.legend.items)
    pinned_png, plain_png = tmp_path / "pinned.png", tmp_path / "plain.png"
    assert w.export_chart_png(pinned_png, size=(800, 450))
    svg = tmp_path / "pinned.svg"
    assert w.export_chart_svg(svg)
    assert "pinned: relu, gaussian, s = 1, L = 12" in svg.read_text()
    w.chart_unpin()
    assert not w.unpin_action.isEnabled() and w.chart.pinned is None
    assert w.export_chart_png(plain_png, size=(800, 450))
    assert QImage(str(pinned_png)) != QImage(str(plain_png))


def test_linear_axis_action_and_caption_exports(qtbot, make_window, tmp_path):
    w = make_window(SMALL)
    w.linear_action.setChecked(True)
    assert w.chart.linear
    np.testing.assert_allclose(w.chart.bar_heights("activation_rms"), w.result.column("activation_rms"), rtol=1e-6)
    w.caption_action.setChecked(True)
    svg = tmp_path / "c.svg"
    assert w.export_chart_svg(svg)
    text = svg.read_text()
    assert "RMS (linear scale)" in text and "Output activation" in text
    w.linear_action.setChecked(False)
    assert not w.chart.linear


def test_a_slow_compute_dims_the_chart_with_its_progress(qtbot, make_window):
    w = make_window(SMALL)
    w._running_since = time.perf_counter() - 0.1
    w._on_progress(CHART, 0.2)  # under 300 ms: not yet
    assert w.chart.stale is None
    w._running_since = time.perf_counter() - 0.5
    w._on_progress(CHART, 0.6)
    assert w.chart.stale == 0.6 and w.chart._bars[0].opacity() < 1.0
    new = SMALL.replace(depth=13)
    w.set_settings(new)
    wait_shown(qtbot, w, new)
    assert w.chart.stale is None and w.chart._bars[0].opacity() == 1.0


def test_zeros_and_uniform_inits_in_the_window(qtbot, make_window):
    w = make_window(SMALL)
    z = SMALL.replace(init="zeros", activation="tanh")
    w.set_settings(z)
    r = wait_shown(qtbot, w, z)
    assert np.all(r.column("gradient_rms")[:-1] == 0)
    assert any("exactly 0" in t and "W = 0" in t for t in w.chart.marker_texts())
    assert w.readout.plain_text()  # says something, no exception
    assert "gradient RMS" in w.chart.layer_tooltip(3)
    u = PRESETS["glorot-standard-tanh"].settings
    w.apply_preset("glorot-standard-tanh")
    r = wait_shown(qtbot, w, u)
    assert r.settings.init == "uniform" and w.controls.init.currentText() == "uniform"
    # sigma_w = s / sqrt(n) = 1 / sqrt(3000): Glorot & Bengio's U[-1/sqrt(n), 1/sqrt(n)] has that std.
    assert abs(w.controls.sigma_w.value() - 1 / (3 * 1000) ** 0.5) < 1e-8
    assert w.controls.sigma_w.text() == "0.0183"
