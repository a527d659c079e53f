"""Command line: `depthlens [settings]` opens the window; `depthlens export|presets|theory`.

Every bad option exits 2 with one line naming the option and its allowed values, before
any window opens. Qt is imported only for the GUI and for PNG/SVG export.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from depthlens import desktop_entry
from depthlens.cli_common import (
    StdoutError,
    UsageError,
    check_outputs,
    float_type,
    int_type,
    option_name,
    parse_int,
    shorten,
    word_type,
    write_stdout,
)
from depthlens.engine import FIELDS, PRESETS, RANGES, Settings, SettingsError, allowed
from depthlens.engine.views import VIEWS
from depthlens.engine.weights import CACHE_MB_RANGE
from depthlens.session import THEMES
from depthlens.sysinfo import add_cli_options
from depthlens.theory_cli import (
    ANALYSIS_OUTPUTS,
    add_export_options,
    add_theory_parser,
    check_analyses,
    cmd_theory,
    export_analyses,
)
from depthlens.train_cli import add_train_parser, cmd_train

PROG = "depthlens"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse API name
        if message.startswith("unrecognized arguments:"):
            bad = message.split(":", 1)[1].split()[0]
            known = sorted(o for a in self._actions for o in a.option_strings if o.startswith("--"))
            where = "" if self.prog == PROG else f" for `{self.prog}`"
            name = bad if len(bad) <= 40 else shorten(bad)
            message = f"unknown option {name}{where}; allowed options: {', '.join(known)}"
        elif message.endswith(": expected one argument"):
            opt = message.removeprefix("argument ").removesuffix(": expected one argument").split("/")[-1]
            message = f"{opt} needs a value (write {opt}=VALUE for a value that starts with '-')"
        # argparse echoes a bad choice in full: cut anything quoted that is long
        message = re.sub(r"'([^']{37})[^']{4,}'", r"'\1...'", message)
        raise UsageError(message)

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        # Unknown options are reported by the sub-command that was named, so the list of
        # allowed options is that sub-command's, not the top level's.
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            command = getattr(ns, "command", None)
            parser = self._subparsers_by_name().get(command, self) if command else self
            parser.error("unrecognized arguments: " + " ".join(extras))
        return ns

    def _subparsers_by_name(self) -> dict[str, argparse.ArgumentParser]:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}


def add_settings_options(p: argparse.ArgumentParser) -> None:
    """The settings options shared by the window and `export`."""
    g = p.add_argument_group("network settings (a preset is applied first, options override it)")
    g.add_argument("--preset", metavar="NAME", type=_preset_type, help="start from a named preset")
    for field in FIELDS:
        rng = RANGES[field]
        conv: Callable[[str], object]
        if isinstance(rng[0], str):
            conv = word_type(field)
        elif field in ("scale", "bias_std", "residual"):
            conv = float_type(field)
        else:
            conv = int_type(field)
        g.add_argument(option_name(field), dest=field, type=conv, metavar="X", help=allowed(field))


def _preset_type(text: str, option: str = "--preset") -> str:
    if text not in PRESETS:
        raise UsageError(f"{option} must be one of {', '.join(PRESETS)}, got {shorten(text)}")
    return text


def _pin_type(text: str) -> str:
    return _preset_type(text, "--pin")


def settings_from_args(ns: argparse.Namespace) -> Settings:
    """Apply --preset, then the explicit options; raise UsageError naming a bad option."""
    base = PRESETS[ns.preset].settings if getattr(ns, "preset", None) else Settings()
    changes: dict[str, Any] = {f: getattr(ns, f) for f in FIELDS if getattr(ns, f, None) is not None}
    try:
        return base.replace(**changes)
    except SettingsError as exc:
        raise UsageError(
            f"{option_name(exc.name)} must be {allowed(exc.name)}, got {shorten(changes.get(exc.name))}"
        ) from None


def _size_type(text: str) -> tuple[int, int]:
    msg = f"--size must be WIDTHxHEIGHT with each from 16 to 8192, got {shorten(text)}"
    try:
        w, h = (parse_int(t) for t in text.lower().split("x"))
    except ValueError:
        raise UsageError(msg) from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise UsageError(msg)
    return w, h


def _cache_mb_type(text: str) -> int:
    lo, hi = CACHE_MB_RANGE
    msg = f"--cache-mb must be an integer from {lo} to {hi} (MiB of weights kept), got {shorten(text)}"
    try:
        mb = parse_int(text)
    except ValueError:
        raise UsageError(msg) from None
    if not lo <= mb <= hi:
        raise UsageError(msg)
    return mb


def _add_cache_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cache-mb",
        metavar="N",
        type=_cache_mb_type,
        help="weight cache size in MiB for this run (default: half the memory available, at most 8192)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    p = _Parser(prog=PROG, description="depthlens: watch gradients vanish and explode, layer by layer.")
    add_cli_options(p)  # --version, --info
    add_settings_options(p)
    p.add_argument("--session", metavar="FILE", help="start from a saved session (JSON)")
    p.add_argument("--theme", choices=THEMES, help="colour theme")
    _add_cache_option(p)
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    ex = sub.add_parser("export", help="compute without a display and write CSV/NPZ/PNG/SVG")
    add_settings_options(ex)
    _add_cache_option(ex)
    ex.add_argument("--csv", metavar="PATH", help="per-layer statistics as CSV ('-' = stdout)")
    ex.add_argument("--npz", metavar="PATH", help="the exact network (W, b, x, config) as NPZ")
    ex.add_argument("--png", metavar="PATH", help="the chart as PNG (rendered offscreen)")
    ex.add_argument("--svg", metavar="PATH", help="the chart as SVG (rendered offscreen)")
    ex.add_argument("--size", metavar="WxH", type=_size_type, default=(1920, 1080), help="PNG size")
    ex.add_argument("--theme", choices=THEMES, default="light")
    ex.add_argument(
        "--view",
        choices=VIEWS,
        default="both",
        help="quantity shown in the PNG/SVG chart",
    )
    ex.add_argument(
        "--caption",
        action="store_true",
        help="put the readout's sentences under the PNG/SVG chart (a figure with caption, for slides)",
    )
    ex.add_argument("--linear", action="store_true", help="PNG/SVG: RMS on a linear y axis instead of log10")
    ex.add_argument(
        "--pin",
        metavar="PRESET",
        type=_pin_type,
        help="PNG/SVG: draw that preset's bars as a faded ghost under these (a before/after picture)",
    )

    add_export_options(ex)

    sub.add_parser("presets", help="list the presets, one line each")
    add_theory_parser(sub)
    add_train_parser(sub, add_settings_options)
    desktop_entry.add_parsers(sub)  # install-desktop, uninstall-desktop
    return p


def _fail(code: int, message: str) -> int:
    with contextlib.suppress(Exception):
        print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


FILE_OUTPUTS: tuple[tuple[str, str, bool], ...] = (  # (option dest, what, binary)
    ("csv", "CSV", False),
    ("npz", "NPZ", True),
    ("png", "PNG", True),
    ("svg", "SVG", False),
)


def _outputs(ns: argparse.Namespace) -> list[tuple[str, str]]:
    """(option, path) of every file the export writes, checked for '-' clashes."""
    outs = [(f"--{name}", getattr(ns, name)) for name, _, _ in FILE_OUTPUTS if getattr(ns, name, None) is not None]
    outs += [
        ("--" + name.replace("_", "-"), getattr(ns, name))
        for name in ANALYSIS_OUTPUTS
        if getattr(ns, name, None) is not None
    ]
    check_outputs(outs, {f"--{name}" for name, _, is_binary in FILE_OUTPUTS if is_binary})
    return outs


def cmd_export(ns: argparse.Namespace) -> int:
    """`depthlens export`: compute, then write every requested file (all of them or none)."""
    from depthlens.engine import Engine, drive, fileio
    from depthlens.engine.export import csv_text, network_npz_writer
    from depthlens.engine.memory import OutOfMemory
    from depthlens.engine.weights import budget_of

    settings = settings_from_args(ns)
    outputs = _outputs(ns)
    if not outputs:
        raise UsageError(
            "export needs at least one of --csv, --npz, --png, --svg, "
            "--hist-csv, --spread-csv, --phase-csv, --jacobian-csv"
        )
    check_analyses(ns, settings)
    try:
        # Open every target first (a FIFO with no reader fails now, not after the compute).
        with fileio.Outputs([path for _, path in outputs]) as targets:
            engine = Engine(budget_of(ns.cache_mb))
            writers: dict[str, fileio.Writer] = {}
            if any((ns.csv, ns.png, ns.svg)):
                with progress_line("computing the network") as progress:
                    result = drive(engine.compute_steps(settings), progress=progress)
                if ns.csv:
                    writers["--csv"] = _bytes_writer(csv_text(result).encode("utf-8"))
                if ns.png or ns.svg:
                    from depthlens.headless import render_png, render_svg

                    pinned = engine.compute(PRESETS[ns.pin].settings) if ns.pin else None
                    look = {"state": {"linear": ns.linear, "pinned": pinned}, "caption": ns.caption}
                    if ns.png:
                        writers["--png"] = _bytes_writer(render_png(result, ns.size, ns.theme, ns.view, **look))
                    if ns.svg:
                        writers["--svg"] = _bytes_writer(render_svg(result, ns.size, ns.theme, ns.view, **look))
            if ns.npz:  # streamed layer by layer while it is written: never whole in memory
                writers["--npz"] = _npz_writer(network_npz_writer, engine, settings, progress_line("writing the NPZ"))
            for option, text in export_analyses(ns, settings, engine, progress_line):
                writers[option] = _bytes_writer(text.encode("utf-8"))
            targets.write([writers[option] for option, _ in outputs])
    except OSError as exc:
        if any(path == "-" for _, path in outputs):
            _silence_stdout()
        return _fail(1, f"cannot write {_error_path(exc)}")
    except OutOfMemory as exc:  # refused before the compute allocated anything; no file written
        return _fail(1, f"too large for this machine: {exc}")
    return 0


def _bytes_writer(data: bytes) -> Callable[[Any], object]:
    return lambda fh: fh.write(data)


def _npz_writer(make, engine, settings, progress_cm) -> Callable[[Any], object]:
    from depthlens.engine import drive

    def write(fh) -> None:
        with progress_cm as progress:
            drive(make(engine, settings)(fh), progress=progress)

    return write


def _error_path(exc: OSError) -> str:
    from depthlens.engine.fileio import FileError, reason_of, shown

    if isinstance(exc, FileError):
        return str(exc)
    name = shown(exc.filename) if exc.filename else "the output"
    return f"{name}: {reason_of(exc)}"


class progress_line(contextlib.AbstractContextManager):
    """A progress callback that prints '... NN%' to stderr once a job runs over ~1 s.

    Only when stderr is a terminal; the line is cleared at the end. Used as
    `with progress_line("what") as progress: drive(job_steps(), progress=progress)`.
    """

    DELAY = 1.0

    def __init__(self, what: str) -> None:
        self.what = what
        self.start = 0.0
        self.shown = False
        self.tty = bool(sys.stderr is not None and sys.stderr.isatty())

    def __enter__(self):
        import time

        self.start = time.monotonic()
        self.shown = False
        return self if self.tty else None

    def __call__(self, fraction: float) -> None:
        """Show `fraction` (0..1) done, with an estimate of the time left."""
        import time

        elapsed = time.monotonic() - self.start
        if elapsed < self.DELAY:
            return
        pct = max(0.0, min(1.0, float(fraction))) * 100
        eta = elapsed * (100 - pct) / pct if pct > 0 else float("nan")
        left = f", about {eta:.0f} s left" if eta == eta else ""
        with contextlib.suppress(Exception):
            sys.stderr.write(f"\r{PROG}: {self.what}: {pct:3.0f}%{left}   ")
            sys.stderr.flush()
            self.shown = True

    def __exit__(self, *exc) -> None:
        if self.shown:
            with contextlib.suppress(Exception):
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
        return None


def cmd_presets() -> int:
    """`depthlens presets`: one line per preset."""
    width = max(len(n) for n in PRESETS)
    write_stdout("".join(f"{name:<{width}}  {preset.description}\n" for name, preset in PRESETS.items()))
    return 0


def _silence_stdout() -> None:
    """After a failed write, point fd 1 at the null device so the exit flush is quiet."""
    with contextlib.suppress(Exception):
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)


class Terminated(BaseException):
    """SIGTERM (or SIGHUP) in a command-line job: unwinds like KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _cli_signals():
    """SIGTERM/SIGHUP raise `Terminated` so every `finally` (temp-file removal) runs."""
    import signal

    def raise_terminated(signum, _frame):
        raise Terminated(signum)

    old = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                old[sig] = signal.signal(sig, raise_terminated)
    try:
        yield
    finally:
        for sig, handler in old.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, handler)


