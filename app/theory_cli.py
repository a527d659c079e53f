"""Command-line half of the analyses: `depthlens export --hist-csv/--spread-csv/...` and `depthlens theory`.

Hooked into `depthlens.cli` with three calls (`add_export_options`, `add_theory_parser`,
`export_analyses` / `cmd_theory`); errors follow its rules (bad option: exit 2 with one
line naming the option and its allowed values; unwritable path: exit 1, no file left).
"""

from __future__ import annotations

import argparse
import contextlib

from depthlens.cli_common import (
    UsageError,
    count_type,
    float_type,
    option_name,
    parse_int,
    shorten,
    word_type,
    write_stdout,
)
from depthlens.engine import Settings, SettingsError, allowed, drive
from depthlens.engine.analyses import ANALYSES
from depthlens.engine.analysis import JacobianUndefined

ANALYSIS_OUTPUTS: tuple[str, ...] = tuple(a.dest for a in ANALYSES)
MAX_SEEDS = 256
GRID_MAX = 2001


def _grid_type(text: str) -> tuple[int, int]:
    msg = f"--phase-grid must be NWxNB with each an integer from 2 to {GRID_MAX}, got {shorten(text)}"
    try:
        nw, nb = (parse_int(t) for t in text.lower().split("x"))
    except ValueError:
        raise UsageError(msg) from None
    if not (2 <= nw <= GRID_MAX and 2 <= nb <= GRID_MAX):
        raise UsageError(msg)
    return nw, nb


def add_export_options(ex: argparse.ArgumentParser) -> None:
    """The analysis outputs of `depthlens export`."""
    g = ex.add_argument_group("analyses")
    for a in ANALYSES:
        g.add_argument(a.option, metavar="PATH", help=a.help)
    g.add_argument(
        "--seeds",
        metavar="K",
        type=count_type("--seeds", MAX_SEEDS),
        default=8,
        help=f"seeds for --spread-csv (1 to {MAX_SEEDS})",
    )
    g.add_argument(
        "--phase-grid",
        metavar="NWxNB",
        type=_grid_type,
        default=(41, 26),
        help="phase grid points along sigma_w^2 (0..4) x sigma_b^2 (0..0.5)",
    )


def wants_analyses(ns: argparse.Namespace) -> bool:
    """True if any analysis output was requested."""
    return any(getattr(ns, name, None) for name in ANALYSIS_OUTPUTS)


def check_analyses(ns: argparse.Namespace, settings: Settings) -> None:
    """Reject impossible requests before anything is written (UsageError, exit 2)."""
    for a in ANALYSES:
        if a.check is not None and getattr(ns, a.dest, None):
            try:
                a.check(settings)
            except JacobianUndefined as exc:
                raise UsageError(f"{a.option} is not available with {option_name(exc.name)} batch: {exc}") from None
            except SettingsError as exc:
                raise UsageError(f"{option_name(exc.name)} too large for {a.option}: {exc}") from None


def export_analyses(
    ns: argparse.Namespace, settings: Settings, engine=None, progress_line=None
) -> list[tuple[str, str]]:
    """Compute the requested analyses: (option, CSV text) for each, in option order.

    `progress_line(what)` (a context manager giving a progress callback or None) shows
    progress of the long ones on a terminal. The caller writes the files, all or none.
    """

    def progress(what: str):
        return progress_line(what) if progress_line is not None else contextlib.nullcontext()

    options = {"seeds": ns.seeds, "phase_grid": ns.phase_grid}
    out: list[tuple[str, str]] = []
    for a in ANALYSES:
        if getattr(ns, a.dest, None):
            with progress(a.progress_label) as p:
                out.append((a.option, a.csv(drive(a.steps(settings, engine, options), progress=p), settings)))
    return out


def add_theory_parser(sub) -> None:
    """`depthlens theory --activation A --scale S --bias-std B [--critical]`."""
    th = sub.add_parser(
        "theory",
        help="mean-field fixed point q*, chi_1 and depth scale xi (key=value lines)",
    )
    th.add_argument(
        "--activation", type=word_type("activation"), default="tanh", metavar="A", help=allowed("activation")
    )
    th.add_argument(
        "--scale", type=float_type("scale"), default=1.0, metavar="S", help=allowed("scale") + " (sigma_w = S)"
    )
    th.add_argument(
        "--bias-std",
        dest="bias_std",
        type=float_type("bias_std"),
        default=0.0,
        metavar="B",
        help=allowed("bias_std") + " (sigma_b = B)",
    )
    th.add_argument(
        "--critical",
        action="store_true",
        help="also print critical_scale (S where chi_1 crosses 1 at a finite q*; none if not in 0..10) "
        "and, where the stable fixed point vanishes before that, divergence_scale (S where q* jumps to inf)",
    )


def cmd_theory(ns: argparse.Namespace) -> int:
    """Print q_star, chi_1, xi (and critical_scale, divergence_scale) one `key=value` per line."""
    from depthlens.engine.analysis import critical_scale, divergence_scale, point
    from depthlens.engine.export import fmt

    for field in ("activation", "scale", "bias_std"):
        try:
            Settings().replace(**{field: getattr(ns, field)})
        except SettingsError:
            opt = option_name(field)
            raise UsageError(f"{opt} must be {allowed(field)}, got {shorten(getattr(ns, field))}") from None
    p = point(ns.activation, scale=ns.scale, bias_std=ns.bias_std)
    lines = [f"q_star={fmt(p.q_star)}", f"chi_1={fmt(p.chi_1)}", f"xi={fmt(p.xi)}"]
    if ns.critical:
        c = critical_scale(ns.activation, ns.bias_std)
        if c is not None:  # each line only where that point exists (sigmoid: none for S <= 10)
            lines.append(f"critical_scale={fmt(c)}")
        d = divergence_scale(ns.activation, ns.bias_std)
        if d is not None:
            lines.append(f"divergence_scale={fmt(d)}")
    write_stdout("\n".join(lines) + "\n")
    return 0
