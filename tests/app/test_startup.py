"""`depthlens` (run_gui) starts as a desktop app: Help menu, error hooks, crash log, last crash named."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from depthlens import cli
from depthlens.window import MainWindow

pytest_plugins = ("classroom_util",)


def test_the_app_starts_with_about_error_hooks_and_names_the_last_crash(
    qtbot, isolated_user_dirs, tmp_path, monkeypatch
):
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    (state / "depthlens").mkdir(parents=True)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    (state / "depthlens" / f"faulthandler-{ended.pid}.log").write_text("Fatal Python error: Segmentation fault\n")
    before = (sys.excepthook, threading.excepthook)
    seen = {}

    def inspect_and_close():
        for w in QApplication.topLevelWidgets():
            if isinstance(w, MainWindow) and hasattr(w, "error_reporter"):
                seen["window"] = w
                seen["menus"] = [a.text() for a in w.menuBar().actions()]
                seen["hooked"] = sys.excepthook == w.error_reporter._excepthook
                seen["status"] = w.statusBar().currentMessage()
                seen["log"] = w.crash_log
                w.close()

    QTimer.singleShot(0, inspect_and_close)
    assert cli.main(["--depth", "5", "--width", "4"]) == 0
    qtbot.addWidget(seen.pop("window"))
    crash = seen["log"]
    try:
        assert seen["menus"][-1] == "&Help" and seen["hooked"]
        (report,) = (state / "depthlens").glob("crash-*.log")
        assert report.read_text() == "Fatal Python error: Segmentation fault\n"
        assert seen["status"] == f"depthlens stopped unexpectedly last time; its crash report is {report}"
        assert crash.path == state / "depthlens" / f"faulthandler-{os.getpid()}.log"
        assert crash.path.exists()
        assert (sys.excepthook, threading.excepthook) == before  # uninstalled when the event loop ended
    finally:
        crash.close()
    assert not crash.path.exists()  # nothing written: an empty log is removed
