"""Docks added by `add_bottom_tab`: hidden, at the bottom, tabbed together with the group's first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from depthlens.widgets.dock_tabs import add_bottom_tab


def test_docks_are_hidden_at_the_bottom_and_tabbed_with_the_first(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QLabel("centre"))
    window.show()
    docks = [QDockWidget(f"d{i}", window) for i in range(3)]
    first = None
    for d in docks:
        first = add_bottom_tab(window, d, first)
        assert first is docks[0]
    for d in docks:
        assert window.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea
        assert not d.isVisible()
    for d in docks:  # Qt lists only shown docks as tabified
        d.show()
    assert set(window.tabifiedDockWidgets(docks[0])) == {docks[1], docks[2]}
    assert set(window.tabifiedDockWidgets(docks[2])) == {docks[0], docks[1]}
