"""The window: controls -> engine requests, results -> chart/readout, presets, latest wins."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from conftest import wait_shown

from depthlens.engine import COLUMNS, PRESETS, Engine, Progress, Settings
from depthlens.engine.numbers import power_label
from depthlens.engine.views import COLUMN_WORDS
from depthlens.worker import CHART

BASE = Settings(depth=12, width=8, batch=4, activation="tanh", init="gaussian", scale=1.0)


def record_requests(window):
    """Wrap worker.compute to record every request the window makes."""
    seen: list[Settings] = []
    original = window.worker.compute

    def compute(settings, kind=CHART):
        seen.append(settings)
        return original(settings, kind)

    window.worker.compute = compute
    return seen


def drive(qtbot, window, action):
    """Run a UI action and flush the controls' throttle so its request goes out."""
    action()
    window.throttle.flush()


@pytest.mark.parametrize(
    ("field", "action", "expected"),
    [
        ("depth", lambda c: c.depth_control.slider.setValue(c.depth_control.slider_pos(300)), 300),
        ("depth", lambda c: c.depth_control.spin.setValue(7), 7),
        ("scale", lambda c: c.scale.slider.setValue(c.scale.slider_pos(2.0)), 2.0),
        ("scale", lambda c: c.scale.spin.setValue(0.5), 0.5),
        ("width", lambda c: c.width_control.slider.setValue(c.width_control.slider_pos(100)), 100),
        ("width", lambda c: c.width_control.spin.setValue(33), 33),
        ("batch", lambda c: c.batch.slider.setValue(c.batch.slider_pos(64)), 64),
        ("batch", lambda c: c.batch.spin.setValue(3), 3),
        ("bias_std", lambda c: c.bias_std.slider.setValue(25), 0.25),
        ("bias_std", lambda c: c.bias_std.spin.setValue(0.1), 0.1),
        ("activation", lambda c: c.activation.setCurrentText("relu"), "relu"),
        ("init", lambda c: c.init.setCurrentText("orthogonal"), "orthogonal"),
        ("input", lambda c: c.input.setCurrentText("ones"), "ones"),
        ("dtype", lambda c: c.dtype.setCurrentText("float64"), "float64"),
        ("loss", lambda c: c.loss.setCurrentText("sum"), "sum"),
        ("seed", lambda c: c.seed.setValue(1234), 1234),
    ],
)
def test_moving_each_control_changes_the_request(qtbot, make_window, field, action, expected):
    w = make_window(BASE)
    seen = record_requests(w)
    drive(qtbot, w, lambda: action(w.controls))
    assert seen, f"moving {field} sent no request"
    got = getattr(seen[-1], field)
    if isinstance(expected, str):
        assert got == expected
    else:  # a slider position stands for a value within its step
        assert got == pytest.approx(expected, rel=0.02)
    others = {f: getattr(BASE, f) for f in BASE.to_dict() if f != field}
    assert {f: getattr(seen[-1], f) for f in others} == others
    wait_shown(qtbot, w, seen[-1])
    assert w.chart.result.settings == seen[-1]


def test_new_seed_button_requests_a_new_network(qtbot, make_window):
    w = make_window(BASE)
    seen = record_requests(w)
    drive(qtbot, w, w.controls.new_seed.click)
    assert seen and seen[-1].seed != BASE.seed
    assert w.controls.seed.value() == seen[-1].seed


def test_depth_slider_is_fine_grained_at_small_depths(qtbot, make_window):
    w = make_window(BASE)
    d = w.controls.depth_control
    reachable = {int(d.slider_value(p)) for p in range(0, 1001)}
    assert set(range(1, 31)) <= reachable  # every small depth has its own slider position
    assert d.slider_value(0) == 1 and d.slider_value(1000) == 1000


def test_every_setting_has_a_control_and_none_hides_a_qt_method(qtbot):
    from PySide6.QtWidgets import QWidget

    from depthlens.engine import FIELDS
    from depthlens.widgets.controls import ControlPanel

    panel = ControlPanel(BASE)
    qtbot.addWidget(panel)
    controls = {name: panel.control(name) for name in FIELDS}
    assert all(isinstance(w, QWidget) for w in controls.values())
    assert len({id(w) for w in controls.values()}) == len(FIELDS)
    assert controls["depth"] is panel.depth_control and controls["width"] is panel.width_control
    with pytest.raises(KeyError):
        panel.control("no_such_setting")
    panel.resize(300, 500)
    assert panel.width() == 300 and isinstance(panel.depth(), int)  # QWidget.width(), QPaintDevice.depth()