@contextlib.contextmanager
def _deferred_signals():
    """Record SIGINT/SIGTERM/SIGHUP instead of acting on them (yields the recorded one).

    While Qt loads and the window is built, a KeyboardInterrupt would leave the engine
    thread running and Qt aborts; the signal is handed to the window's bridge instead.
    """
    import signal

    seen: list[int] = []
    old = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):
                old[sig] = signal.signal(sig, lambda signum, _frame: seen.append(signum))
    try:
        yield lambda: seen[0] if seen else None
    finally:
        for sig, handler in old.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)


def _run_command(ns: argparse.Namespace) -> int:
    if ns.command == "export":
        return cmd_export(ns)
    if ns.command == "presets":
        return cmd_presets()
    if ns.command == "train":
        return cmd_train(ns, settings_from_args(ns), progress_line)
    if ns.command in desktop_entry.COMMANDS:
        return desktop_entry.run(ns)
    return cmd_theory(ns)


def has_display() -> bool:
    """True when Qt can open a window here (X11/Wayland, or an explicit platform)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `depthlens` command."""
    from depthlens.engine.fileio import remove_live_temps

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        with _cli_signals():
            try:
                ns = parser.parse_args(argv)
            except SystemExit as exc:  # --help printed its text
                write_stdout("")
                return int(exc.code or 0)
            if ns.command is not None:
                return _run_command(ns)
            settings = settings_from_args(ns)
    except UsageError as exc:
        return _fail(2, str(exc))
    except StdoutError as exc:
        _silence_stdout()
        return _fail(1, f"cannot write to standard output: {exc}")
    except KeyboardInterrupt:
        remove_live_temps()
        _fail(130, "interrupted; no partial file left")
        return 130
    except Terminated as exc:
        remove_live_temps()
        _fail(128 + exc.signum, "terminated; no partial file left")
        return 128 + exc.signum
    if not has_display():
        print(
            f"{PROG}: no display found (DISPLAY is not set); "
            "use `depthlens export --csv FILE` (or --png) to compute without one.",
            file=sys.stderr,
        )
        return 1
    with _deferred_signals() as early:  # Qt and the window load: a signal waits for the loop
        from depthlens.main import run_gui

        explicit = _explicit(ns)
        return run_gui(
            settings, session=ns.session, theme=ns.theme, explicit=explicit, early_signal=early, cache_mb=ns.cache_mb
        )


def _explicit(ns: argparse.Namespace) -> bool:
    return bool(ns.preset) or any(getattr(ns, f, None) is not None for f in FIELDS)


if __name__ == "__main__":
    sys.exit(main())
