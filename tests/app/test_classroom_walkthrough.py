"""The lecture walkthrough: every caption's claims hold on what the chart then shows."""

from __future__ import annotations

import json
import re

import pytest
from conftest import wait_shown
from PySide6.QtCore import Qt

from depthlens.engine import PRESETS, Engine, Settings
from depthlens.walkthrough import WalkthroughError, default_steps, parse_steps

pytest_plugins = ("classroom_util",)

STEPS = default_steps()
ENGINE = Engine()


def wait_for(qtbot, window, settings, timeout=60000):
    return wait_shown(qtbot, window, settings, timeout=timeout)  # longer default: walkthrough steps are big


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text.strip()) if s]


def test_fifteen_steps_in_lecture_order():
    assert len(STEPS) == 15
    assert [s.title.split(".")[0] for s in STEPS] == [str(i) for i in range(1, 16)]
    lecture = PRESETS["lecture-explode"].settings
    assert STEPS[0].settings == lecture
    assert STEPS[1].settings == lecture.replace(scale=0.5)
    assert STEPS[2].settings == lecture.replace(scale=0.9)
    assert STEPS[3].view == "gradients"
    assert STEPS[4].settings.activation == "tanh" and STEPS[4].settings.init == "gaussian"
    # "N(0, 1) weights": depthlens draws N(0, s²/n), so s = √n
    assert STEPS[4].settings.scale ** 2 == STEPS[4].settings.width
    assert STEPS[5].settings.replace(scale=8.0) == STEPS[4].settings  # Xavier: same net, s = 1
    assert STEPS[6].settings == PRESETS["xavier-relu"].settings
    assert STEPS[7].settings.activation == "relu" and STEPS[7].settings.scale == pytest.approx(2**0.5)
    assert STEPS[7].settings.depth == 500
    assert {c.overrides.get("depth") for c in STEPS[7].checks} == {None, 50}
    assert STEPS[8].settings.init == "orthogonal" and STEPS[8].settings.activation == "linear"
    # After the init and training steps: the fix that made 152 layers work.
    fixes = ("plain-relu-152", "resnet-relu-152", "resnet-relu-152-scaled", "batchnorm-relu-50")
    assert [s.settings for s in STEPS[11:]] == [PRESETS[n].settings for n in fixes]  # after the training steps


@pytest.mark.parametrize("index", range(len(STEPS)))
def test_caption_is_short_and_has_a_formula(index):
    step = STEPS[index]
    assert 2 <= len(sentences(step.caption)) <= 3, sentences(step.caption)
    assert "=" in step.caption
    assert step.checks, "every step states a machine-checked trend"


@pytest.mark.parametrize("index", range(len(STEPS)))
def test_step_trend_holds(index):
    step = STEPS[index]
    for check in step.checks:
        result = ENGINE.compute(step.settings_for(check))
        ok, line = check.evaluate(result)
        assert ok, f"step {index + 1}: {line}"


def test_lecture_numbers():
    r = ENGINE.compute(STEPS[0].settings)
    assert r.column("activation_rms")[-1] > 1e8
    assert r.column("activation_rms")[49] == pytest.approx(1.5**49, rel=1e-12)
    r = ENGINE.compute(STEPS[1].settings)
    assert list(r.column("activation_rms")[:4]) == [1.0, 0.5, 0.25, 0.125]
    # step 8: first and last layer within 10x at 50 and at 500 layers
    for depth in (50, 500):
        a = ENGINE.compute(STEPS[7].settings.replace(depth=depth)).column("activation_rms")
        assert 0.1 <= a[-1] / a[0] <= 10


def test_checks_fail_when_the_claim_is_false():
    step = STEPS[0]
    wrong = ENGINE.compute(step.settings.replace(scale=0.5))
    assert not all(c.evaluate(wrong)[0] for c in step.checks)


def _steps_json(**step):
    base = {"title": "Mine", "caption": "One. Two.", "preset": "he-relu", "view": "both"}
    base.update(step)
    return json.dumps({"version": 1, "steps": [base]})


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "not valid JSON"),
        ("[1, 2]", "steps file must be an object"),
        ('{"version": 2, "steps": []}', "unsupported steps version"),
        (_steps_json(preset="nope"), "step 1: preset"),
        (_steps_json(settings={"depth": 0}), "step 1: depth"),
        (_steps_json(settings={"colour": 1}), "unknown setting"),
        (_steps_json(view="sideways"), "view must be"),
        (_steps_json(checks=[{"column": "nope", "row": 0, "op": ">", "value": 1}]), "column must be"),
        (_steps_json(checks=[{"column": "activation_rms", "op": ">", "value": 1}]), "exactly one of"),
        (_steps_json(checks=[{"column": "activation_rms", "row": 0, "op": "~", "value": 1}]), "op must be"),
        (_steps_json(checks=[{"column": "activation_rms", "row": 0, "op": ">", "value": "big"}]), "finite number"),
        (_steps_json(extra=1), "unknown key"),
        ('{"version": 1, "steps": [3]}', "step 1: a step must be an object"),
        (_steps_json(checks=[3]), "step 1, check 1: a check must be an object"),
        (_steps_json(checks=[{"column": "activation_rms", "row": 0, "op": ">", "x": 0}]), "unknown key 'x'"),
        (_steps_json(train=[]), "step 1, train: train must be an object"),
    ],
)
def test_bad_steps_files_are_rejected_in_one_line(text, words):
    with pytest.raises(WalkthroughError) as info:
        parse_steps(text)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_window_walkthrough_sets_controls_and_shows_true_checks(make_room, qtbot):
    window, room = make_room(Settings(depth=12, width=8, batch=4))
    assert not room.walk_dock.isVisible()
    window.chart.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # step 1
    step = STEPS[0]
    assert room.walk_dock.isVisible() and room.step_index == 0
    assert window.controls.settings() == step.settings
    assert window.controls.depth_control.spin.value() == 50
    assert window.controls.activation.currentText() == "linear"
    assert window.controls.init.currentText() == "identity"
    assert window.controls.scale.spin.value() == pytest.approx(1.5)
    assert window.chart.view == "activations"
    assert room.panel.title.text() == step.title and room.panel.caption.text() == step.caption
    result = wait_for(qtbot, window, step.settings)
    qtbot.waitUntil(lambda: len(room.panel.check_lines()) == len(step.live_checks))
    assert all(ok for ok, _ in room.panel.check_lines())
    assert result.column("activation_rms")[-1] > 1e8
    assert "exploding" in window.readout.plain_text()

    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # step 2
    step = STEPS[1]
    assert window.controls.scale.spin.value() == pytest.approx(0.5)
    result = wait_for(qtbot, window, step.settings)
    qtbot.waitUntil(lambda: len(room.panel.check_lines()) == len(step.live_checks))
    assert all(ok for ok, _ in room.panel.check_lines())
    assert "vanishing" in window.readout.plain_text()

    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert room.step_index == 0 and window.settings() == STEPS[0].settings
    # changing a control: the panel says so instead of showing stale checks
    window.chart.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    wait_for(qtbot, window, window.settings())
    assert room.panel.check_lines() == [] and "changed" in room.panel.checks.text()


