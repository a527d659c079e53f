"""Uncaught errors reach the user (a dialog, the app runs on) and fail tests; native crashes leave a log."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import threading

import pytest
from conftest import wait_shown
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from depthlens import errors, startup
from depthlens.crashlog import CrashLog, collect

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def reporter(make_window):
    """A window and a reporter that shows dialogs (as in the app, not as under pytest)."""
    window = make_window()
    rep = errors.install(window, dialog=True)
    yield window, rep
    rep.uninstall()
    if rep.dialog is not None:
        rep.dialog.close()


def boom():
    raise ValueError("boom <b>")


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_opens_a_dialog_and_the_app_runs_on(reporter, qtbot, capfd):
    window, rep = reporter
    QTimer.singleShot(0, boom)
    qtbot.waitUntil(lambda: rep.dialog is not None and rep.dialog.isVisible())
    dialog = rep.dialog
    assert dialog.message.text() == "<b>ValueError: boom &lt;b&gt;</b>"  # shown as text, not markup
    assert "keeps running" in dialog.hint.text()
    details = dialog.details.toPlainText()
    assert details.startswith("Traceback (most recent call last):") and 'raise ValueError("boom <b>")' in details
    assert "raise ValueError" in capfd.readouterr().err  # the traceback is still printed

    QApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == details

    s = window.settings().replace(depth=9)  # the event loop and the engine thread still work
    window.set_settings(s)
    assert wait_shown(qtbot, window, s).depth == 9

    QTimer.singleShot(0, boom)  # a second error joins the same dialog
    qtbot.waitUntil(lambda: dialog.count == 2)
    assert "2 errors so far" in dialog.message.text()
    assert dialog.details.toPlainText().count("Traceback") == 2
    dialog.close()
    assert dialog.count == 0 and dialog.details.toPlainText() == ""


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_python_thread_is_shown_on_the_gui_thread(reporter, qtbot):
    _, rep = reporter
    printed = []  # the previous hook (pytest's, which would warn) still gets the error
    rep._previous = (rep._previous[0], printed.append)
    shown_on = []
    real_show = rep._show
    rep._show = lambda report: (shown_on.append(threading.current_thread()), real_show(report))
    rep._reported.disconnect()
    rep._reported.connect(rep._show, Qt.ConnectionType.QueuedConnection)
    worker = threading.Thread(target=boom, name="loader")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: rep.dialog is not None and rep.dialog.isVisible())
    assert shown_on == [threading.main_thread()]
    assert rep.dialog.details.toPlainText().startswith("In thread 'loader':\nTraceback")
    assert [a.thread for a in printed] == [worker]


def test_keyboard_interrupt_goes_to_the_previous_hook_without_a_dialog(reporter, monkeypatch):
    _, rep = reporter
    seen = []
    rep._previous = (lambda *a: seen.append(a[0]), rep._previous[1])
    sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert seen == [KeyboardInterrupt] and rep.reports == [] and rep.dialog is None


def test_uninstall_restores_the_previous_hooks(make_window):
    before = (sys.excepthook, threading.excepthook)
    rep = errors.install(make_window(), dialog=True)
    assert (sys.excepthook, threading.excepthook) != before
    rep.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


INNER_TESTS = """
import threading
import pytest
from PySide6.QtCore import QTimer
from depthlens import errors


def boom():
    raise ValueError("inner boom")


@pytest.mark.qt_no_exception_capture
def test_slot(qtbot):
    rep = errors.install()
    assert not rep.show_dialogs
    QTimer.singleShot(0, boom)
    qtbot.wait(50)
    assert rep.dialog is None
    rep.uninstall()


def test_thread():
    rep = errors.install()
    t = threading.Thread(target=boom)
    t.start()
    t.join()
    rep.uninstall()


def test_clean():
    errors.install().uninstall()
