"""While training runs, the main readout under the chart says which layers are learning."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt

from depthlens.engine import Settings
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.train_snapshot import learning_summary
from depthlens.engine.training import Trainer
from depthlens.training_lab import TRAINING_NOTE

NET = {"depth": 6, "width": 16, "batch": 32, "activation": "relu", "dtype": "float64"}
CASES = [
    # s = 0.1: gradients ~1e-8 of the data, nothing moves.
    (0.1, TrainConfig(optimizer="sgd", lr=0.05), "Not learning (below 1e-4, down to"),
    # He init with Adam at 1e-3: every layer near 1e-3.
    (1.414, TrainConfig(optimizer="adam", lr=0.001), "Learning (update:data within 10× of 1e-3): layers 1–6."),
]


@pytest.mark.parametrize(("scale", "config", "words"), CASES)
def test_readout_names_the_learning_layers_of_the_step_shown(qtbot, make_window, scale, config, words):
    s = Settings(scale=scale, **NET)
    w = make_window(s)
    lab = w.training
    lab.show()
    lab.use_config(config)
    for _ in range(3):
        qtbot.mouseClick(lab.panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lab.snapshot is not None and lab.snapshot.step == 3, timeout=20000)
    ref = Trainer(s, config)
    for _ in ref.run(3):
        pass
    summary = learning_summary(ref.update_ratio)
    assert words in summary
    first = w.readout.plain_text().splitlines()[0]
    assert first == f"Training, step 3 ({TRAINING_NOTE}): {summary}"
    assert "the untrained one" in TRAINING_NOTE
    assert summary in w.readout.text()  # shown, not only kept
    # The chart's own sentences stay under it.
    assert len(w.readout.plain_text().splitlines()) > 3


def test_readout_follows_the_run_and_forgets_it_on_reset(qtbot, make_window):
    s = Settings(scale=1.414, **NET)
    w = make_window(s)
    lab = w.training
    lab.show()
    lab.use_config(TrainConfig(optimizer="adam", lr=0.001))
    lab.set_running(True)
    qtbot.waitUntil(lambda: "Training, step" in w.readout.plain_text(), timeout=20000)
    qtbot.waitUntil(lambda: lab.snapshot.step >= 5, timeout=20000)
    lab.set_running(False)
    qtbot.wait(300)
    step = lab.snapshot.step
    assert w.readout.plain_text().startswith(f"Training, step {step} ")
    qtbot.mouseClick(lab.panel.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lab.snapshot.step == 0, timeout=10000)
    assert "Training, step" not in w.readout.plain_text()
    # A new network resets training, and the readout with it.
    lab.step()
    qtbot.waitUntil(lambda: "Training, step 1 " in w.readout.plain_text(), timeout=20000)
    w.state.set_settings(dataclasses.replace(s, depth=5))
    qtbot.waitUntil(lambda: "Training, step" not in w.readout.plain_text(), timeout=10000)
