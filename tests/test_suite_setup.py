"""The suite's own set-up (conftest.py): per-test user directories, strict mode, the leak guards."""

from __future__ import annotations

import os

import pytest


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


def test_strict_mode_records_a_failing_engine_job_and_raises_it_on_the_gui_thread(qtbot, strict_mode):
    from depthlens.worker import CHART, EngineWorker

    def boom(cancel, progress):
        raise ValueError("broken engine")

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

