"""Command line: `depthlens [settings]` opens the window; `depthlens export|presets|theory`.

Every bad option exits 2 with one line naming the option and its allowed values, before
any window opens. Qt is imported only for the GUI and for PNG/SVG export.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from app import desktop_entry
from app.sysinfo import add_cli_options
from app.theory_cli import (
    add_export_options,
    add_theory_parser,
    check_analyses,
    cmd_theory,
    export_analyses,
    wants_analyses,
)
from engine import FIELDS, PRESETS, RANGES, Settings, SettingsError, allowed

PROG = "depthlens"


class UsageError(Exception):
    """A bad command line: exit 2 with this message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse API name
        if message.startswith("unrecognized arguments:"):
            bad = message.split(":", 1)[1].split()[0]
            known = sorted(o for a in self._actions for o in a.option_strings if o.startswith("--"))
            message = f"unknown option {bad}; allowed options: {', '.join(known)}"
        raise UsageError(message)


def option_name(field: str) -> str:
    """The CLI option of a setting (bias_std -> --bias-std)."""
    return "--" + field.replace("_", "-")


def _int_type(field: str):
    def conv(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"{option_name(field)} must be {allowed(field)}, got {text!r}") from None

    return conv


def _float_type(field: str):
    def conv(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise UsageError(f"{option_name(field)} must be {allowed(field)}, got {text!r}") from None

    return conv


def _word_type(field: str):
    def conv(text: str) -> str:
        if text not in RANGES[field]:
            raise UsageError(f"{option_name(field)} must be {allowed(field)}, got {text!r}")
        return text

    return conv


def add_settings_options(p: argparse.ArgumentParser) -> None:
    """The settings options shared by the window and `export`."""
    g = p.add_argument_group("network settings (a preset is applied first, options override it)")
    g.add_argument("--preset", metavar="NAME", type=_preset_type, help="start from a named preset")
    for field in FIELDS:
        rng = RANGES[field]
        if isinstance(rng[0], str):
            conv = _word_type(field)
        elif field in ("scale", "bias_std"):
            conv = _float_type(field)
        else:
            conv = _int_type(field)
        g.add_argument(option_name(field), dest=field, type=conv, metavar="X", help=allowed(field))


def _preset_type(text: str) -> str:
    if text not in PRESETS:
        raise UsageError(f"--preset must be one of {', '.join(PRESETS)}, got {text!r}")
    return text


def settings_from_args(ns: argparse.Namespace) -> Settings:
    """Apply --preset, then the explicit options; raise UsageError naming a bad option."""
    base = PRESETS[ns.preset].settings if getattr(ns, "preset", None) else Settings()
    changes: dict[str, Any] = {f: getattr(ns, f) for f in FIELDS if getattr(ns, f, None) is not None}
    try:
        return base.replace(**changes)
    except SettingsError as exc:
        raise UsageError(
            f"{option_name(exc.name)} must be {allowed(exc.name)}, got {changes.get(exc.name)!r}"
        ) from None


def _size_type(text: str) -> tuple[int, int]:
    try:
        w, h = (int(t) for t in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--size must be WIDTHxHEIGHT with each from 16 to 8192, got {text!r}") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise UsageError(f"--size must be WIDTHxHEIGHT with each from 16 to 8192, got {text!r}")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    p = _Parser(prog=PROG, description="depthlens: watch gradients vanish and explode, layer by layer.")
    add_cli_options(p)  # --version, --info
    add_settings_options(p)
    p.add_argument("--session", metavar="FILE", help="start from a saved session (JSON)")
    p.add_argument("--theme", choices=("light", "dark", "projector"), help="colour theme")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    ex = sub.add_parser("export", help="compute without a display and write CSV/NPZ/PNG/SVG")
    add_settings_options(ex)
    ex.add_argument("--csv", metavar="PATH", help="per-layer statistics as CSV ('-' = stdout)")
    ex.add_argument("--npz", metavar="PATH", help="the exact network (W, b, x, config) as NPZ")
    ex.add_argument("--png", metavar="PATH", help="the chart as PNG (rendered offscreen)")
    ex.add_argument("--svg", metavar="PATH", help="the chart as SVG (rendered offscreen)")
    ex.add_argument("--size", metavar="WxH", type=_size_type, default=(1920, 1080), help="PNG size")
    ex.add_argument("--theme", choices=("light", "dark", "projector"), default="light")
    ex.add_argument(
        "--view",
        choices=("activations", "gradients", "weight_gradients", "both"),
        default="both",
        help="quantity shown in the PNG/SVG chart",
    )

    add_export_options(ex)

    sub.add_parser("presets", help="list the presets, one line each")
    add_theory_parser(sub)
    desktop_entry.add_parsers(sub)  # install-desktop, uninstall-desktop
    return p


def _fail(code: int, message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def cmd_export(ns: argparse.Namespace) -> int:
    """`depthlens export`: compute and write the requested files."""
    from engine import Engine
    from engine.export import csv_text, write_csv, write_network_npz

    settings = settings_from_args(ns)
    if not any((ns.csv, ns.npz, ns.png, ns.svg)) and not wants_analyses(ns):
        raise UsageError(
            "export needs at least one of --csv, --npz, --png, --svg, "
            "--hist-csv, --spread-csv, --phase-csv, --jacobian-csv"
        )
    check_analyses(ns, settings)
    engine = Engine()
    result = engine.compute(settings) if any((ns.csv, ns.png, ns.svg)) else None
    try:
        if ns.csv == "-":
            sys.stdout.write(csv_text(result))
            sys.stdout.flush()
        elif ns.csv:
            write_csv(result, ns.csv)
        if ns.npz:
            write_network_npz(engine, settings, ns.npz)  # streamed: max size never sits in memory
        if ns.png or ns.svg:
            from app.headless import export_images

            export_images(result, png=ns.png, svg=ns.svg, size=ns.size, theme=ns.theme, view=ns.view)
        export_analyses(ns, settings, engine)
    except OSError as exc:
        return _fail(1, f"cannot write {exc.filename or ''}: {exc.strerror or exc}")
    return 0


def cmd_presets() -> int:
    """`depthlens presets`: one line per preset."""
    width = max(len(n) for n in PRESETS)
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {preset.description}")
    return 0


def has_display() -> bool:
    """True when Qt can open a window here (X11/Wayland, or an explicit platform)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `depthlens` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        ns = parser.parse_args(argv)
        if ns.command == "export":
            return cmd_export(ns)
        if ns.command == "presets":
            return cmd_presets()
        if ns.command == "theory":
            return cmd_theory(ns)
        if ns.command in desktop_entry.COMMANDS:
            return desktop_entry.run(ns)
        settings = settings_from_args(ns)
    except UsageError as exc:
        return _fail(2, str(exc))
    if not has_display():
        print(
            f"{PROG}: no display found (DISPLAY is not set); "
            "use `depthlens export --csv FILE` (or --png) to compute without one.",
            file=sys.stderr,
        )
        return 1
    from app.main import run_gui

    return run_gui(settings, session=ns.session, theme=ns.theme, explicit=_explicit(ns))


def _explicit(ns: argparse.Namespace) -> bool:
    return bool(ns.preset) or any(getattr(ns, f, None) is not None for f in FIELDS)


if __name__ == "__main__":
    sys.exit(main())
