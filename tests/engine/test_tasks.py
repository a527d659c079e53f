"""The training tasks: TensorFlow Playground's spirals, the tanh teacher, the readout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine.tasks import TEACHER_HIDDEN, make_task, spiral_points, teacher_weights


def test_spiral_points_follow_playgrounds_generator() -> None:
    pts, labels = spiral_points(8, 0.0, 0)
    assert labels.tolist() == [1, 1, 1, 1, -1, -1, -1, -1]
    # Point i of m = 4: r = 5 i / 4, t = 1.75 * 2 pi i / 4 (+ pi for the second spiral).
    for i in range(4):
        r, t = 5 * i / 4, 1.75 * 2 * math.pi * i / 4
        np.testing.assert_allclose(pts[i], [r * math.sin(t), r * math.cos(t)], atol=1e-12)
        np.testing.assert_allclose(pts[4 + i], [r * math.sin(t + math.pi), r * math.cos(t + math.pi)], atol=1e-12)


def test_spiral_noise_is_uniform_within_the_setting() -> None:
    clean, _ = spiral_points(200, 0.0, 1)
    noisy, _ = spiral_points(200, 0.3, 1)
    jitter = noisy - clean
    assert np.abs(jitter).max() <= 0.3 and np.abs(jitter).max() > 0.25


@pytest.mark.parametrize("batch", [7, 200])
def test_spirals_standardised_and_embedded(batch: int) -> None:
    d = make_task("spirals", 4, 16, batch, 0.1)
    assert d.points is not None and d.embed is not None
    np.testing.assert_allclose(d.points.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(d.points.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(d.x, d.points @ d.embed.T)
    assert d.x.shape == (batch, 16) and d.y.shape == (batch,)
    assert set(np.unique(d.y)) == {-1.0, 1.0}


def test_teacher_is_a_small_tanh_net() -> None:
    d = make_task("teacher", 9, 12, 30)
    u, v = teacher_weights(9, 12)
    assert u.shape == (TEACHER_HIDDEN, 12)
    np.testing.assert_allclose(d.y, np.tanh(d.x @ u.T / math.sqrt(12)) @ v / 4.0)
    assert not d.classification


def test_tasks_are_deterministic_and_seeded() -> None:
    a, b = make_task("spirals", 1, 8, 10, 0.2), make_task("spirals", 1, 8, 10, 0.2)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.readout, b.readout)
    c = make_task("spirals", 2, 8, 10, 0.2)
    assert not np.array_equal(a.x, c.x)
    with pytest.raises(ValueError, match="task must be"):
        make_task("xor", 1, 8, 10)