def test_scale_shows_three_significant_digits(qtbot, make_window):
    w = make_window(BASE)
    w.set_settings(PRESETS["he-relu"].settings)
    assert w.controls.scale.spin.text() == "1.41"
    assert w.settings().scale == math.sqrt(2.0)  # the exact value survives the widgets


def test_a_result_updates_bars_readout_and_tooltip(qtbot, make_window):
    w = make_window(BASE)
    w.set_view("activations")
    new = BASE.replace(activation="linear", init="identity", scale=2.0, input="ones", depth=10, dtype="float64")
    w.set_settings(new)
    result = wait_shown(qtbot, w, new)
    np.testing.assert_allclose(w.chart.bar_heights("activation_rms"), np.arange(11) * math.log10(2.0), atol=1e-9)
    assert "2⁴ ≈ 16" in w.readout.plain_text() or "2¹⁰" in w.readout.plain_text()
    assert "exploding" in w.readout.plain_text()
    tip = w.chart.layer_tooltip(10)
    for name in COLUMNS[1:]:  # every column, in words (issue 16: no snake_case in tooltips)
        assert COLUMN_WORDS[name] in tip and name not in tip
    assert "1024" in tip  # 2^10
    assert result.settings == new


def test_hovering_a_bar_shows_its_numbers(qtbot, make_window):
    w = make_window(BASE)
    w.set_view("activations")
    pos = w.chart.plot.vb.mapViewToScene(__import__("PySide6.QtCore", fromlist=["QPointF"]).QPointF(5, 0.0))
    w.chart.scene().sigMouseMoved.emit(pos)
    assert w.chart.hover_layer == 5
    assert "layer 5" in w.chart.hover_text
    assert "activation RMS" in w.chart.hover_text and "activation_rms" not in w.chart.hover_text


def test_presets_pushed_into_controls_do_not_echo(qtbot, make_window):
    w = make_window(BASE)
    emitted = []
    w.controls.settings_changed.connect(emitted.append)
    seen = record_requests(w)
    for name, preset in PRESETS.items():
        w.apply_preset(name)
        assert w.settings() == preset.settings
        assert w.controls.depth_control.spin.value() == preset.settings.depth
        assert w.controls.activation.currentText() == preset.settings.activation
    qtbot.wait(50)  # any echo would go through the throttle timer
    assert emitted == []
    assert seen == [p.settings for p in PRESETS.values()]  # exactly one request each


def test_preset_toolbar_is_one_click(qtbot, make_window):
    w = make_window(BASE)
    w.presets.actions_by_name["lecture-vanish"].trigger()
    result = wait_shown(qtbot, w, PRESETS["lecture-vanish"].settings)
    assert w.settings() == PRESETS["lecture-vanish"].settings
    assert result.measured.activation_rms[-1] == 0.5**50


def test_latest_wins_after_200_rapid_slider_changes(qtbot, make_window):
    w = make_window(BASE.replace(width=32, batch=16))
    shown = []
    w.chart.result_shown.connect(shown.append)
    slider = w.controls.depth_control.slider
    rng = np.random.default_rng(1)
    positions = rng.integers(0, 1001, size=200)
    positions[-1] = w.controls.depth_control.slider_pos(137)
    for p in positions:
        slider.setValue(int(p))
    last = w.controls.settings()
    assert last.depth == 137
    result = wait_shown(qtbot, w, last)
    qtbot.waitUntil(lambda: not w.worker.is_busy(), timeout=20000)
    qtbot.wait(100)
    assert w.chart.result is result  # nothing older arrived afterwards
    assert shown[-1] is result
    assert len(shown) < 200  # coalesced
    expected = Engine().compute(last)
    np.testing.assert_allclose(
        w.chart.bar_heights("activation_rms"), np.log10(expected.column("activation_rms")), rtol=1e-6
    )


def test_lecture_preset_bars_are_powers_of_1_5(qtbot, make_window):
    s = PRESETS["lecture-explode"].settings
    assert s.dtype == "float64"
    w = make_window(s)
    for view in ("activations", "both"):
        w.set_view(view)
        wait_shown(qtbot, w, s)
        np.testing.assert_allclose(
            w.chart.bar_heights("activation_rms"), np.arange(51) * math.log10(1.5), rtol=0, atol=1e-9
        )
    text = w.readout.plain_text()
    assert "Output activation = 1.5⁵⁰ ≈ 6.4e8 × the input — exploding (×1.5 per layer)" in text
    assert "layer 49" in text and "1.5⁴⁹ ≈ 4.3e8" in text
    assert "χ = s²·E[φ'²] = 2.25" in text


