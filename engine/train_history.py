"""A training run's history in preallocated buffers: decimated, never growing per step.

Rows are kept for steps that are multiples of the stride (`every` at first). When the
buffers are full, every other row is dropped and the stride doubles, so a run of any
length keeps between half and all of `capacity` rows, evenly spaced, and says so
(`decimated`). The loss of every step is kept apart (8 bytes a step, in a buffer that
doubles when full), for the NPZ's one-per-step `loss`.
"""

from __future__ import annotations

import numpy as np

MAX_ROWS = 10_000
HISTORY_BYTES = 64 * 2**20  # per-layer history budget: deep nets keep fewer rows

SCALARS = ("step", "loss", "accuracy", "seconds", "diverged")
PER_LAYER = ("activation_rms", "gradient_rms", "weight_grad_rms", "update_ratio", "distance")


def capacity_for(depth: int, rows: int = MAX_ROWS) -> int:
    """Rows kept for a net of `depth` layers: at most `rows`, within HISTORY_BYTES, at least 256."""
    per_row = 8 * (len(SCALARS) + 5 * (depth + 1))
    return int(max(256, min(rows, HISTORY_BYTES // per_row)))


class History:
    """Recorded rows; arrays are views of the first `rows` rows (copy before handing on)."""

    def __init__(self, depth: int, every: int = 1, capacity: int | None = None) -> None:
        self.depth = depth
        self.every = int(every)
        self.stride = self.every
        self.capacity = capacity_for(depth) if capacity is None else max(2, int(capacity))
        cap, L = self.capacity, depth
        self._scalar = {k: np.full(cap, np.nan) for k in SCALARS}
        self._layer = {
            "activation_rms": np.full((cap, L + 1), np.nan),
            "gradient_rms": np.full((cap, L + 1), np.nan),
            "weight_grad_rms": np.full((cap, L), np.nan),
            "update_ratio": np.full((cap, L), np.nan),
            "distance": np.full((cap, L), np.nan),
        }
        self.rows = 0
        self._losses = np.empty(1024)
        self.steps = 0  # how many per-step losses are held

    @property
    def decimated(self) -> bool:
        """True once rows have been dropped to stay within capacity."""
        return self.stride != self.every

    def wants(self, step: int) -> bool:
        """True when `step` falls on the current stride."""
        return step % self.stride == 0

    def add_loss(self, loss: float) -> None:
        """Keep the loss of the next step (amortised doubling, no per-step allocation)."""
        if self.steps == self._losses.size:
            grown = np.empty(2 * self._losses.size)
            grown[: self.steps] = self._losses
            self._losses = grown
        self._losses[self.steps] = loss
        self.steps += 1

    @property
    def losses(self) -> np.ndarray:
        """The loss of every step so far (before that step's update)."""
        return self._losses[: self.steps]

    def record(self, step: int, scalars: dict[str, float], layers: dict[str, np.ndarray]) -> None:
        """Keep one row (the caller decides which steps, e.g. `wants(step)` or a run's last)."""
        if self.rows and self._scalar["step"][self.rows - 1] == step:
            self.rows -= 1  # the same step again (a final row after a stride row): replace it
        while self.rows == self.capacity:
            self._decimate()
        i = self.rows
        self._scalar["step"][i] = step
        for k in SCALARS[1:]:
            self._scalar[k][i] = scalars.get(k, np.nan)
        for k, arr in self._layer.items():
            arr[i] = layers[k]
        self.rows += 1

    def _decimate(self) -> None:
        self.stride *= 2
        keep = np.flatnonzero(self._scalar["step"][: self.rows] % self.stride == 0)
        n = keep.size
        for arr in (*self._scalar.values(), *self._layer.values()):
            arr[:n] = arr[keep]
            arr[n:] = np.nan
        self.rows = n

    def column(self, name: str) -> np.ndarray:
        """A recorded column (rows,) or (rows, layers) as a view."""
        if name in self._scalar:
            return self._scalar[name][: self.rows]
        return self._layer[name][: self.rows]

    def copy(self) -> dict[str, np.ndarray]:
        """Every recorded column, copied."""
        return {k: self.column(k).copy() for k in (*SCALARS, *PER_LAYER)}
