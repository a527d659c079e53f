"""Docks that share one tabbed place at the bottom of a main window (the analysis and training views)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow


def add_bottom_tab(window: QMainWindow, dock: QDockWidget, first: QDockWidget | None) -> QDockWidget:
    """Add `dock` hidden at the bottom of `window`, tabbed with `first`; return the group's first dock.

    Pass None as `first` for the group's first dock, then what this returned for the others.
    """
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    if first is None:
        first = dock
    else:
        window.tabifyDockWidget(first, dock)
    dock.hide()
    return first