def _show_identity_net(qtbot, make_window, depth, dtype):
    """A window opened at BASE, then set to W = 1.5*I (linear, n = 2, B = 1) of `depth` layers in `dtype`.

    Returns the window, the settings and the result shown (activations view).
    """
    s = Settings(depth=depth, width=2, batch=1, activation="linear", init="identity", scale=1.5, input="ones",
                 dtype=dtype)  # fmt: skip
    w = make_window(BASE)
    w.set_view("activations")
    w.set_settings(s)
    return w, s, wait_shown(qtbot, w, s)


def test_overflow_shows_the_marker_and_no_exception(qtbot, make_window):
    w, s, result = _show_identity_net(qtbot, make_window, 300, "float32")
    assert result.first_nonfinite_layer() == 219
    texts = w.chart.marker_texts()
    assert any("overflow" in t and "layer 219" in t for t in texts), texts
    h = w.chart.bar_heights("activation_rms")
    assert np.isfinite(h).all()
    assert h[219] == h[300] and h[219] > h[218]  # marked bars reach the axis top
    assert "overflow" in w.readout.plain_text() and "layer 219" in w.readout.plain_text()
    w.set_view("both")
    wait_shown(qtbot, w, s)
    assert np.isfinite(w.chart.bar_heights("gradient_rms")).all()
    assert "overflow" in w.chart.layer_tooltip(250) or "inf" in w.chart.layer_tooltip(250)


def test_huge_range_axis_labels(qtbot, make_window):
    w, _, _ = _show_identity_net(qtbot, make_window, 1000, "float64")
    ax = w.chart.plot.getAxis("left")
    lo, hi = w.chart.plot.vb.viewRange()[1]
    assert hi > 176 and lo < 0
    labels = ax.tickStrings([0, 40, -40, 176], 1, 1)
    assert labels == ["10⁰", "10⁴⁰", "10⁻⁴⁰", "10¹⁷⁶"]
    assert power_label(-40) == "10⁻⁴⁰"


@pytest.mark.lenient  # production behaviour: reported in the status bar (strict mode would fail the test)
def test_engine_error_goes_to_the_status_bar_and_the_app_keeps_working(qtbot, make_window):
    w = make_window(BASE)

    def boom():
        raise RuntimeError("simulated engine failure")

    with qtbot.waitSignal(w.worker.error, timeout=5000):
        w.worker.submit(CHART, boom)
    assert "simulated engine failure" in w._status.text()
    new = BASE.replace(depth=5)
    w.set_settings(new)
    wait_shown(qtbot, w, new)


def test_a_network_too_large_for_the_memory_is_refused_in_the_status_bar(qtbot, make_window, monkeypatch):
    from depthlens.engine import memory

    w = make_window(BASE)
    wait_shown(qtbot, w, BASE)
    monkeypatch.setattr(memory, "available_memory", lambda: 10**9)
    big = Settings(depth=1000, width=1024, batch=512)
    with qtbot.waitSignal(w.worker.error, timeout=5000):
        w.set_settings(big)
    text = w._status.text()
    assert text.startswith("Too large for this machine: needs ")
    assert "(90% of the 1.0 GB free): lower the depth, width or batch" in text
    assert w.chart.result is not None and w.chart.result.settings == BASE  # the last chart stays
    new = BASE.replace(depth=5)
    w.set_settings(new)
    wait_shown(qtbot, w, new)


def test_a_first_network_too_large_for_the_memory_says_so_on_the_chart(qtbot, monkeypatch):
    from depthlens.engine import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 10**9)
    big = Settings(depth=1000, width=1024, batch=512)
    from depthlens.window import MainWindow

    w = MainWindow(big)  # not make_window: that waits for a first result
    w.chart.animation_ms = 0
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w._status.text().startswith("Too large for this machine"), timeout=5000)
    assert w.chart.result is None
    assert "too large for this machine" in w.chart.title.text
    assert w.readout.text() == w._status.text()
    new = BASE.replace(depth=5)
    w.set_settings(new)
    assert w.chart.title.text == "Computing the first result…"  # at once, not at the first result
    assert not w._status.text().startswith("Too large")
    wait_shown(qtbot, w, new)


def test_long_computations_show_progress(qtbot, make_window):
    w = make_window(BASE)
    release = threading.Event()

    def slow():
        for i in range(400):
            if release.is_set():
                break
            yield Progress(i / 400)
            release.wait(0.005)
        return None

    with qtbot.waitSignal(w.worker.progress, timeout=10000):
        w.worker.submit("slow", slow)
    assert w._progress.isVisible()
    release.set()
    qtbot.waitUntil(lambda: not w._progress.isVisible(), timeout=5000)


