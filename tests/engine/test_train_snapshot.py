"""What the window draws of a run: the learning readout (10x of 1e-3), the boundary grid, the race."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine import Settings
from depthlens.engine.theory import predict
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.train_race import entries, race
from depthlens.engine.train_snapshot import boundary, layer_ranges, learning_summary, snapshot
from depthlens.engine.training import Trainer


def test_layer_ranges() -> None:
    assert layer_ranges([1, 2, 3, 7, 9, 10]) == "1–3, 7, 9–10"
    assert layer_ranges([4]) == "4"
    assert layer_ranges([]) == ""


def test_learning_summary_applies_the_10x_rule() -> None:
    text = learning_summary(np.array([1e-3, 2e-4, 9e-3, 5e-5, 1e-12, 0.5]))
    assert "learning (update:data within 10× of 1e-3): layers 1–3" in text.lower()
    assert "not learning (below 1e-4, down to 1.0e-12): layers 4–5" in text
    assert "moving too fast (above 1e-2): layers 6" in text
    assert learning_summary(np.full(3, np.nan)).startswith("Not trained yet")


def test_snapshot_copies_and_boundary_matches_the_output() -> None:
    s = Settings(depth=3, width=8, batch=20, activation="tanh", dtype="float64")
    t = Trainer(s, TrainConfig())
    t.step_once()
    snap = snapshot(t, predict(s), with_boundary=True, resolution=9)
    assert snap.step == 1 and snap.result is not None and snap.result.settings == s
    assert snap.boundary is not None and snap.boundary.values.shape == (9, 9)
    # the grid's centre point is the origin of the standardised plane
    centre = t.output(np.zeros((1, 2)) @ t.task.embed.T)
    assert snap.boundary.values[4, 4] == pytest.approx(float(centre[0]), rel=1e-12)
    t.step_once()
    assert snap.steps.tolist() == [0]  # a copy: later steps do not change it
    teacher = Trainer(s, TrainConfig(task="teacher"))
    assert boundary(teacher) is None


def test_race_entries_and_the_vanishing_init_stays_at_ln2() -> None:
    s = Settings(depth=10, width=16, batch=30, activation="relu")
    assert [e[1].scale for e in entries(s)] == [0.1, 1.0, math.sqrt(2), 4.0]
    assert len(entries(s.replace(activation="linear"))) == 6
    runs = race(s, TrainConfig(), 50)
    assert runs[0].final == pytest.approx(math.log(2), abs=1e-4)
    assert runs[2].final < 0.69
