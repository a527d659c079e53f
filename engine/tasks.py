"""The training lab's data: the two spirals (classification) and a random tanh teacher (regression).

Both are deterministic functions of (seed, width, batch, noise), drawn from their own
random streams so they never disturb the chart's weights, inputs or readouts.

* `spirals`: TensorFlow Playground's two-spirals generator (``classifySpiralData``): for
  each label, point i of m = B/2 has radius r = 5 i/m and angle t = 1.75 * 2 pi i/m
  (+ pi for label -1), (x, y) = (r sin t, r cos t) + noise * U(-1, 1) each. B points,
  labels +1 then -1 (the first ceil(B/2) are +1). Each coordinate is standardised (mean 0,
  standard deviation 1 over the B points) and embedded into width n by a fixed random
  E (n x 2, N(0, 1) entries, from seed and width): a_0 = x E^T.
* `teacher`: a_0 = x with x ~ N(0, 1) (B x n); y_b = v . tanh(U x_b / sqrt(n)) / sqrt(h)
  with h = 16 hidden units, U (h x n) and v (h) N(0, 1) from the seed.

The network's output is a fixed random readout y_hat_b = r . a_L,b / sqrt(n), r ~ N(0, 1)
(n entries, from seed and width), which is not trained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TASKS: tuple[str, ...] = ("spirals", "teacher")
TEACHER_HIDDEN = 16

# Random-stream codes (the chart's weights use 1, 2, 11, 12, 13).
_EMBED_CODE = 21
_NOISE_CODE = 22
_READOUT_CODE = 23
_TEACHER_CODE = 24
_TEACHER_INPUT_CODE = 25


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(list(key)))


def spiral_points(batch: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw two-spirals points (B x 2) and labels (+1 then -1), as TensorFlow Playground draws them."""
    half = batch / 2.0
    pos = (batch + 1) // 2
    i = np.concatenate([np.arange(pos), np.arange(batch - pos)]).astype(np.float64)
    delta = np.concatenate([np.zeros(pos), np.full(batch - pos, math.pi)])
    r = i / half * 5.0
    t = 1.75 * i / half * 2.0 * math.pi + delta
    jitter = _rng(seed, _NOISE_CODE, batch).uniform(-1.0, 1.0, size=(batch, 2)) * noise
    pts = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + jitter
    labels = np.concatenate([np.ones(pos), -np.ones(batch - pos)])
    return pts, labels


def standardise(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(standardised points, mean, std) per coordinate; a constant coordinate keeps std 1."""
    mean = pts.mean(axis=0)
    std = pts.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (pts - mean) / std, mean, std


def embedding(seed: int, width: int) -> np.ndarray:
    """E (n x 2), N(0, 1) entries, from seed and width."""
    return _rng(seed, _EMBED_CODE, width).standard_normal((width, 2))


def readout(seed: int, width: int) -> np.ndarray:
    """The task readout r (n), N(0, 1) entries, from seed and width."""
    return _rng(seed, _READOUT_CODE, width).standard_normal(width)


def teacher_weights(seed: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The teacher's (U (h x n), v (h)), N(0, 1) entries."""
    rng = _rng(seed, _TEACHER_CODE, width)
    return rng.standard_normal((TEACHER_HIDDEN, width)), rng.standard_normal(TEACHER_HIDDEN)


def teacher_output(x: np.ndarray, seed: int) -> np.ndarray:
    """y_b = v . tanh(U x_b / sqrt(n)) / sqrt(h) for the rows of x (B x n)."""
    u, v = teacher_weights(seed, x.shape[1])
    return np.tanh(x @ u.T / math.sqrt(x.shape[1])) @ v / math.sqrt(TEACHER_HIDDEN)


@dataclass(frozen=True, slots=True)
class TaskData:
    """One task's batch in float64: a_0 (B x n), targets y (B), readout r (n).

    For spirals also the standardised 2-D points (B x 2) and E (n x 2), so a grid can be
    embedded the same way (the decision boundary).
    """

    task: str
    x: np.ndarray
    y: np.ndarray
    readout: np.ndarray
    points: np.ndarray | None = None
    embed: np.ndarray | None = None

    @property
    def classification(self) -> bool:
        """True for ±1 labels (softplus loss, accuracy)."""
        return self.task == "spirals"


def make_task(task: str, seed: int, width: int, batch: int, noise: float = 0.0) -> TaskData:
    """The batch of `task` (see the module docstring) for seed, width n and B points."""
    r = readout(seed, width)
    if task == "spirals":
        pts, labels = spiral_points(batch, noise, seed)
        std_pts, _, _ = standardise(pts)
        e = embedding(seed, width)
        return TaskData(task, std_pts @ e.T, labels, r, std_pts, e)
    if task == "teacher":
        x = _rng(seed, _TEACHER_INPUT_CODE, width).standard_normal((batch, width))
        return TaskData(task, x, teacher_output(x, seed), r)
    raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
