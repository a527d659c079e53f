"""Training runs: reproducible bit for bit, pause/resume and lr changes equal one run, divergence is data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine import Settings
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.train_history import History
from depthlens.engine.training import TooLarge, Trainer, memory_needed

SMALL = Settings(depth=4, width=8, batch=16, activation="tanh", scale=1.4, bias_std=0.1, dtype="float64", seed=2)
CONFIGS = [
    TrainConfig(optimizer="sgd", lr=0.1),
    TrainConfig(optimizer="sgd", lr=0.05, momentum=0.9, clip=0.5),
    TrainConfig(optimizer="adam", lr=0.01, task="teacher"),
]


def _same(a: Trainer, b: Trainer) -> None:
    for x, y in zip(a.params(), b.params(), strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.history.losses, b.history.losses)


@pytest.mark.parametrize("config", CONFIGS)
def test_200_steps_reproducible_bit_for_bit(config: TrainConfig) -> None:
    runs = []
    for _ in range(2):
        t = Trainer(SMALL, config)
        for _ in t.run(200, chunk=50):
            pass
        runs.append(t)
    _same(*runs)
    assert runs[0].step == 200
    assert runs[0].history.losses[-1] < runs[0].history.losses[0]
    for k in ("update_ratio", "distance", "gradient_rms"):
        np.testing.assert_array_equal(runs[0].history.column(k), runs[1].history.column(k))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("block", [{}, {"residual": 1.0, "norm": "layer"}])
def test_update_inside_the_backward_pass_equals_a_separate_pass(optimizer: str, block: dict) -> None:
    """clip = 0 steps each layer as its gradients appear; a clip that never bites steps after them all."""
    s = SMALL.replace(activation="relu", **block)
    runs = []
    for clip in (0.0, 1e6):
        momentum = 0.9 if optimizer == "sgd" else 0.0
        t = Trainer(s, TrainConfig(optimizer=optimizer, lr=0.02, momentum=momentum, clip=clip))
        for _ in t.run(30):
            pass
        runs.append(t)
    _same(*runs)
    for k in ("update_ratio", "distance", "gradient_rms", "weight_grad_rms"):
        np.testing.assert_array_equal(runs[0].history.column(k), runs[1].history.column(k))


@pytest.mark.parametrize("config", CONFIGS)
def test_pause_resume_equals_an_uninterrupted_run(config: TrainConfig) -> None:
    whole = Trainer(SMALL, config)
    for _ in whole.run(120, chunk=120):
        pass
    paused = Trainer(SMALL, config)
    gen = paused.run(120, chunk=7)
    for c in gen:
        if c.step >= 35:
            break
    gen.close()  # pause: nobody asks for more
    assert paused.step == 35
    for _ in paused.run(85, chunk=1):  # resume
        pass
    _same(whole, paused)


@pytest.mark.parametrize("config", CONFIGS)
def test_lr_change_mid_run_equals_the_schedule(config: TrainConfig) -> None:
    lr2 = config.lr * 0.3
    scheduled = Trainer(SMALL, config)
    for _ in scheduled.run(100, chunk=100, lr_at=lambda k: config.lr if k < 60 else lr2):
        pass
    live = Trainer(SMALL, config)
    for c in live.run(100, chunk=20):
        if c.step == 60:
            live.configure(live.config.replace(lr=lr2))
    _same(scheduled, live)


def test_configure_refuses_what_needs_a_reset() -> None:
    t = Trainer(SMALL, TrainConfig())
    with pytest.raises(ValueError):
        t.configure(t.config.replace(task="teacher"))


def test_divergence_stops_with_the_step_named() -> None:
    s = Settings(depth=10, width=16, batch=20, activation="relu", scale=2.0, dtype="float32")
    t = Trainer(s, TrainConfig(optimizer="sgd", lr=10.0, task="teacher"))
    chunks = list(t.run(500, chunk=10))
    assert chunks[-1].done and chunks[-1].diverged is not None
    k = int(chunks[-1].diverged.rsplit(" ", 1)[1])
    assert chunks[-1].diverged == f"diverged at step {k}"
    assert t.step == k + 1 < 500
    assert t.history.column("diverged")[-1] == 1.0
    assert t.history.column("step")[-1] == k
    assert np.isfinite(t.history.losses[:k]).all()
    assert not t.step_once()  # a diverged run takes no more steps
    assert list(t.run(5)) == []


def test_memory_limit_is_a_clear_error() -> None:
    s = Settings(depth=1000, width=1024, batch=1)
    with pytest.raises(TooLarge, match="limit is 1 GiB"):
        Trainer(s, TrainConfig(optimizer="adam"))
    assert memory_needed(Settings(depth=50, width=64), TrainConfig()) < 2**30


def test_history_decimates_within_capacity_and_says_so() -> None:
    t = Trainer(SMALL, TrainConfig(optimizer="sgd", lr=0.05), capacity=16)
    for _ in t.run(100, chunk=100):
        pass
    h = t.history
    steps = h.column("step")
    assert h.rows <= 16 and h.decimated
    assert np.all(steps % h.stride == 0) and np.all(np.diff(steps) == h.stride)
    assert h.losses.size == 100
    np.testing.assert_array_equal(h.column("loss"), h.losses[steps.astype(int)])


def test_history_replaces_a_repeated_final_row() -> None:
    h = History(2, every=5)
    row = {k: np.zeros(3) for k in ("activation_rms", "gradient_rms")}
    row |= {k: np.zeros(2) for k in ("weight_grad_rms", "update_ratio", "distance")}
    h.record(0, {"loss": 1.0}, row)
    h.record(0, {"loss": 2.0}, row)
    assert h.rows == 1 and h.column("loss")[0] == 2.0


def test_records_the_charts_quantities() -> None:
    t = Trainer(SMALL, TrainConfig())
    t.step_once()
    m = t.measured()
    assert m is not None
    assert m.activation_rms.shape == (SMALL.depth + 1,)
    assert math.isnan(m.weight_grad_rms[0]) and np.isfinite(m.weight_grad_rms[1:]).all()
    assert t.history.column("distance")[0] == pytest.approx(0.0)
    assert np.all(t.history.column("update_ratio")[0] > 0)


def test_calibration_vanishing_init_stays_at_ln2_he_learns() -> None:
    """The issue's calibration: spirals (200 points), 10 ReLU layers of width 64, Adam lr 0.01, 1000 steps."""
    losses = {}
    for name, scale in (("small", 0.1), ("he", math.sqrt(2))):
        s = Settings(depth=10, width=64, batch=200, activation="relu", scale=scale)
        t = Trainer(s, TrainConfig(optimizer="adam", lr=0.01))
        chunks = list(t.run(1000, chunk=1000))
        losses[name] = (chunks[-1].loss, chunks[-1].accuracy)
    assert losses["small"][0] == pytest.approx(math.log(2), abs=1e-4)  # even Adam cannot rescue it
    assert losses["he"][0] < 0.05 and losses["he"][1] > 0.95
