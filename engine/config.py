"""Settings of one network: validated, immutable, serialisable.

Every setting has a name, a type and an allowed range; `Settings.validate` raises
`SettingsError` naming the setting and its range so the CLI and the app can show it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .activations import NAMES

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ACTIVATIONS: tuple[str, ...] = NAMES  # the activation table's, in its order
# identity W = s*I; gaussian N(0, s^2/n); orthogonal s*Q; uniform U(-s*sqrt(3/n), s*sqrt(3/n))
# (variance s^2/n); zeros W = 0 (the symmetry lesson: every unit of a layer computes the same).
INITS: tuple[str, ...] = ("identity", "gaussian", "orthogonal", "uniform", "zeros")
INPUTS: tuple[str, ...] = ("ones", "gaussian")
# sum: Loss = mean_b sum_i a_L,bi (g_L = 1, the lecture's); random: a fixed random readout r
# of unit RMS per sample, Loss = mean_b sum_i r_bi a_L,bi (g_L = r, what mean-field assumes).
LOSSES: tuple[str, ...] = ("sum", "random")
DTYPES: tuple[str, ...] = ("float32", "float64")
# x_l = x_{l-1} + alpha * phi(z_l); sqrt_depth: alpha / sqrt(L) (Hanin & Rolnick 2018, SkipInit, Fixup).
RESIDUAL_SCALINGS: tuple[str, ...] = ("none", "sqrt_depth")
# z_l normalised before phi: over the n units of each sample (layer) or the B samples of each unit (batch).
NORMS: tuple[str, ...] = ("none", "layer", "batch")

MAX_SEED = 2**32 - 1

# name -> (low, high) for numbers, or the tuple of allowed words.
RANGES: dict[str, tuple[Any, ...]] = {
    "depth": (1, 1000),
    "width": (1, 1024),
    "batch": (1, 512),
    "activation": ACTIVATIONS,
    "init": INITS,
    "scale": (0.0, 32.0),  # 32: N(0, 1) weights (s = sqrt(n)) up to width 1024
    "bias_std": (0.0, 1.0),
    "input": INPUTS,
    "loss": LOSSES,
    "seed": (0, MAX_SEED),
    "dtype": DTYPES,
    "residual": (0.0, 2.0),
    "residual_scaling": RESIDUAL_SCALINGS,
    "norm": NORMS,
}


class SettingsError(ValueError):
    """A setting is out of range or of the wrong type; `name` says which."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def allowed(name: str) -> str:
    """Describe the allowed values of setting `name` in words."""
    rng = RANGES[name]
    if isinstance(rng[0], str):
        return "one of " + ", ".join(rng)
    if name == "scale":
        return f"a number > 0 and <= {rng[1]:g}"
    if name == "bias_std":
        return "a number from 0 to 1"
    if name == "residual":
        return "a number from 0 to 2"
    return f"an integer from {rng[0]} to {rng[1]}"


def _shown(value: Any) -> str:
    """`value` for a message: repr, cut to 40 characters (an int of 5000 digits included)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        return "a number with too many digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise SettingsError(name, f"{name} must be {allowed(name)}, got {_shown(value)}")
    lo, hi = RANGES[name]
    if not lo <= value <= hi:
        raise SettingsError(name, f"{name} must be {allowed(name)}, got {_shown(value)}")
    return int(value)


Ranges = Mapping[str, tuple[Any, ...]]
_T = TypeVar("_T", bound="DataclassInstance")


def check_float(
    name: str, value: Any, *, open_low: bool = False, ranges: Ranges = RANGES, words: Callable[[str], str] = allowed
) -> float:
    """`value` as a finite float within `ranges[name]` (low end excluded if `open_low`).

    Else `SettingsError` naming `name` and `words(name)`. Training settings pass their own table.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(name, f"{name} must be {words(name)}, got {_shown(value)}")
    try:
        value = float(value)
    except OverflowError:  # an integer beyond float64
        raise SettingsError(name, f"{name} must be {words(name)}, got a number beyond float64") from None
    lo, hi = ranges[name]
    ok = math.isfinite(value) and (lo < value if open_low else lo <= value) and value <= hi
    if not ok:
        raise SettingsError(name, f"{name} must be {words(name)}, got {_shown(value)}")
    return value


def check_word(name: str, value: Any, *, ranges: Ranges = RANGES, words: Callable[[str], str] = allowed) -> str:
    """`value` if it is one of the words `ranges[name]`, else `SettingsError` naming `name`."""
    if not isinstance(value, str) or value not in ranges[name]:
        raise SettingsError(name, f"{name} must be {words(name)}, got {_shown(value)}")
    return value


def checked_replace(obj: _T, changes: dict[str, Any], ranges: Ranges, what: str) -> _T:
    """A copy of the dataclass `obj` with `changes` (validated by its constructor).

    A name not in `ranges` raises `SettingsError("unknown {what} ...")`, the first in sorted order.
    """
    unknown = set(changes) - set(ranges)
    if unknown:
        name = sorted(unknown)[0]
        raise SettingsError(name, f"unknown {what} {name!r}")
    return dataclasses.replace(obj, **changes)


@dataclass(frozen=True, slots=True)
class Settings:
    """One deep network: depth L layers of width n, a batch of B inputs.

    Validated on construction, so an instance is always a legal network.
    """

    depth: int = 50
    width: int = 64
    batch: int = 64
    activation: str = "tanh"
    init: str = "gaussian"
    scale: float = 1.0
    bias_std: float = 0.0
    input: str = "gaussian"
    loss: str = "random"
    seed: int = 0
    dtype: str = "float32"
    residual: float = 0.0  # alpha of the skip connection; 0 = a plain net
    residual_scaling: str = "none"
    norm: str = "none"

    def __post_init__(self) -> None:
        # Normalise types (e.g. scale=2 -> 2.0) while validating.
        object.__setattr__(self, "depth", _int("depth", self.depth))
        object.__setattr__(self, "width", _int("width", self.width))
        object.__setattr__(self, "batch", _int("batch", self.batch))
        object.__setattr__(self, "activation", check_word("activation", self.activation))
        object.__setattr__(self, "init", check_word("init", self.init))
        object.__setattr__(self, "scale", check_float("scale", self.scale, open_low=True))
        object.__setattr__(self, "bias_std", check_float("bias_std", self.bias_std))
        object.__setattr__(self, "input", check_word("input", self.input))
        object.__setattr__(self, "loss", check_word("loss", self.loss))
        object.__setattr__(self, "seed", _int("seed", self.seed))
        object.__setattr__(self, "dtype", check_word("dtype", self.dtype))
        object.__setattr__(self, "residual", check_float("residual", self.residual))
        object.__setattr__(self, "residual_scaling", check_word("residual_scaling", self.residual_scaling))
        object.__setattr__(self, "norm", check_word("norm", self.norm))

    @property
    def branch_scale(self) -> float:
        """The residual branch's factor as used: alpha, or alpha / sqrt(L) when scaled."""
        if self.residual_scaling == "sqrt_depth":
            return self.residual / math.sqrt(self.depth)
        return self.residual

    @property
    def plain(self) -> bool:
        """True for a plain net (no skip connection, no normalisation): today's network."""
        return self.residual == 0 and self.norm == "none"

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with `changes` applied (validated)."""
        return checked_replace(self, changes, RANGES, "setting")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every setting (JSON-safe)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        """JSON text of `to_dict`, keys in declaration order."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Build from a dict; unknown keys raise `SettingsError`."""
        if not isinstance(data, dict):
            raise SettingsError("settings", "settings must be a mapping")
        return cls().replace(**data)


FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Settings))
