"""`depthlens --version`, `depthlens --info` and Help > About (the same lines, copied)."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import tomllib

import numpy as np
import pyqtgraph
import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QApplication

from depthlens import about, sysinfo
from depthlens.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYPROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
INFO_KEYS = [
    "depthlens",
    "Python",
    "Platform",
    "Qt",
    "PySide6",
    "pyqtgraph",
    "NumPy",
    "BLAS",
    "Qt platform plugin",
    "Weight cache budget",
]


def _exe() -> str:
    return str(pathlib.Path(sys.executable).with_name("depthlens"))


def _info(text: str) -> dict[str, str]:
    pairs = [line.split(": ", 1) for line in text.splitlines()]
    assert all(len(p) == 2 for p in pairs), text
    return dict(pairs)


def test_version_is_the_package_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"depthlens {PYPROJECT_VERSION}\n"


def test_version_from_the_installed_command_wins_over_other_options():
    out = subprocess.run([_exe(), "--depth", "5", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"depthlens {PYPROJECT_VERSION}\n"


def test_info_has_one_line_per_item_with_the_versions_in_use(capsys):
    assert main(["--info"]) == 0
    out = capsys.readouterr().out
    info = _info(out)
    assert list(info) == INFO_KEYS
    assert info["depthlens"] == PYPROJECT_VERSION
    assert info["Python"].startswith(".".join(map(str, sys.version_info[:3])) + " ")
    assert info["Qt"] == qVersion()
    assert info["PySide6"] == PySide6.__version__
    assert info["pyqtgraph"] == pyqtgraph.__version__
    assert info["NumPy"] == np.__version__
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    assert info["BLAS"].startswith(f"{blas['name']} {blas['version']}")
    auto = r"\d+ MiB \(automatic: half the memory available, at most 8192 MiB\)"
    assert re.fullmatch(auto, info["Weight cache budget"])
    assert "unavailable" not in out


def test_info_names_the_platform_plugin_qt_would_use():
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    cases = [
        ({}, "none: no display"),
        ({"DISPLAY": ":42"}, "xcb (DISPLAY=:42)"),
        ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":42"}, "offscreen (from QT_QPA_PLATFORM)"),
    ]
    for extra, expected in cases:
        out = subprocess.run([_exe(), "--info"], capture_output=True, text=True, env={**env, **extra}, timeout=60)
        assert out.returncode == 0, out.stderr
        assert _info(out.stdout)["Qt platform plugin"].startswith(expected), (extra, out.stdout)


def test_a_part_that_cannot_be_read_says_why_instead_of_failing(monkeypatch):
    def broken():
        raise RuntimeError("no BLAS here")

    monkeypatch.setattr(sysinfo, "blas", broken)
    info = _info(sysinfo.info_text())
    assert info["BLAS"] == "unavailable (RuntimeError: no BLAS here)"
    assert info["NumPy"] == np.__version__


def test_help_about_shows_the_info_lines_and_copies_them(make_window, qtbot):
    window = make_window()
    act = about.attach(window)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[-1] == "&Help"
    assert act in window.help_menu.actions()
    act.trigger()
    dialog = window.about_dialog
    qtbot.waitExposed(dialog)
    info = _info(dialog.text.toPlainText())
    assert list(info) == INFO_KEYS
    assert info["Qt platform plugin"] == QApplication.platformName() == "offscreen"
    cache = window.worker.engine.cache
    assert info["Weight cache budget"] == f"{cache.budget_bytes // 2**20} MiB ({cache.nbytes / 2**20:.1f} MiB in use)"
    QApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == dialog.text.toPlainText()
    assert "Copied" in dialog.note.text()
    dialog.close()
    act.trigger()  # opened again: the same dialog, read again
    assert window.about_dialog is dialog and dialog.isVisible()
    dialog.close()
