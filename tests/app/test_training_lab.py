"""The training lab in the window: Train/Pause/Step/Reset, the chart follows, Pin, Init race, exports."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from depthlens.engine import Settings
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.training import Trainer
from depthlens.training_lab import TRAIN_VIEWS

SMALL = Settings(depth=4, width=8, batch=16, activation="tanh", scale=1.2, dtype="float64")


def _lab(qtbot, make_window, settings=SMALL):
    w = make_window(settings)
    lab = w.training
    lab.show()
    return w, lab


def _wait_step(qtbot, lab, at_least: int, timeout=20000):
    qtbot.waitUntil(lambda: lab.snapshot is not None and lab.snapshot.step >= at_least, timeout=timeout)
    return lab.snapshot


def test_attach_adds_hidden_docks_and_a_menu(qtbot, make_window):
    w = make_window(SMALL)
    lab = w.training
    assert set(lab.views) == {s.name for s in TRAIN_VIEWS}
    assert not lab.dock.isVisible()
    lab.show()
    qtbot.waitUntil(lambda: lab.dock.isVisible() and lab.docks["loss"].isVisible(), timeout=5000)


def test_step_takes_exactly_one_step_equal_to_the_engine(qtbot, make_window):
    w, lab = _lab(qtbot, make_window)
    qtbot.mouseClick(lab.panel.step_button, Qt.MouseButton.LeftButton)
    snap = _wait_step(qtbot, lab, 1)
    assert snap.step == 1
    ref = Trainer(SMALL, lab.config)
    ref.step_once()
    assert snap.loss == ref.last_loss
    np.testing.assert_array_equal(snap.ratio_now, ref.update_ratio)
    # the main chart shows the step's bars
    qtbot.waitUntil(lambda: w.chart.result is snap.result, timeout=5000)
    assert "Step 1" in lab.panel.status.text()


def test_train_pause_resume_reset(qtbot, make_window):
    _, lab = _lab(qtbot, make_window)
    qtbot.mouseClick(lab.panel.train_button, Qt.MouseButton.LeftButton)
    assert lab.running() and lab.panel.train_button.text() == "Pause"
    _wait_step(qtbot, lab, 20)
    qtbot.mouseClick(lab.panel.train_button, Qt.MouseButton.LeftButton)  # pause
    assert not lab.running()
    qtbot.wait(300)  # a chunk that was running has answered by now
    paused_at = lab.snapshot.step
    qtbot.wait(300)
    assert lab.snapshot.step == paused_at  # paused: no more chunks
    ref = Trainer(SMALL, lab.config)
    for _ in ref.run(paused_at):
        pass
    assert lab.snapshot.loss == ref.last_loss  # chunked training = one run
    lab.set_running(True)  # resume
    _wait_step(qtbot, lab, paused_at + 5)
    lab.set_running(False)
    qtbot.mouseClick(lab.panel.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lab.snapshot.step == 0, timeout=10000)
    assert lab.snapshot.result is None


def test_space_toggles_training(qtbot, make_window):
    w, lab = _lab(qtbot, make_window)
    w.activateWindow()
    lab.toggle_action.trigger()
    assert lab.running()
    _wait_step(qtbot, lab, 1)
    lab.toggle_action.trigger()
    assert not lab.running()
    assert lab.toggle_action.shortcut().toString() == "Space"


def test_lr_change_keeps_the_run_and_task_change_resets(qtbot, make_window):
    _, lab = _lab(qtbot, make_window)
    lab.step()
    _wait_step(qtbot, lab, 1)
    lab.panel.lr.setValue(lab.panel.lr.value() - 100)  # lr / 10
    assert lab.config.lr == pytest.approx(0.001)
    lab.step()
    snap = _wait_step(qtbot, lab, 2)
    ref = Trainer(SMALL, TrainConfig())
    ref.step_once()
    ref.configure(ref.config.replace(lr=0.001))
    ref.step_once()
    assert snap.loss == ref.last_loss
    lab.panel.task.setCurrentText("teacher")
    qtbot.waitUntil(lambda: lab.snapshot.step == 0 and lab.snapshot.config.task == "teacher", timeout=10000)


def test_network_change_resets_training(qtbot, make_window):
    w, lab = _lab(qtbot, make_window)
    lab.step()
    _wait_step(qtbot, lab, 1)
    w.set_settings(SMALL.replace(depth=5))
    qtbot.waitUntil(lambda: lab.snapshot.step == 0, timeout=10000)
    lab.step()
    snap = _wait_step(qtbot, lab, 1)
    assert snap.result.settings.depth == 5


def test_pin_keeps_a_curve_and_clear_forgets(qtbot, make_window):
    _, lab = _lab(qtbot, make_window)
    lab.pin()  # nothing to pin yet: a message, no curve
    assert lab.pins == []
    lab.step()
    _wait_step(qtbot, lab, 1)
    qtbot.mouseClick(lab.panel.pin_button, Qt.MouseButton.LeftButton)
    assert len(lab.pins) == 1
    assert "tanh" in lab.pins[0].label and "L=4" in lab.pins[0].label
    assert [c.label for c in lab.views["loss"].others] == [lab.pins[0].label]
    qtbot.mouseClick(lab.panel.clear_button, Qt.MouseButton.LeftButton)
    assert lab.pins == [] and lab.views["loss"].others == []


def test_init_race_trains_four_inits(qtbot, make_window):
    s = Settings(depth=10, width=16, batch=40, activation="relu", dtype="float32")
    _, lab = _lab(qtbot, make_window, s)
    lab.panel.race_steps.setValue(60)
    qtbot.mouseClick(lab.panel.race_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(lab.race_runs) == 4, timeout=60000)
    finals = {r.label: r.final for r in lab.race_runs}
    assert finals["gaussian s=0.1 (too small)"] == pytest.approx(math.log(2), abs=1e-4)
    assert finals["He s=√2"] < finals["gaussian s=0.1 (too small)"]
    assert all(r.losses.size == 60 for r in lab.race_runs)
    assert len(lab.views["loss"].others) == 4


def test_init_race_of_a_linear_net_adds_identity_inits(qtbot, make_window):
    s = Settings(depth=3, width=8, batch=10, activation="linear")
    _, lab = _lab(qtbot, make_window, s)
    lab.start_race(10)
    qtbot.waitUntil(lambda: len(lab.race_runs) == 6, timeout=60000)
    assert [r.settings.init for r in lab.race_runs[-2:]] == ["identity", "identity"]


def test_boundary_view_draws_the_spirals(qtbot, make_window):
    _, lab = _lab(qtbot, make_window)
    lab.docks["boundary"].show()
    lab.docks["boundary"].raise_()
    view = lab.views["boundary"]
    qtbot.waitUntil(lambda: view.boundary is not None, timeout=10000)
    assert view.boundary.values.shape == (60, 60)
    assert view.boundary.points.shape == (16, 2)


def test_exports_csv_and_png(qtbot, make_window, tmp_path):
    _, lab = _lab(qtbot, make_window)
    for _ in range(3):
        lab.step()
        qtbot.wait(50)
    _wait_step(qtbot, lab, 3)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    lab.export_csv("loss", str(a))
    lab.export_csv("ratio", str(b))
    qtbot.waitUntil(lambda: a.exists() and b.exists(), timeout=10000)
    df = pd.read_csv(a, comment="#")
    assert df["step"].tolist() == [0, 1, 2]
    assert len(pd.read_csv(b, comment="#")) == 3 * (SMALL.depth + 1)
    png = tmp_path / "loss.png"
    assert lab.export_png("loss", str(png))
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert lab.export_png("ratio", str(tmp_path / "ratio.png"))


def test_closing_mid_training_stops_cleanly(qtbot, make_window):
    w, lab = _lab(qtbot, make_window)
    lab.set_running(True)
    _wait_step(qtbot, lab, 2)
    w.close()
    assert not lab._timer.isActive()
    assert not w.worker._thread.isRunning()


def test_quick_step_clicks_add_up(qtbot, make_window):
    _, lab = _lab(qtbot, make_window)
    for _ in range(5):
        qtbot.mouseClick(lab.panel.step_button, Qt.MouseButton.LeftButton)
    snap = _wait_step(qtbot, lab, 5)
    qtbot.wait(200)
    assert lab.snapshot.step == 5
    ref = Trainer(SMALL, lab.config)
    for _ in ref.run(5):
        pass
    assert snap.loss == ref.last_loss


def test_hidden_lab_submits_nothing_when_the_network_changes(qtbot, make_window):
    w = make_window(SMALL)
    submitted = []
    original = w.worker.submit
    w.worker.submit = lambda kind, fn: submitted.append(kind) or original(kind, fn)
    w.set_settings(SMALL.replace(depth=5))
    qtbot.waitUntil(lambda: w.chart.result is not None and w.chart.result.settings.depth == 5, timeout=10000)
    assert "train" not in submitted
    w.training.step()  # the next Step trains the new network
    snap = _wait_step(qtbot, w.training, 1)
    assert snap.result.settings.depth == 5


def test_reset_puts_the_untrained_network_back_on_the_chart(qtbot, make_window):
    from depthlens.engine import Engine

    w, lab = _lab(qtbot, make_window)
    for _ in range(3):
        lab.step()
    snap = _wait_step(qtbot, lab, 3)
    qtbot.waitUntil(lambda: w.chart.result is snap.result, timeout=5000)
    fresh = Engine().compute(SMALL)
    assert not np.array_equal(w.chart.result.column("gradient_rms"), fresh.column("gradient_rms"))  # trained bars
    qtbot.mouseClick(lab.panel.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.chart.result is not snap.result and not w.worker.is_busy(), timeout=10000)
    for column in ("activation_rms", "gradient_rms", "weight_grad_rms"):
        np.testing.assert_array_equal(w.chart.result.column(column), fresh.column(column))
