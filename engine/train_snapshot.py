"""What the window draws of a training run: a frozen copy taken on the engine thread.

A `TrainSnapshot` holds copies only (the `Trainer` stays on the engine thread): the chart's
`Result` of the current step, the loss curve, the update:data ratios (layer x recorded
step), the decision boundary for the spirals, and the readout's sentence on which layers
are learning (update:data within 10x of 1e-3, Karpathy's rule of thumb).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .engine import Result
from .theory import Theory
from .train_config import TrainConfig
from .training import Trainer

RATIO_TARGET = 1e-3  # a healthy update:data ratio (log10 = -3)
RATIO_BAND = 10.0  # "learning": within this factor of the target
BOUNDARY_EXTENT = 2.6  # the grid spans +-this in standardised coordinates


@dataclass(frozen=True, slots=True)
class Boundary:
    """y_hat over a square grid of the standardised plane, with the task's points."""

    extent: float
    values: np.ndarray  # (res, res): row i is y = -extent + ..., column j is x
    points: np.ndarray  # (B, 2)
    labels: np.ndarray  # (B,)


@dataclass(frozen=True, slots=True)
class TrainSnapshot:
    """A training run as the window shows it, after `step` steps."""

    config: TrainConfig
    step: int
    loss: float
    accuracy: float
    diverged: str | None
    result: Result | None  # the chart's quantities at the last step (None before one)
    ratio_now: np.ndarray  # (L,) the last step's update:data ratio
    steps: np.ndarray  # recorded steps
    losses: np.ndarray  # the loss at each recorded step
    ratios: np.ndarray  # (rows, L)
    stride: int
    boundary: Boundary | None
    learning: str  # the readout's sentence


def layer_ranges(layers: list[int]) -> str:
    """'1–3, 7, 9–10' from sorted layer numbers."""
    runs: list[list[int]] = []
    for k in layers:
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def learning_summary(ratio: np.ndarray) -> str:
    """Which layers learn: update:data within 10x of 1e-3, and which move too little or too much."""
    r = np.asarray(ratio, dtype=np.float64)
    if r.size == 0 or np.isnan(r).all():
        return "Not trained yet: press Train or Step."
    lo, hi = RATIO_TARGET / RATIO_BAND, RATIO_TARGET * RATIO_BAND
    layers = np.arange(1, r.size + 1)
    learning = layers[(r >= lo) & (r <= hi)].tolist()
    slow = layers[r < lo].tolist()
    fast = layers[(r > hi) | ~np.isfinite(r)].tolist()
    out = []
    if learning:
        out.append(f"learning (update:data within 10× of 1e-3): layers {layer_ranges(learning)}")
    if slow:
        worst = float(np.nanmin(r))
        out.append(f"not learning (below 1e-4, down to {worst:.1e}): layers {layer_ranges(slow)}")
    if fast:
        out.append(f"moving too fast (above 1e-2): layers {layer_ranges(fast)}")
    text = "; ".join(out)
    return text[0].upper() + text[1:] + "."


def boundary(trainer: Trainer, resolution: int = 60) -> Boundary | None:
    """y_hat over the standardised plane (spirals only)."""
    task = trainer.task
    if task.points is None or task.embed is None:
        return None
    e = BOUNDARY_EXTENT
    axis = np.linspace(-e, e, resolution)
    gx, gy = np.meshgrid(axis, axis)
    plane = np.stack([gx.ravel(), gy.ravel()], axis=1)
    values = trainer.output(plane @ task.embed.T).astype(np.float64).reshape(resolution, resolution)
    return Boundary(e, values, task.points.copy(), task.y.copy())


def snapshot(trainer: Trainer, theory: Theory, *, with_boundary: bool = False, resolution: int = 60) -> TrainSnapshot:
    """Copy what the window draws of `trainer` (called on the engine thread)."""
    h = trainer.history
    measured = trainer.measured()
    result = None if measured is None else Result(trainer.settings, measured, theory, trainer.seconds)
    ratio = trainer.update_ratio
    return TrainSnapshot(
        config=trainer.config,
        step=trainer.step,
        loss=trainer.last_loss,
        accuracy=trainer.last_accuracy,
        diverged=trainer.diverged,
        result=result,
        ratio_now=ratio,
        steps=h.column("step").copy(),
        losses=h.column("loss").copy(),
        ratios=h.column("update_ratio").copy(),
        stride=h.stride,
        boundary=boundary(trainer, resolution) if with_boundary else None,
        learning=learning_summary(ratio) if trainer.step else "Not trained yet: press Train or Step.",
    )


def loss_text(loss: float) -> str:
    """A loss for a label: 4 significant digits, 'diverged' for inf/NaN."""
    return f"{loss:.4g}" if math.isfinite(loss) else "diverged"
