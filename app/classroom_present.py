"""Presentation mode (F11): full screen, large text, compact controls, the step's caption beside the chart.

Entering saves what it changes (window state and normal geometry, toolbars, docks, the
dock layout, pen and legend); leaving puts each back exactly.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QDockWidget, QLabel

from depthlens.widgets.shortcut_overlay import ShortcutOverlay

from .classroom_actions import Actions
from .classroom_look import Look

PRESENT_PEN_SCALE = 1.5  # thicker theory line and axes in presentation mode
PRESENT_DOCK_SHARE = 0.3  # the left column (controls, walkthrough) in presentation mode


class Presentation:
    """Presentation mode of `window`; `walk_dock` goes under the controls while it is on."""

    def __init__(
        self, window, actions: Actions, walk_dock: QDockWidget, look: Look, overlay: ShortcutOverlay, indicator: QLabel
    ) -> None:
        self.window, self.walk_dock, self.look = window, walk_dock, look
        self.overlay, self.indicator = overlay, indicator
        self.on = False
        self.saved: dict | None = None
        self.action = actions.add(
            "presentation",
            "Presentation mode",
            self.toggle,
            ("F11",),
            "Full screen, large text, only depth, scale and activation (F11; Esc leaves).",
        )
        self.action.setCheckable(True)

    def toggle(self) -> None:
        """F11 / View > Presentation mode."""
        self.set(not self.on)

    def normal_geometry(self) -> tuple[QRect, bool]:
        """The window's rectangle and maximised flag outside presentation mode."""
        if self.on and self.saved:
            return self.saved["normal"], bool(self.saved["state"] & Qt.WindowState.WindowMaximized)
        w = self.window
        return w.normalGeometry(), w.isMaximized()

    def set(self, on: bool) -> None:
        """Enter (full screen, large text, secondary controls hidden) or leave, restoring the window."""
        if on == self.on:
            self.action.setChecked(on)
            return
        if on:
            self._enter()
        else:
            self._leave()
        self.action.setChecked(on)
        self.look.apply_fonts()
        if self.overlay.isVisible():
            self.overlay.show_over_parent()

    def _enter(self) -> None:
        w = self.window
        controls_dock = w.controls_dock
        self.saved = {
            "state": w.windowState(),
            "normal": QRect(w.normalGeometry()),
            "bars": {b: b.isVisible() for b in w.toolbars()},
            "docks": {d: d.isVisible() for d in w.docks() if d is not self.walk_dock and d is not controls_dock},
            "status": w.statusBar().isVisible(),
            "pen": w.chart.pen_scale,
            "legend_columns": w.chart.legend.columnCount,
            "layout": w.saveState(),  # dock and toolbar positions
            "row": w.view_selector_visible(),
        }
        self.on = True
        for bar in self.saved["bars"]:
            bar.hide()
        for dock in self.saved["docks"]:
            dock.hide()
        w.statusBar().hide()
        w.set_controls_compact(True)
        w.set_view_selector_visible(False)
        # the step's caption under the three controls, left
        w.splitDockWidget(controls_dock, self.walk_dock, Qt.Orientation.Vertical)
        w.chart.set_pen_scale(max(PRESENT_PEN_SCALE, w.chart.pen_scale))
        self.indicator.show()
        screen = w.screen()
        if screen is not None:  # full screen even without a window manager (kiosk, Xvfb)
            w.setGeometry(screen.geometry())
        w.showFullScreen()
        w.chart.legend.setColumnCount(3 if w.width() >= 1400 else 2)  # the legend fits beside the column
        side = max(1, round(PRESENT_DOCK_SHARE * w.width()))
        w.resizeDocks([controls_dock, self.walk_dock], [side, side], Qt.Orientation.Horizontal)
        w.controls.adjustSize()
        top = w.controls.minimumSizeHint().height() + 2 * w.fontMetrics().height()
        w.resizeDocks([controls_dock, self.walk_dock], [top, w.height() - top], Qt.Orientation.Vertical)

    def _leave(self) -> None:
        w = self.window
        saved = self.saved or {}
        self.on = False
        for bar, vis in saved.get("bars", {}).items():
            bar.setVisible(vis)
        for dock, vis in saved.get("docks", {}).items():
            dock.setVisible(vis)
        w.statusBar().setVisible(saved.get("status", True))
        w.set_controls_compact(False)
        w.set_view_selector_visible(saved.get("row", True))
        if "layout" in saved:
            walk_visible = self.walk_dock.isVisible()
            w.restoreState(saved["layout"])
            self.walk_dock.setVisible(walk_visible)
        w.chart.legend.setColumnCount(saved.get("legend_columns", 6))
        w.chart.set_pen_scale(saved.get("pen", 1.0))
        self.indicator.hide()
        state = saved.get("state", Qt.WindowState.WindowNoState)
        if state & Qt.WindowState.WindowFullScreen:
            w.showFullScreen()
        elif state & Qt.WindowState.WindowMaximized:
            w.showMaximized()
        else:
            w.showNormal()
            if "normal" in saved:
                w.setGeometry(saved["normal"])  # exactly where it was (restoreGeometry clamps)
        self.saved = None