def test_closing_during_a_long_computation_exits_cleanly(qtbot, make_window):
    w = make_window(BASE)
    got = []
    w.worker.progress.connect(lambda kind, f: got.append(f))
    w.set_settings(Settings(depth=1000, width=1024, batch=64))
    qtbot.waitUntil(lambda: bool(got), timeout=30000)  # the computation is under way
    thread = w.worker._thread
    w.close()
    assert thread.isFinished()
    assert not thread.isRunning()


def test_public_api_for_later_features(qtbot, make_window):
    w = make_window(BASE)
    assert w.chart is not None and w.controls is not None and w.worker is not None
    got = []
    w.add_job_handler("extra", got.append)
    w.worker.submit("extra", lambda: "hello")
    qtbot.waitUntil(lambda: got == ["hello"], timeout=5000)
    for theme in ("dark", "projector", "light"):
        w.set_theme(theme)
        assert w.chart.theme.name == theme


def test_toolbar_labels_survive_shortcut_changes(make_window):
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QToolButton

    w = make_window()
    w.csv_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
    w.png_actions["Window size"].setShortcut(QKeySequence("Ctrl+S"))
    texts = sorted(b.text() for b in w.export_toolbar.findChildren(QToolButton) if b.text())
    assert {"PNG", "SVG", "CSV", "Copy"} <= set(texts)


def test_loss_control_follows_presets_and_a_tiny_scale_computes(qtbot, make_window):
    w = make_window(BASE)
    assert BASE.loss == "random" and w.controls.loss.currentText() == "random"
    w.apply_preset("lecture-explode")
    assert w.controls.loss.currentText() == "sum"
    wait_shown(qtbot, w, w.settings())
    assert "Loss = Σ outputs" in w.readout.plain_text()
    # A scale whose square underflows (below ~1e-162) is computed, not an engine error.
    tiny = BASE.replace(activation="relu", scale=1e-300, dtype="float64")
    w.set_settings(tiny)
    wait_shown(qtbot, w, tiny)
    assert "error" not in w._status.text().lower()
    assert w.chart.result.theory.activation_rms[1] == pytest.approx(1e-300 * 0.5**0.5, rel=1e-12)


def test_status_bar_says_when_the_weights_exceed_the_weight_cache(qtbot, make_window):
    from depthlens.engine.weights import network_bytes

    s = Settings(depth=12, width=8, batch=4)
    w = make_window(s)
    assert "weight cache" not in w._status.text()
    w.worker.engine.cache.budget_bytes = network_bytes(s) - 1  # one byte short
    w.request_compute(s)
    qtbot.waitUntil(lambda: "weight cache" in w._status.text(), timeout=10000)
    assert "redrawn on every compute" in w._status.text()


def test_a_long_compute_fills_the_chart_in_as_layers_finish(qtbot, make_window, monkeypatch):
    from depthlens.engine import propagate

    monkeypatch.setattr(propagate, "PARTIAL_FIRST_S", -1.0)  # every compute is "long"
    monkeypatch.setattr(propagate, "PARTIAL_EVERY_S", 0.0)
    monkeypatch.setattr(propagate, "PARTIAL_NOT_BEFORE_END_S", -1.0)
    w = make_window()
    drawn = []
    real = w.chart.set_result
    monkeypatch.setattr(w.chart, "set_result", lambda r, **kw: (drawn.append(r), real(r, **kw)))
    complete = []
    w.chart.result_shown.connect(complete.append)
    big = w.settings().replace(depth=150, width=128, batch=64)
    w.set_settings(big)
    wait_shown(qtbot, w, big)
    partial = [r for r in drawn if r.partial is not None]
    assert partial, "no partial result reached the chart"
    assert all(r.settings == big for r in partial)
    assert drawn[-1].partial is None and w.result is drawn[-1]
    assert complete == [drawn[-1]]  # the readout, views and walkthrough hear of complete results only
    forward = [r.partial[0] for r in partial if r.partial[1] == big.depth + 1]
    assert forward == sorted(forward)  # forward bars grow, then the gradients come down


def test_a_partial_of_an_older_request_is_not_drawn(qtbot, make_window):
    import dataclasses

    w = make_window()
    shown = w.chart.result
    old = Engine().compute(w.settings().replace(depth=7))
    stale = dataclasses.replace(old, partial=(3, old.depth + 1))
    w._show_partial(stale)  # no chart request of those settings is running
    assert w.chart.result is shown
    w.request_compute(w.settings().replace(depth=9))  # running now, with other settings
    w._show_partial(stale)
    assert w.chart.result is not stale
