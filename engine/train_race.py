"""The Init race: one network trained from four initialisations side by side, same steps.

gaussian s = 0.1 ("too small"), Xavier s = 1, He s = sqrt(2), s = 4 ("too large"); a
linear network also races identity 1.5*I and 0.5*I (the lecture's). Everything else (depth,
width, activation, task, optimiser, lr, seed) is the current run's: the deeplearning.ai
comparison of inits on a cost curve, at any depth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import Settings
from .jobs import Partial, Progress, Steps, drive
from .train_config import TrainConfig
from .training import Trainer
from .weights import WeightCache

RACE_INITS: tuple[tuple[str, str, float], ...] = (
    ("gaussian s=0.1 (too small)", "gaussian", 0.1),
    ("Xavier s=1", "gaussian", 1.0),
    ("He s=√2", "gaussian", math.sqrt(2.0)),
    ("s=4 (too large)", "gaussian", 4.0),
)
LINEAR_EXTRA: tuple[tuple[str, str, float], ...] = (
    ("identity 1.5·I", "identity", 1.5),
    ("identity 0.5·I", "identity", 0.5),
)


@dataclass(frozen=True, slots=True)
class RaceRun:
    """One init's loss curve: every step's loss (before that step's update)."""

    label: str
    settings: Settings
    losses: np.ndarray
    diverged: str | None

    @property
    def final(self) -> float:
        """The last step's loss."""
        return float(self.losses[-1]) if self.losses.size else math.nan


def entries(settings: Settings) -> list[tuple[str, Settings]]:
    """(label, settings) of every init in the race for `settings`."""
    inits = RACE_INITS + (LINEAR_EXTRA if settings.activation == "linear" else ())
    return [(label, settings.replace(init=init, scale=scale)) for label, init, scale in inits]


def race_steps(
    settings: Settings, config: TrainConfig, steps: int, *, cache: WeightCache | None = None, chunk: int = 10
) -> Steps[list[RaceRun]]:
    """The race as a job: train each init of `entries(settings)` for `steps` steps.

    Yields `Progress` after every `chunk` steps and a `Partial` (the runs finished so far)
    after each init; returns every run.
    """
    runs = entries(settings)
    out: list[RaceRun] = []
    for i, (label, s) in enumerate(runs):
        t = Trainer(s, config, cache, capacity=16)  # only the per-step losses are kept
        for c in t.run(steps, chunk=chunk):
            yield Progress((i + c.step / steps) / len(runs))
        out.append(RaceRun(label, s, t.history.losses.copy(), t.diverged))
        yield Partial(list(out))
    return out


def race(settings: Settings, config: TrainConfig, steps: int, *, cache: WeightCache | None = None) -> list[RaceRun]:
    """`race_steps` run to its end (scripts, notebooks, tests)."""
    return drive(race_steps(settings, config, steps, cache=cache))
