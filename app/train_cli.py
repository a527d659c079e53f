"""`depthlens train`: train a network headless and write its CSVs, NPZ and loss-curve PNG.

Hooked into `depthlens.cli` with two calls (`add_train_parser`, `cmd_train`); errors
follow its rules: a bad option exits 2 with one line naming it and its allowed values,
an unwritable path exits 1 naming it, and no partial file is ever left.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable
from typing import Any

from depthlens.cli_common import (
    UsageError,
    check_outputs,
    count_type,
    float_type,
    option_name,
    shorten,
    word_type,
)
from depthlens.engine import Settings, SettingsError
from depthlens.engine.train_config import TRAIN_RANGES, TrainConfig, train_allowed

MAX_STEPS = 1_000_000
TRAIN_OUTPUTS: tuple[tuple[str, str], ...] = (  # (dest, option)
    ("csv", "--csv"),
    ("layers_csv", "--layers-csv"),
    ("npz", "--npz"),
    ("png", "--png"),
)


def add_train_parser(sub: Any, add_settings_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """The `train` sub-command: network settings, training settings, outputs."""
    p = sub.add_parser("train", help="train the network on a task without a display and write CSV/NPZ/PNG")
    add_settings_options(p)
    g = p.add_argument_group("training (see the README's training contract)")
    for field, metavar in (("task", "T"), ("optimizer", "O")):
        conv = word_type(field, TRAIN_RANGES, train_allowed)
        g.add_argument(option_name(field), type=conv, metavar=metavar, help=train_allowed(field))
    for field in ("lr", "momentum", "clip", "noise"):
        conv_x = float_type(field, train_allowed)
        g.add_argument(option_name(field), dest=field, type=conv_x, metavar="X", help=train_allowed(field))
    g.add_argument(
        "--steps", type=count_type("--steps", MAX_STEPS), default=1000, metavar="N", help=f"1 to {MAX_STEPS}"
    )
    g.add_argument(
        "--log-every", type=count_type("--log-every", MAX_STEPS), default=1, metavar="K", help="log every K-th step"
    )
    o = p.add_argument_group("outputs ('-' = standard output, for one of them)")
    o.add_argument("--csv", metavar="PATH", help="one row per logged step: step, loss, accuracy, seconds, diverged")
    o.add_argument("--layers-csv", metavar="PATH", help="one row per (logged step, layer), tidy")
    o.add_argument("--npz", metavar="PATH", help="W0, b0, W, b, x, y, r, loss, config: replay the run")
    o.add_argument("--png", metavar="PATH", help="the loss curve as PNG (rendered offscreen)")


def train_config_from_args(ns: argparse.Namespace) -> TrainConfig:
    """The training settings given (defaults for the rest); UsageError naming a bad one."""
    changes = {k: getattr(ns, k) for k in TRAIN_RANGES if getattr(ns, k, None) is not None}
    try:
        return TrainConfig(**changes)
    except SettingsError as exc:
        raise UsageError(
            f"{option_name(exc.name)} must be {train_allowed(exc.name)}, got {shorten(changes.get(exc.name))}"
        ) from None


def _outputs(ns: argparse.Namespace) -> list[tuple[str, str]]:
    outs = [(opt, getattr(ns, dest)) for dest, opt in TRAIN_OUTPUTS if getattr(ns, dest, None) is not None]
    if not outs:
        raise UsageError("train needs at least one of --csv, --layers-csv, --npz, --png")
    check_outputs(outs, {"--npz", "--png"})
    return outs


def cmd_train(ns: argparse.Namespace, settings: Settings, progress_line: Callable[[str], Any]) -> int:
    """Train `settings` for --steps steps, then write every requested file (all or none); the exit status."""
    from depthlens.engine import fileio
    from depthlens.engine.train_export import layers_csv, npz_bytes, run_config, steps_csv
    from depthlens.engine.training import TooLarge, Trainer

    config = train_config_from_args(ns)
    outputs = _outputs(ns)
    try:
        trainer = Trainer(settings, config, every=ns.log_every)
    except TooLarge as exc:
        raise UsageError(str(exc)) from None
    try:
        with fileio.Outputs([path for _, path in outputs]) as targets:
            with progress_line("training") as progress:
                for chunk in trainer.run(ns.steps, chunk=max(1, min(100, ns.steps // 100 or 1))):
                    if progress is not None:
                        progress(chunk.step / ns.steps)
            trainer.finish()
            meta = run_config(trainer, steps=ns.steps, log_every=ns.log_every)
            data: dict[str, bytes] = {}
            if ns.csv:
                data["--csv"] = steps_csv(trainer, meta).encode("utf-8")
            if ns.layers_csv:
                data["--layers-csv"] = layers_csv(trainer, meta).encode("utf-8")
            if ns.npz:
                data["--npz"] = npz_bytes(trainer, meta)
            if ns.png:
                from depthlens.train_plots import loss_png

                data["--png"] = loss_png(trainer)
            targets.write([_writer(data[opt]) for opt, _ in outputs])
    except OSError as exc:
        from depthlens.engine.fileio import FileError, reason_of, shown

        msg = str(exc) if isinstance(exc, FileError) else f"{shown(exc.filename or 'the output')}: {reason_of(exc)}"
        with contextlib.suppress(Exception):
            import sys

            print(f"depthlens: error: cannot write {msg}", file=sys.stderr)
        return 1
    if trainer.diverged:
        with contextlib.suppress(Exception):
            import sys

            print(f"depthlens: training {trainer.diverged} (the files say so)", file=sys.stderr)
    return 0


def _writer(data: bytes) -> Callable[[Any], object]:
    return lambda fh: fh.write(data)
