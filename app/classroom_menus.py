"""Where the classroom's actions appear: File (sessions), View (presentation, theme, text), Walkthrough."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu


def build_menus(
    window, acts: dict[str, QAction], theme_actions: dict[str, QAction], walk_toggle: QAction, jump_menu: QMenu
) -> QMenu:
    """Add the entries to the window's menus; return the new Walkthrough menu."""
    file_menu = window.file_menu
    first = file_menu.actions()[0] if file_menu.actions() else None
    for id_ in ("open_session", "save_session", "reset"):
        file_menu.insertAction(first, acts[id_])
    file_menu.insertSeparator(first)

    view = window.view_menu
    view.addSeparator()
    view.addAction(acts["presentation"])
    theme_menu = view.addMenu("&Theme")
    for act in theme_actions.values():
        theme_menu.addAction(act)
    for id_ in ("theory", "font_up", "font_down", "font_reset", "overlay"):
        view.addAction(acts[id_])

    walk = window.menuBar().addMenu("&Walkthrough")
    walk.addAction(acts["next_step"])
    walk.addAction(acts["previous_step"])
    walk.addAction(acts["restart_steps"])
    walk.addMenu(jump_menu)
    walk.addAction(walk_toggle)
    walk.addSeparator()
    walk.addAction(acts["open_steps"])
    walk.addAction(acts["builtin_steps"])
    return walk
