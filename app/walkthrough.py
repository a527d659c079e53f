"""The lecture walkthrough: steps loaded from JSON data, and their machine-checked claims.

A steps file (`resources/walkthrough.json`, or a teacher's own) is::

    {"version": 1, "steps": [
      {"title": "...", "caption": "two or three sentences with the key formula",
       "preset": "lecture-explode",            # optional: start from an engine preset
       "settings": {"depth": 500},             # optional: overrides (validated by engine.Settings)
       "view": "activations",                  # activations | gradients | weight_gradients | both
       "checks": [{"label": "...", "column": "activation_rms", "row": -1, "op": ">", "value": 1e8}]}]}

A check picks a number (or numbers) from a result column and compares it:

* ``"row": k``: the value at layer k (negative counts from the output);
* ``"rows": [k, ...]``: several values (with ``"op": "close"`` and a list of values);
* ``"ratio": [a, b]``: column[a] / column[b];
* ``"growth": true``: the geometric-mean factor per layer (`Result.growth_factor`);
* ``"max_rel_dev": k``: the largest |column[l] / column[k] - 1| over all layers;
* ``"relative": k``: every column[l] / column[k] (the comparison must hold for all layers);

with ``"op"`` one of ``>``, ``<``, ``between`` (value [lo, hi]) or ``close`` (``rtol``).
``"with": {...}`` evaluates the check on the step's settings with these overrides (e.g. a
second depth); such checks are for tests, the panel shows the others live.

A step may train its network (the training lab): ``"train": {"optimizer": "adam", "lr": 0.01,
"steps": 1000}`` (also task, momentum, clip, noise; `engine.train_config`). Its checks may then
look at the run: column ``train_loss`` or ``train_accuracy`` with ``"row": k`` (the value at
step k, negative counts from the last step) or ``"ratio": [a, b]``. Training checks are for
tests (the run takes seconds); the Training panel takes the step's training settings.

Pure Python + numpy: no Qt here.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from depthlens.engine import COLUMNS, PRESETS, Result, Settings, SettingsError, fileio
from depthlens.engine.numbers import sig
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.views import VIEWS

VERSION = 1
OPS = (">", "<", "between", "close")
QUANTITIES = ("row", "rows", "ratio", "growth", "max_rel_dev", "relative")
CHECK_KEYS = {"label", "column", "op", "value", "rtol", "with", *QUANTITIES}
STEP_KEYS = {"title", "caption", "preset", "settings", "view", "checks", "train"}
TRAIN_COLUMNS = ("train_loss", "train_accuracy")
TRAIN_KEYS = {"task", "optimizer", "lr", "momentum", "clip", "noise", "steps"}
MAX_TRAIN_STEPS = 10_000
MAX_BYTES = 1024 * 1024
# Steps are plain text shown on a projector: bounded, so no file can freeze the layout.
MAX_STEPS = 100
MAX_TITLE = 120
MAX_CAPTION = 2000
MAX_CAPTION_LINES = 30
MAX_LABEL = 120


class WalkthroughError(ValueError):
    """A steps file that cannot be used; the message is one line naming the step."""


@dataclass(frozen=True, slots=True)
class TrainSpec:
    """A step's training run: how to train and for how many steps."""

    config: TrainConfig
    steps: int


@functools.lru_cache(maxsize=8)
def trained(settings: Settings, spec: TrainSpec) -> dict[str, np.ndarray]:
    """The run's per-step train_loss and train_accuracy (cached: checks of one step share it)."""
    from depthlens.engine.training import Trainer

    t = Trainer(settings, spec.config, capacity=spec.steps + 1)
    for _ in t.run(spec.steps, chunk=spec.steps):
        pass
    return {"train_loss": t.history.losses.copy(), "train_accuracy": t.history.column("accuracy").copy()}


