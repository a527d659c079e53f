"""Shared fixtures of the classroom tests: a window with classroom features (conftest isolates the settings)."""

from __future__ import annotations

import pytest
from conftest import wait_shown
from PySide6.QtCore import QPoint, QRect


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


def sized(window, qtbot, size):
    """The window at `size` (the offscreen screen is 800x800: as on a projector of that size)."""
    window.setMinimumSize(*size)
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size)


def inside(widget, window) -> QRect:
    """`widget`'s rectangle in window coordinates."""
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def settle(qtbot, window, step):
    """Wait for `step`'s result, then for the docks and fitted fonts to follow the last layout pass."""
    wait_shown(qtbot, window, step.settings, timeout=60000)
    qtbot.wait(50)
