"""The chart on its own: classification, axis labels, tweening, depth changes, readout words."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine import PRESETS, Engine, Settings
from depthlens.engine.health import EXPLODING, HEALTHY, NONFINITE, VANISHING, ZERO, series_data
from depthlens.engine.numbers import power_label
from depthlens.widgets.axes import PowerAxis, y_limits
from depthlens.widgets.chart import LayerChart
from depthlens.widgets.readout import Readout, describe, sci, verdict

ENGINE = Engine()


def lecture(scale=1.5, depth=50, dtype="float64"):
    return ENGINE.compute(
        Settings(
            depth=depth, width=2, batch=1, activation="linear", init="identity", scale=scale, input="ones", dtype=dtype
        )
    )


@pytest.fixture
def chart(make_chart):
    return make_chart("activations", (800, 500))


def test_power_labels(qapp):
    assert power_label(0) == "10⁰"
    assert power_label(-40) == "10⁻⁴⁰"
    assert power_label(40) == "10⁴⁰"
    assert power_label(307.0) == "10³⁰⁷"
    axis = PowerAxis("left")
    for lo, hi in ((-40, 40), (-0.3, 0.4), (-300, 300)):
        levels = axis.tickSpacing(lo, hi, 400)
        assert all(spacing >= 1 and float(spacing).is_integer() for spacing, _ in levels)


def test_health_rule_relative_to_the_reference_layer():
    r = lecture(1.5)
    s = series_data(r, "activation_rms")
    # healthy within x10 of layer 0: 1.5^5 = 7.6 healthy, 1.5^6 = 11.4 exploding
    assert s.codes[5] == HEALTHY and s.codes[6] == EXPLODING
    g = series_data(r, "gradient_rms")
    assert g.reference == 50
    assert g.codes[50] == HEALTHY and g.codes[0] == EXPLODING
    v = series_data(lecture(0.5), "activation_rms")
    assert v.codes[3] == HEALTHY and v.codes[4] == VANISHING


def test_nonfinite_and_zero_layers_are_classified_not_dropped():
    r = lecture(1.5, depth=300, dtype="float32")
    s = series_data(r, "activation_rms")
    assert s.first_bad == 219
    assert (s.codes[219:] == NONFINITE).all()
    z = series_data(lecture(0.05, depth=300, dtype="float32"), "activation_rms")
    assert z.first_zero is not None and z.codes[z.first_zero] == ZERO
    bottom, top, floor, marker = y_limits([s, z], [])
    assert bottom < floor < 0 < marker < top
    assert all(math.isfinite(v) for v in (bottom, top, floor, marker))


def test_extreme_ranges_stay_finite(chart):
    for r in (lecture(1.5, depth=1000), lecture(0.05, depth=1000), lecture(1.5, depth=300, dtype="float32")):
        for view in ("activations", "gradients", "weight_gradients", "both"):
            chart.set_view(view)
            chart.set_result(r, animate=False)
            for col in ("activation_rms", "gradient_rms", "weight_grad_rms"):
                assert np.isfinite(chart.bar_heights(col)).all()
            lo, hi = chart.plot.vb.viewRange()[1]
            assert math.isfinite(lo) and math.isfinite(hi) and lo < hi


def test_zero_layers_get_an_underflow_label(chart):
    r = lecture(0.05, depth=300, dtype="float32")
    chart.set_result(r, animate=False)
    assert any("underflow to 0" in t for t in chart.marker_texts())


def test_a_new_result_mid_tween_continues_from_the_current_heights(chart):
    chart.animation_ms = 60_000  # a slow tween that this test steps by hand
    chart.set_result(lecture(1.5), animate=False)
    chart.set_result(lecture(0.5))
    assert chart.animating
    chart._draw(0.5)
    mid = chart.bar_heights("activation_rms")
    assert np.all(mid[1:] < np.arange(1, 51) * math.log10(1.5))  # on its way down
    assert np.all(mid[1:] > np.arange(1, 51) * math.log10(0.5))
    chart.set_result(lecture(1.2))
    np.testing.assert_allclose(chart._from[0], mid)  # no jump back to either end
    chart.stop()
    assert not chart.animating
    np.testing.assert_allclose(chart.bar_heights("activation_rms"), np.arange(51) * math.log10(1.2), atol=1e-9)


def test_depth_changes_add_and_remove_bars_smoothly(chart):
    chart.animation_ms = 60_000
    chart.set_result(lecture(1.5, depth=10), animate=False)
    assert chart.bar_heights("activation_rms").size == 11
    chart.set_result(lecture(1.5, depth=20))
    chart._draw(0.5)
    h = chart.bar_heights("activation_rms")
    assert h.size == 21
    assert 0 < h[15] < 15 * math.log10(1.5)  # new bars grow from the baseline
    chart.stop()
    assert chart.bar_heights("activation_rms").size == 21
    chart.set_result(lecture(1.5, depth=5))
    chart._draw(0.5)
    h = chart.bar_heights("activation_rms")
    assert h.size == 21 and 0 < h[15] < 15 * math.log10(1.5)  # old bars shrink away
    chart.stop()
    assert chart.bar_heights("activation_rms").size == 6


def test_the_tween_ends_by_itself(qtbot, chart):
    chart.set_result(lecture(1.5), animate=False)
    chart.set_result(lecture(0.9))
    qtbot.waitUntil(lambda: not chart.animating, timeout=5000)
    np.testing.assert_allclose(chart.bar_heights("activation_rms"), np.arange(51) * math.log10(0.9), atol=1e-9)


def test_theory_line_and_note(chart):
    chart.set_result(ENGINE.compute(PRESETS["he-relu"].settings), animate=False)
    assert chart._theory_lines[0].isVisible()
    x, y = chart._theory_lines[0].getData()
    assert len(x) == 51 and np.isfinite(y).all()
    r = ENGINE.compute(lecture(1.5).settings.replace(bias_std=0.1))
    assert not r.theory.defined
    chart.set_result(r, animate=False)
    assert chart._note.isVisible() and not chart._theory_lines[0].isVisible()
    assert r.theory.note in chart._note.textItem.toPlainText()
    assert r.theory.note in "\n".join(t for t, _ in describe(r))


def test_readout_words():
    text = "\n".join(t for t, _ in describe(lecture(0.5)))
    assert "Output activation = 0.5⁵⁰ ≈ 8.9e-16 × the input — vanishing (×0.5 per layer)" in text
    assert "layer 49" in text
    assert sci(6.4e8) == "6.4e8" and sci(0.12) == "0.12" and sci(math.inf) == "inf"
    assert verdict(100) == "exploding" and verdict(1.0) == "stable" and verdict(1e-3) == "vanishing"


def test_readout_widget_colours_the_verdict(qtbot):
    r = Readout()
    qtbot.addWidget(r)
    r.set_result(lecture(1.5))
    assert "exploding" in r.plain_text()
    assert "<b" in r.text()
    r.set_theme("dark")
    assert "E69F00" in r.text().upper()


def test_axis_labels_between_decades_when_few_are_in_view(qapp):
    from depthlens.engine.numbers import power_label
    from depthlens.widgets.axes import PowerAxis

    assert power_label(3.0) == "10³"
    assert power_label(-2.0) == "10⁻²"
    assert power_label(math.log10(5.0)) == "5·10⁰"
    assert power_label(-1 + math.log10(2.0)) == "2·10⁻¹"
    axis = PowerAxis(orientation="left")
    narrow = [v for _, vals in axis.tickValues(-0.3, 1.2, 400) for v in vals]
    cramped = [v for _, vals in axis.tickValues(-0.3, 1.2, 60) for v in vals]
    assert all(abs(v - round(v)) < 1e-9 for v in cramped)
    assert any(abs(v - math.log10(5.0)) < 1e-9 for v in narrow)
    wide = [v for _, vals in axis.tickValues(-30, 30, 400) for v in vals]
    assert all(abs(v - round(v)) < 1e-9 for v in wide)


def test_readout_never_shows_a_near_one_factor_as_one():
    from depthlens.engine import PRESETS, Engine
    from depthlens.widgets.readout import caveat_sentence, describe

    res = Engine().compute(PRESETS["he-relu"].settings)
    first = describe(res)[0][0]
    assert "1⁵⁰" not in first and "×1 per" not in first
    assert caveat_sentence(res) is not None
    assert caveat_sentence(Engine().compute(PRESETS["xavier-tanh"].settings)) is None


def test_theory_sentence_never_says_a_near_one_factor_is_1():
    from depthlens.engine import Engine, Settings
    from depthlens.widgets.readout import near_one, theory_sentence

    assert near_one(1.005) == "1.00500" and near_one(0.9996) == "0.999600" and near_one(1.7) == "1.7"
    scaled = Settings(depth=152, width=32, batch=8, activation="relu", scale=2**0.5, residual=1.0,
                      residual_scaling="sqrt_depth")  # fmt: skip
    text = theory_sentence(Engine().compute(scaled))
    assert "×1 per" not in text and "= 1.01 per" not in text and "×1.00" in text


def test_narrow_log_axis_label_has_no_si_prefix(qtbot):
    # he-relu with the random loss spans less than a decade around 10⁰: pyqtgraph's automatic
    # SI prefix would label that axis "(x0.001)".
    from depthlens.engine import PRESETS, Engine

    chart = LayerChart()
    qtbot.addWidget(chart)
    chart.set_result(Engine().compute(PRESETS["he-relu"].settings), animate=False)
    axis = chart.plot.getAxis("left")
    assert axis.autoSIPrefix is False and axis.autoSIPrefixScale == 1.0
    assert "x0.001" not in axis.labelString()


def test_readout_training_line_comes_first_and_goes(qtbot):
    r = Readout()
    qtbot.addWidget(r)
    assert r.text() == "Computing…"
    r.set_training("Training, step 2: Learning <fast> & well.")
    assert r.plain_text() == "Training, step 2: Learning <fast> & well."
    assert "&lt;fast&gt; &amp; well" in r.text()  # plain text, escaped
    r.set_result(lecture(1.5))
    lines = r.plain_text().splitlines()
    assert lines[0] == "Training, step 2: Learning <fast> & well."
    assert "exploding" in lines[1]
    r.set_training(None)
    assert "Training" not in r.plain_text() and "exploding" in r.plain_text()


@pytest.mark.parametrize("view", ["both", "weight_gradients"])
def test_blank_bars_are_not_named_inf_nan_or_zero_in_the_legend(make_chart, view):
    import dataclasses

    c = make_chart(view, (800, 500))
    full = ENGINE.compute(Settings(depth=20, width=16, batch=8, activation="tanh"))
    partial = dataclasses.replace(full, partial=(8, full.depth + 1))  # forward bars 0..7 only, no gradients yet
    for r in (full, partial):
        c.set_result(r, animate=False)
        labels = [label.text for _, label in c.legend.items]
        assert not any("inf/NaN" in t for t in labels), (view, r.partial, labels)
    bad = ENGINE.compute(Settings(depth=20, width=16, batch=8, activation="relu", init="zeros"))  # exact zeros
    c.set_result(bad, animate=False)
    assert any("inf/NaN or 0" in label.text for _, label in c.legend.items)
