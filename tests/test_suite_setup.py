"""The suite's own set-up (conftest.py): per-test user directories, strict mode, the leak guards."""

from __future__ import annotations

import os
import pathlib
import re

import pytest

pytest_plugins = ("pytester",)


def test_every_test_has_its_own_user_directories(tmp_path, isolated_user_dirs):
    from PySide6.QtCore import QSettings

    from depthlens import crashlog, desktop_entry, session

    assert isolated_user_dirs["config"].parent == tmp_path
    assert os.environ["XDG_CONFIG_HOME"] == str(tmp_path / "xdg")
    assert session.config_dir() == tmp_path / "xdg" / "depthlens"
    assert crashlog.state_dir() == tmp_path / "xdg-state" / "depthlens"
    assert desktop_entry.data_home() == tmp_path / "xdg-data"
    qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "depthlens", "probe")
    assert qs.fileName().startswith(str(tmp_path / "qsettings"))


def test_strict_mode_reraises_a_failing_pacer_update_and_records_it(qtbot, strict_mode):
    from PySide6.QtWidgets import QWidget

    from depthlens.pacer import Pacer

    owner = QWidget()
    qtbot.addWidget(owner)
    pacer = Pacer(owner)

    def boom():
        raise RuntimeError("draw failed")

    pacer.post("bad", boom)
    with pytest.raises(RuntimeError, match="draw failed"):
        pacer.flush()
    assert len(strict_mode.FAILURES) == 1
    assert strict_mode.FAILURES[0].startswith("pacer update 'bad':") and "draw failed" in strict_mode.FAILURES[0]
    strict_mode.FAILURES.clear()  # provoked on purpose: the conftest must not fail this test
    pacer.stop()


def _boom():
    raise ValueError("broken engine")


def _boom_at_a_checkpoint():
    from depthlens.engine import Partial, Progress

    yield Progress(0.0)
    yield Partial("so far")
    raise ValueError("broken engine")


@pytest.mark.parametrize("boom", [_boom, _boom_at_a_checkpoint], ids=["plain", "generator"])
def test_strict_mode_records_a_failing_engine_job_and_raises_it_on_the_gui_thread(qtbot, strict_mode, boom):
    from depthlens.worker import CHART, EngineWorker

    worker = EngineWorker()
    try:
        with qtbot.captureExceptions() as raised, qtbot.waitSignal(worker.error, timeout=5000):
            worker.submit(CHART, boom)
        qtbot.waitUntil(lambda: bool(raised), timeout=5000)
    finally:
        assert worker.shutdown()
    [(kind, exc, _tb)] = raised
    assert kind is strict_mode.StrictError and "engine job 'chart' failed: ValueError: broken engine" in str(exc)
    assert len(strict_mode.FAILURES) == 1 and "ValueError: broken engine" in strict_mode.FAILURES[0]
    strict_mode.FAILURES.clear()  # provoked on purpose


INNER_TESTS = """
import pytest
from PySide6.QtCore import QTimer

KEEP = []


def test_clean(qtbot):
    pass


def _pacer(qtbot):
    from PySide6.QtWidgets import QWidget
    from depthlens.pacer import Pacer

    owner = QWidget()
    qtbot.addWidget(owner)
    KEEP.append(owner)  # qtbot holds it weakly
    return Pacer(owner)


def test_failing_pacer_update(qtbot):
    pacer = _pacer(qtbot)
    pacer.post("view", lambda: 1 / 0)
    qtbot.wait(100)
    pacer.stop()


@pytest.mark.lenient
def test_failing_pacer_update_lenient(qtbot):
    pacer = _pacer(qtbot)
    pacer.post("view", lambda: 1 / 0)
    qtbot.wait(100)
    pacer.stop()


def test_failing_engine_job(qtbot):
    from depthlens.worker import EngineWorker

    def boom():
        raise ValueError("broken engine")

    worker = EngineWorker()
    with qtbot.waitSignal(worker.error, timeout=5000):
        worker.submit("chart", boom)
    assert worker.shutdown()


def test_thread_left_running(qtbot):
    from depthlens.worker import EngineWorker

    KEEP.append(EngineWorker())  # never shut down


def test_timer_left_running(qtbot):
    timer = QTimer()
    timer.setInterval(60000)
    KEEP.append(timer)
    timer.start()


def test_app_timer_left_running(qtbot):
    from PySide6.QtWidgets import QWidget
    from depthlens.pacer import Pacer

    owner = QWidget()  # not given to qtbot: nobody closes it
    KEEP.append(owner)
    Pacer(owner, interval_ms=60000).post("view", lambda: None)
"""


def test_the_conftest_fails_broken_updates_and_jobs_and_leaked_threads_and_timers(pytester):
    """Run tests under this conftest in a subprocess: each kind of hidden failure fails its test."""
    pytester.makeconftest((pathlib.Path(__file__).parent / "conftest.py").read_text())
    pytester.makeini("[pytest]\nqt_api = pyside6\nmarkers =\n    lenient: production error handling\n")
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess("-q", "-rfE", "-p", "no:cacheprovider", timeout=120)
    out = result.stdout.str()
    bad = set(re.findall(r"^(?:FAILED|ERROR) test_inner\.py::(\w+)", out, re.M))
    assert bad == {
        "test_failing_pacer_update",
        "test_failing_engine_job",
        "test_thread_left_running",
        "test_timer_left_running",
        "test_app_timer_left_running",
    }, out
    assert "pacer update 'view':" in out and "ZeroDivisionError" in out
    assert "engine job 'chart':" in out and "ValueError: broken engine" in out
    started = r"{} left running, started at:\nE?\s*{}\n"  # the message, then where
    assert re.search(started.format(r"1 QThread\(s\)", r"\S*app/worker\.py:\d+ \(from test_inner\.py:\d+\)"), out)
    assert re.search(started.format(r"1 QTimer\(s\)", r"test_inner\.py:\d+"), out)  # started by the test
    assert re.search(started.format(r"1 QTimer\(s\)", r"\S*app/pacer\.py:\d+ \(from test_inner\.py:\d+\)"), out)
