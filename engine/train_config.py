"""Training settings, separate from the network's `Settings`: validated, frozen.

Changing lr, momentum or clip mid-run keeps the network and the optimiser's state;
changing the task, noise, optimiser or the network starts training again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .config import check_float, check_word, checked_replace
from .optim import OPTIMIZERS
from .tasks import TASKS

MEMORY_LIMIT = 2**30  # bytes for parameters, their gradients, initial copies and optimiser state

# name -> (low, high) or the allowed words; `clip` 0 means off.
TRAIN_RANGES: dict[str, tuple[Any, ...]] = {
    "task": TASKS,
    "optimizer": OPTIMIZERS,
    "lr": (1e-6, 10.0),
    "momentum": (0.0, 0.99),
    "clip": (0.0, 1e6),
    "noise": (0.0, 1.0),
}
LIVE = ("lr", "momentum", "clip")  # may change mid-run without a reset

_WORDS = {
    "lr": "a number from 1e-6 to 10",
    "momentum": "a number from 0 to 0.99",
    "clip": "a number from 0 (off) to 1e6",
    "noise": "a number from 0 to 1",
}


def train_allowed(name: str) -> str:
    """The allowed values of training setting `name` in words."""
    rng = TRAIN_RANGES[name]
    if isinstance(rng[0], str):
        return "one of " + ", ".join(rng)
    return _WORDS[name]


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """How to train: the task, the optimiser and its hyper-parameters (see the README)."""

    task: str = "spirals"
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.0
    clip: float = 0.0  # max global gradient norm; 0 = no clipping
    noise: float = 0.0  # spirals: TensorFlow Playground's noise (its slider / 100)

    def __post_init__(self) -> None:
        for name, rng in TRAIN_RANGES.items():  # config's checkers (types, messages) over this table
            value = getattr(self, name)
            if isinstance(rng[0], str):
                value = check_word(name, value, ranges=TRAIN_RANGES, words=train_allowed)
            else:
                value = check_float(name, value, ranges=TRAIN_RANGES, words=train_allowed)
            object.__setattr__(self, name, value)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with `changes` applied (validated)."""
        return checked_replace(self, changes, TRAIN_RANGES, "training setting")

    def to_dict(self) -> dict[str, Any]:
        """Every training setting (JSON-safe)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def resets(self, other: TrainConfig) -> bool:
        """True when going from self to `other` must start training again."""
        return any(getattr(self, k) != getattr(other, k) for k in TRAIN_RANGES if k not in LIVE)