def test_window_step_8_he_relu_500_layers(make_room, qtbot):
    window, room = make_room(Settings(depth=12, width=8, batch=4))
    room.go_to_step(7)
    step = STEPS[7]
    assert window.controls.depth_control.spin.value() == 500 and window.chart.view == "activations"
    result = wait_for(qtbot, window, step.settings, timeout=120000)
    a = result.column("activation_rms")
    assert 0.1 <= a[-1] / a[0] <= 10
    qtbot.waitUntil(lambda: len(room.panel.check_lines()) == len(step.live_checks))
    assert all(ok for ok, _ in room.panel.check_lines())
    # the chart colours the last layer healthy (within 10x of the input)
    from depthlens.engine.health import HEALTHY

    assert window.chart.series("activation_rms").codes[-1] == HEALTHY


def test_teachers_can_load_their_own_steps(make_room, qtbot, tmp_path):
    window, room = make_room(Settings(depth=12, width=8, batch=4))
    path = tmp_path / "mine.json"
    path.write_text(
        _steps_json(
            settings={"depth": 20, "width": 16, "batch": 8},
            checks=[{"column": "activation_rms", "ratio": [-1, 0], "op": "between", "value": [0.1, 10]}],
        )
    )
    assert room.load_steps_file(path)
    assert len(room.steps) == 1 and room.step_index == 0
    assert window.settings().depth == 20
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\x00\xff{")
    assert not room.load_steps_file(bad)
    assert len(room.steps) == 1
    assert "bad.json" in room.messages[-1] and "\n" not in room.messages[-1]
    room.use_builtin_steps()
    assert len(room.steps) == len(STEPS) == 15


def test_training_steps_state_checked_trends_on_the_run():
    train_steps = [s for s in STEPS if s.train is not None]
    assert [s.title.split(".")[0] for s in train_steps] == ["10", "11"]
    for step in train_steps:
        assert any(c.training for c in step.checks) and step.live_checks
        assert not any(c.training for c in step.live_checks)  # the run takes seconds: tests only
    assert STEPS[9].settings.scale == pytest.approx(2**0.5) and STEPS[10].settings.scale == 0.1


def test_training_checks_are_validated():
    base = {"title": "t", "caption": "a = b. c = d.", "settings": {"depth": 2}}
    with pytest.raises(WalkthroughError, match="needs the step's train object"):
        parse_steps(
            json.dumps(
                {
                    "version": 1,
                    "steps": [{**base, "checks": [{"column": "train_loss", "row": -1, "op": "<", "value": 1}]}],
                }
            )
        )
    with pytest.raises(WalkthroughError, match="outside the run's steps"):
        parse_steps(
            json.dumps(
                {
                    "version": 1,
                    "steps": [
                        {
                            **base,
                            "train": {"steps": 5},
                            "checks": [{"column": "train_loss", "row": 5, "op": "<", "value": 1}],
                        }
                    ],
                }
            )
        )
    with pytest.raises(WalkthroughError, match="lr must be"):
        parse_steps(json.dumps({"version": 1, "steps": [{**base, "train": {"lr": 0}}]}))
    with pytest.raises(WalkthroughError, match="unknown training key"):
        parse_steps(json.dumps({"version": 1, "steps": [{**base, "train": {"epochs": 3}}]}))


def test_window_training_step_sets_the_training_panel(make_room, qtbot):
    window, room = make_room()
    room.go_to_step(10)
    lab = window.training
    qtbot.waitUntil(lambda: lab.dock.isVisible(), timeout=5000)
    assert lab.config == STEPS[10].train.config
    assert lab.panel.config() == STEPS[10].train.config


def test_a_partial_chart_result_shows_computing_not_checks(make_room, qtbot):
    import dataclasses

    window, room = make_room(Settings(depth=12, width=8, batch=4))
    room.go_to_step(0)
    step = STEPS[0]
    result = wait_for(qtbot, window, step.settings)
    qtbot.waitUntil(lambda: len(room.panel.check_lines()) == len(step.live_checks))
    partial = dataclasses.replace(result, partial=(3, step.settings.depth + 1))  # forward bars 0..2 only
    room.walk._on_result_shown(partial)
    assert room.panel.check_lines() == [] and "Computing" in room.panel.checks.text()
    room.walk._on_result_shown(result)
    assert len(room.panel.check_lines()) == len(step.live_checks)
