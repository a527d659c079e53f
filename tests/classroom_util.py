"""Shared fixtures of the classroom tests: isolated QSettings, a window with classroom features."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QStandardPaths


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path, monkeypatch):
    """Never touch the user's real settings: every QSettings lives under tmp_path."""
    QStandardPaths.setTestModeEnabled(True)
    root = tmp_path / "qsettings"
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(root))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return root


def ini_store(path):
    """A session store in its own file."""
    from depthlens.session import Store

    return Store(path)


@pytest.fixture
def make_room(make_window, qtbot, tmp_path):
    """Factory: (window, classroom) on `settings`, shown, active, first result drawn."""

    def make(settings=None, theme="light", store=None, restore=False, **kw):
        from depthlens.classroom import attach

        window = make_window(settings, theme=theme)
        room = attach(window, store=store or ini_store(tmp_path / "store.ini"), restore=restore, **kw)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        return window, room

    return make

