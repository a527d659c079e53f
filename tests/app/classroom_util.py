"""Shared fixtures of the classroom tests: a window with classroom features (conftest isolates the settings)."""

from __future__ import annotations

import pytest


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

