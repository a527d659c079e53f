"""System information for bug reports: `depthlens --info` and Help > About.

One `name: value` line per item. Works without a QApplication (the platform plugin is
then the one Qt would pick here) and never raises: a part that cannot be read says why.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable

MIB = 2**20


def _safe(read: Callable[[], str]) -> str:
    try:
        return read()
    except Exception as exc:  # a bug report must still come out
        return f"unavailable ({type(exc).__name__}: {exc})"


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _qt_version() -> str:
    from PySide6.QtCore import qVersion

    return qVersion()


def _pyside_version() -> str:
    import PySide6

    return PySide6.__version__


def _numpy_version() -> str:
    import numpy

    return numpy.__version__


def blas() -> str:
    """The BLAS numpy was built against: name, version and OpenBLAS's configuration."""
    import numpy

    config = numpy.show_config(mode="dicts")
    lib = config.get("Build Dependencies", {}).get("blas", {})
    text = f"{lib.get('name', 'unknown')} {lib.get('version', '')}".strip()
    detail = lib.get("openblas configuration")
    return f"{text} ({' '.join(detail.split())})" if detail else text


def platform_plugin() -> str:
    """The Qt platform plugin in use, or the one Qt would choose from the environment."""
    gui = sys.modules.get("PySide6.QtGui")
    if gui is not None and gui.QGuiApplication.instance() is not None:
        return gui.QGuiApplication.platformName()
    if os.environ.get("QT_QPA_PLATFORM"):
        return f"{os.environ['QT_QPA_PLATFORM']} (from QT_QPA_PLATFORM)"
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "cocoa"
    if os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland":
        return f"wayland (WAYLAND_DISPLAY={os.environ['WAYLAND_DISPLAY']})"
    if os.environ.get("DISPLAY"):
        return f"xcb (DISPLAY={os.environ['DISPLAY']})"
    return "none: no display (the window cannot open; exports render offscreen)"


def cache_budget(engine=None) -> str:
    """The engine's weight-cache budget (and, for a running engine, what it holds)."""
    if engine is None:
        from depthlens.engine.weights import AUTO_CAP, auto_budget

        return f"{auto_budget() / MIB:.0f} MiB (automatic: half the memory available, at most {AUTO_CAP // MIB} MiB)"
    cache = engine.cache
    return f"{cache.budget_bytes / MIB:.0f} MiB ({cache.nbytes / MIB:.1f} MiB in use)"


def info_lines(engine=None) -> list[str]:
    """The bug-report lines: depthlens, Python, platform, Qt, PySide6, pyqtgraph, NumPy, BLAS, ..."""
    from .identity import version

    rows = [
        ("depthlens", _safe(version)),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()}, {sys.executable})"),
        ("Platform", _safe(platform.platform)),
        ("Qt", _safe(_qt_version)),
        ("PySide6", _safe(_pyside_version)),
        ("pyqtgraph", _safe(lambda: _dist_version("pyqtgraph"))),
        ("NumPy", _safe(_numpy_version)),
        ("BLAS", _safe(blas)),
        ("Qt platform plugin", _safe(platform_plugin)),
        ("Weight cache budget", _safe(lambda: cache_budget(engine))),
    ]
    return [f"{name}: {value}" for name, value in rows]


def info_text(engine=None) -> str:
    """`info_lines` joined, one per line, with a final newline."""
    return "\n".join(info_lines(engine)) + "\n"


class _InfoAction(argparse.Action):
    """`--info`: print the bug-report lines and exit 0 (like argparse's `--version`)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        sys.stdout.write(info_text())
        sys.stdout.flush()
        parser.exit(0)


def add_cli_options(parser: argparse.ArgumentParser) -> None:
    """Add `--version` and `--info` to the top-level parser."""
    from .identity import version

    parser.add_argument("--version", action="version", version=f"depthlens {version()}")
    parser.add_argument(
        "--info", action=_InfoAction, help="print depthlens, Python, Qt, NumPy and BLAS versions for a bug report"
    )