@dataclass(frozen=True, slots=True)
class Check:
    """One machine-checkable claim of a caption."""

    column: str
    quantity: str  # one of QUANTITIES
    where: Any  # the row, rows, ratio pair or reference row (None for growth)
    op: str
    value: Any
    rtol: float = 1e-6
    label: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)
    train: TrainSpec | None = None  # for the train_* columns: the step's run

    @property
    def training(self) -> bool:
        """True for a check on the step's training run (not on the chart)."""
        return self.column in TRAIN_COLUMNS

    def measure(self, result: Result) -> float | np.ndarray:
        """The number(s) this check looks at in `result` (or in the run of its settings)."""
        if self.training:
            assert self.train is not None
            col = trained(result.settings, self.train)[self.column]
        else:
            col = np.asarray(result.column(self.column), dtype=np.float64)
        if self.quantity == "row":
            return float(col[self.where])
        if self.quantity == "rows":
            return col[list(self.where)]
        if self.quantity == "ratio":
            a, b = self.where
            with np.errstate(divide="ignore", invalid="ignore"):
                return float(col[a] / col[b])
        if self.quantity == "growth":
            return result.growth_factor(self.column)
        if self.quantity == "relative":
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = col / col[self.where]
            return np.array([rel.min(), rel.max()])  # all layers hold iff the extremes do
        ref = col[self.where]
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = np.abs(col / ref - 1.0)
        dev = dev[~np.isnan(col)] if self.column in ("weight_grad_rms", "inactive_fraction") else dev
        return float(np.max(dev)) if dev.size else math.nan

    def holds(self, measured: float | np.ndarray) -> bool:
        """True when `measured` satisfies the comparison (NaN never does)."""
        m = np.asarray(measured, dtype=np.float64)
        if np.isnan(m).any():
            return False
        if self.op == ">":
            return bool(np.all(m > self.value))
        if self.op == "<":
            return bool(np.all(m < self.value))
        if self.op == "between":
            lo, hi = self.value
            return bool(np.all((lo <= m) & (m <= hi)))
        return bool(np.allclose(m, np.asarray(self.value, dtype=np.float64), rtol=self.rtol, atol=0.0))

    def evaluate(self, result: Result) -> tuple[bool, str]:
        """(holds, one line: what was measured against what was claimed)."""
        m = self.measure(result)
        return self.holds(m), f"{self.describe()}: measured {fmt(m)} {'✓' if self.holds(m) else '✗'}"

    def describe(self) -> str:
        """The claim in words."""
        what = self.label or self.default_label()
        if self.op == "between":
            claim = f"within [{fmt(self.value[0])}, {fmt(self.value[1])}]"
        elif self.op == "close":
            claim = f"≈ {fmt(self.value)}"
        else:
            claim = f"{self.op} {fmt(self.value)}"
        extra = ", ".join(f"{k} = {v}" for k, v in self.overrides.items())
        return f"{what} {claim}" + (f" (at {extra})" if extra else "")

    def default_label(self) -> str:
        """A label built from the spec, used when the file gives none."""
        if self.quantity == "row":
            return f"{self.column}[{self.where}]"
        if self.quantity == "rows":
            return f"{self.column}{list(self.where)}"
        if self.quantity == "ratio":
            return f"{self.column}[{self.where[0]}] / {self.column}[{self.where[1]}]"
        if self.quantity == "growth":
            return f"{self.column} factor per layer"
        if self.quantity == "relative":
            return f"every {self.column} / {self.column}[{self.where}] (min, max)"
        return f"max |{self.column} / {self.column}[{self.where}] − 1|"


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the walkthrough."""

    title: str
    caption: str
    settings: Settings
    view: str
    checks: tuple[Check, ...]
    train: TrainSpec | None = None

    def settings_for(self, check: Check) -> Settings:
        """The settings a check is evaluated on (the step's, with its overrides)."""
        return self.settings.replace(**check.overrides) if check.overrides else self.settings

    @property
    def live_checks(self) -> tuple[Check, ...]:
        """Checks about the chart the step shows (no overrides)."""
        return tuple(c for c in self.checks if not c.overrides and not c.training)


def fmt(x: Any) -> str:
    """Numbers for captions and check lines: 4 significant digits."""
    return sig(x, 4)


def _fail(where: str, msg: str) -> WalkthroughError:
    return WalkthroughError(f"{where}: {msg}")


def _short(v: Any) -> str:
    text = repr(v) if not isinstance(v, int) or abs(v) < 10**30 else "a number with too many digits"
    return text if len(text) <= 40 else text[:37] + "..."


def _number(where: str, v: Any) -> float:
    try:
        ok = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(float(v))
    except OverflowError:  # an integer beyond float64
        ok = False
    if not ok:
        raise _fail(where, f"value must be a finite number, got {_short(v)}")
    return float(v)


def _row(where: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or abs(v) > 1001:
        raise _fail(where, f"rows must be integers (negative counts from the output), got {_short(v)}")
    return int(v)


def _object(where: str, spec: Any, what: str, keys: set[str], key: str = "key") -> dict[str, Any]:
    """`spec` if it is a JSON object with no key outside `keys`; else the error naming `what` or the key."""
    if not isinstance(spec, dict):
        raise _fail(where, f"{what} must be an object")
    unknown = sorted(set(spec) - keys)
    if unknown:
        raise _fail(where, f"unknown {key} {unknown[0]!r}")
    return spec


def parse_train(where: str, spec: Any) -> TrainSpec:
    """Validate a step's "train" object."""
    spec = _object(where, spec, "train", TRAIN_KEYS, "training key")
    steps = spec.get("steps", 1000)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_TRAIN_STEPS:
        raise _fail(where, f"train steps must be an integer from 1 to {MAX_TRAIN_STEPS}, got {_short(steps)}")
    try:
        config = TrainConfig(**{k: v for k, v in spec.items() if k != "steps"})
    except SettingsError as exc:
        raise _fail(where, str(exc)) from None
    return TrainSpec(config, steps)


def parse_check(where: str, spec: Any) -> Check:
    """Validate one check spec."""
    spec = _object(where, spec, "a check", CHECK_KEYS)
    column = spec.get("column")
    if (column not in COLUMNS or column == "layer") and column not in TRAIN_COLUMNS:
        names = ", ".join((*COLUMNS[1:], *TRAIN_COLUMNS))
        raise _fail(where, f"column must be one of {names}, got {column!r}")
    kinds = [q for q in QUANTITIES if q in spec]
    if len(kinds) != 1:
        raise _fail(where, f"give exactly one of {', '.join(QUANTITIES)}")
    quantity = kinds[0]
    raw = spec[quantity]
    if quantity in ("row", "max_rel_dev", "relative"):
        target: Any = _row(where, raw)
    elif quantity == "growth":
        if raw is not True:
            raise _fail(where, "growth must be true")
        target = None
    else:
        if not isinstance(raw, list) or not raw or (quantity == "ratio" and len(raw) != 2):
            raise _fail(where, f"{quantity} must be a list of rows" + (" [a, b]" if quantity == "ratio" else ""))
        target = tuple(_row(where, r) for r in raw)
    op = spec.get("op")
    if op not in OPS:
        raise _fail(where, f"op must be one of {', '.join(OPS)}, got {op!r}")
    value = spec.get("value")
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise _fail(where, "between needs value [low, high]")
        value = (_number(where, value[0]), _number(where, value[1]))
    elif op == "close" and quantity == "rows":
        if not isinstance(value, list) or len(value) != len(target):
            raise _fail(where, "close on rows needs one value per row")
        value = tuple(_number(where, v) for v in value)
    else:
        value = _number(where, value)
    rtol = _number(where, spec.get("rtol", 1e-6))
    label = spec.get("label", "")
    if not isinstance(label, str):
        raise _fail(where, "label must be text")
    if len(label) > MAX_LABEL:
        raise _fail(where, f"label is longer than {MAX_LABEL} characters")
    overrides = spec.get("with", {})
    if not isinstance(overrides, dict):
        raise _fail(where, "with must be an object of settings")
    return Check(column, quantity, target, op, value, rtol, label, dict(overrides))


def parse_step(where: str, spec: Any) -> Step:
    """Validate one step: settings legal, view known, checks well formed."""
    spec = _object(where, spec, "a step", STEP_KEYS)
    title, caption = spec.get("title"), spec.get("caption")
    if not isinstance(title, str) or not title.strip():
        raise _fail(where, "title must be non-empty text")
    if not isinstance(caption, str) or not caption.strip():
        raise _fail(where, "caption must be non-empty text")
    if len(title) > MAX_TITLE:
        raise _fail(where, f"title is longer than {MAX_TITLE} characters")
    if len(caption) > MAX_CAPTION:
        raise _fail(where, f"caption is longer than {MAX_CAPTION} characters")
    if caption.count("\n") > MAX_CAPTION_LINES:
        raise _fail(where, f"caption has more than {MAX_CAPTION_LINES} line breaks")
    preset = spec.get("preset")
    if preset is not None and (not isinstance(preset, str) or preset not in PRESETS):
        raise _fail(where, f"preset must be a name listed by `depthlens presets`, got {_short(preset)}")
    base = PRESETS[preset].settings if preset else Settings()
    overrides = spec.get("settings", {})
    if not isinstance(overrides, dict):
        raise _fail(where, "settings must be an object")
    try:
        settings = base.replace(**overrides)
    except SettingsError as exc:
        raise _fail(where, str(exc)) from None
    view = spec.get("view", "both")
    if view not in VIEWS:
        raise _fail(where, f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    raw_checks = spec.get("checks", [])
    if not isinstance(raw_checks, list):
        raise _fail(where, "checks must be a list")
    train = parse_train(f"{where}, train", spec["train"]) if "train" in spec else None
    checks = tuple(parse_check(f"{where}, check {i + 1}", c) for i, c in enumerate(raw_checks))
    for i, c in enumerate(checks):
        if not c.training:
            continue
        if train is None:
            raise _fail(where, f"check {i + 1} on {c.column} needs the step's train object")
        if c.quantity not in ("row", "ratio"):
            raise _fail(where, f"check {i + 1} on {c.column} takes row or ratio")
        for r in c.where if isinstance(c.where, tuple) else (c.where,):
            if not -train.steps <= r < train.steps:
                raise _fail(where, f"check row {r} is outside the run's steps 0..{train.steps - 1}")
    checks = tuple(dataclasses.replace(c, train=train) if c.training else c for c in checks)
    for c in checks:
        if c.training:
            continue
        try:
            depth = settings.replace(**c.overrides).depth
        except SettingsError as exc:
            raise _fail(where, f"check with: {exc}") from None
        rows = () if c.where is None else c.where if isinstance(c.where, tuple) else (c.where,)
        for r in rows:
            if not -(depth + 1) <= r <= depth:
                raise _fail(where, f"check row {r} is outside the network's layers 0..{depth}")
    lines = (" ".join(line.split()) for line in caption.strip().split("\n"))
    return Step(" ".join(title.split()), "\n".join(lines), settings, view, checks, train)


def parse_steps(data: bytes | str) -> tuple[Step, ...]:
    """All steps of a steps file; raise `WalkthroughError` (one line) on any problem."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as exc:
        why = "a number with too many digits" if "digits" in str(exc) else " ".join(str(exc).split())
        raise WalkthroughError(f"not valid JSON: {why}") from None
    if not isinstance(obj, dict) or "steps" not in obj:
        raise WalkthroughError('a steps file must be an object {"version": 1, "steps": [...]}')
    version = obj.get("version")
    if type(version) is not int or version != VERSION:
        raise WalkthroughError(f"unsupported steps version {_short(version)} (this depthlens reads {VERSION})")
    steps = obj["steps"]
    if not isinstance(steps, list) or not steps:
        raise WalkthroughError("steps must be a non-empty list")
    if len(steps) > MAX_STEPS:
        raise WalkthroughError(f"at most {MAX_STEPS} steps, got {len(steps)}")
    out = []
    for i, spec in enumerate(steps):
        try:
            out.append(parse_step(f"step {i + 1}", spec))
        except WalkthroughError:
            raise
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:  # data that is no step
            raise WalkthroughError(f"step {i + 1}: not a usable step ({type(exc).__name__})") from None
    return tuple(out)


def load_steps(path: str | os.PathLike) -> tuple[Step, ...]:
    """Steps from a file; raise `WalkthroughError` (one line, naming the file)."""
    try:
        data = fileio.read_regular(path, MAX_BYTES)  # never blocks on a FIFO
    except fileio.FileError as exc:
        raise WalkthroughError(str(exc)) from None
    try:
        return parse_steps(data)
    except WalkthroughError as exc:
        raise WalkthroughError(f"{os.fspath(path)}: {exc}") from None


def default_steps() -> tuple[Step, ...]:
    """The lecture's steps shipped in `resources/walkthrough.json`."""
    return parse_steps(resources.files("depthlens.resources").joinpath("walkthrough.json").read_bytes())
