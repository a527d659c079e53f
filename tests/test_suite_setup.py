"""The suite's own set-up (conftest.py): per-test user directories, strict mode, the leak guards."""

from __future__ import annotations

import os


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