"""


def test_under_pytest_the_hooks_fail_the_test_instead_of_opening_a_dialog(tmp_path):
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "3 passed, 2 errors" in text, text  # test_slot and test_thread fail at teardown
    assert "ERROR test_inner.py::test_slot" in text and "ERROR test_inner.py::test_thread" in text
    assert text.count("ERROR at teardown of") == 2, text
    assert "AssertionError: uncaught exception(s) reached the error hooks" in text
    assert "ValueError: inner boom" in text


# -- the crash log ------------------------------------------------------------------------
CRASH = """
import faulthandler, pathlib, sys
from depthlens import crashlog
log = crashlog.start(pathlib.Path(sys.argv[1]))
print(log.path, flush=True)
if sys.argv[2] == "crash":
    faulthandler._sigsegv()
"""

NEXT_START = """
import pathlib, sys
from depthlens import crashlog
log = crashlog.start(pathlib.Path(sys.argv[1]))
print(log.notice())
"""


def run_py(code, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env)


def test_a_native_crash_leaves_a_report_and_the_next_start_names_it(tmp_path):
    crashed = run_py(CRASH, tmp_path, "crash")
    assert crashed.returncode != 0
    log = pathlib.Path(crashed.stdout.strip())
    assert log.parent == tmp_path and log.name == f"faulthandler-{log.stem.split('-')[1]}.log"
    assert "Fatal Python error: Segmentation fault" in log.read_text()
    assert 'File "<string>", line 7 in <module>' in log.read_text()  # the Python stack at the crash

    nxt = run_py(NEXT_START, tmp_path)
    assert nxt.returncode == 0, nxt.stderr
    reports = sorted(tmp_path.glob("crash-*.log"))
    assert len(reports) == 1 and reports[0].name.endswith(f"-{log.stem.split('-')[1]}.log")
    assert nxt.stdout.strip() == f"depthlens stopped unexpectedly last time; its crash report is {reports[0]}"
    assert "Segmentation fault" in reports[0].read_text()
    assert not log.exists()
    assert list(tmp_path.glob("faulthandler-*.log")) == []  # the second run exited normally

    third = run_py(NEXT_START, tmp_path)
    assert third.stdout.strip() == "None"  # reported once; the report file stays
    assert reports[0].exists()


def test_a_normal_exit_leaves_nothing(tmp_path):
    out = run_py(CRASH, tmp_path, "ok")
    assert out.returncode == 0, out.stderr
    assert list(tmp_path.iterdir()) == []


def test_collect_skips_running_processes_and_drops_empty_logs(tmp_path):
    mine = tmp_path / f"faulthandler-{os.getpid()}.log"
    mine.write_text("still running: not a crash")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    empty = tmp_path / f"faulthandler-{child.pid}.log"  # a killed run: nothing written
    empty.write_text("")
    assert collect(tmp_path) == []
    assert mine.exists() and not empty.exists()


def test_an_unwritable_state_dir_still_starts(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = run_py(NEXT_START, blocker / "state")
    assert out.returncode == 0
    assert out.stdout.strip() == "None"
    assert "depthlens: no crash log" in out.stderr and str(blocker) in out.stderr


def test_the_window_tells_about_the_last_crash(make_window, tmp_path, capsys):
    report = tmp_path / "crash-20250101-120000-123.log"
    report.write_text("Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent call first):\n")
    window = make_window()
    rep = startup.attach(window, CrashLog(tmp_path, [report], None))
    try:
        notice = f"depthlens stopped unexpectedly last time; its crash report is {report}"
        assert window.statusBar().currentMessage() == notice
        assert capsys.readouterr().err.strip() == notice
        assert rep.reports[-1].message == notice
        assert rep.reports[-1].details == report.read_text()
        assert [a.text() for a in window.menuBar().actions()][-1] == "&Help"
        assert sys.excepthook == rep._excepthook
        assert errors.UNHANDLED == []  # a notice is not an error of this run
    finally:
        rep.uninstall()


def test_the_crash_dialog_shows_the_report_with_its_hint(qtbot):
    dialog = errors.ErrorDialog()
    qtbot.addWidget(dialog)
    dialog.add(errors.Report("depthlens stopped unexpectedly last time", "notice <path>", "log text", "attach it"))
    assert dialog.windowTitle() == "depthlens stopped unexpectedly last time"
    assert dialog.message.text() == "<b>notice &lt;path&gt;</b>"
    assert dialog.hint.text() == "attach it" and dialog.details.toPlainText() == "log text"
