"""Presentation mode (F11): full screen, large text, compact controls, the step's caption beside the chart.

Entering saves what it changes (window state and normal geometry, toolbars, docks, the
dock layout, pen and legend); leaving puts each back exactly.
"""

from __future__ import annotations

import os
import subprocess

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QLabel

from depthlens.widgets.shortcut_overlay import ShortcutOverlay

from .classroom_actions import Actions
from .classroom_look import Look

PRESENT_PEN_SCALE = 1.5  # thicker theory line and axes in presentation mode
RESTORE_ATTEMPTS = 4  # corrections of a late window manager after leaving
PRESENT_DOCK_SHARE = 0.3  # the left column (controls, walkthrough) in presentation mode


def window_manager() -> bool:
    """True when a window manager places the windows (X11 with one running, Wayland), not offscreen.

    Only then does full screen come from the window manager's `_NET_WM_STATE`; setting the
    geometry to the screen's there would become the window's remembered normal geometry.
    """
    platform = QGuiApplication.platformName()
    if platform == "xcb":
        return bool(os.environ.get("DISPLAY")) and _x11_has_window_manager()
    return platform not in ("offscreen", "minimal", "vnc", "linuxfb", "eglfs")


def _x11_has_window_manager() -> bool:
    """The root window names a _NET_SUPPORTING_WM_CHECK window (EWMH), asked once through xprop."""
    global _WM
    if _WM is None:
        try:
            done = subprocess.run(
                ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], capture_output=True, text=True, timeout=2
            )
            _WM = "window id" in done.stdout
        except (OSError, subprocess.SubprocessError):
            _WM = True  # cannot tell: trust the window manager (the common case)
    return _WM


_WM: bool | None = None


class Presentation:
    """Presentation mode of `window`; `walk_dock` goes under the controls while it is on."""

    def __init__(
        self, window, actions: Actions, walk_dock: QDockWidget, look: Look, overlay: ShortcutOverlay, indicator: QLabel
    ) -> None:
        self.window, self.walk_dock, self.look = window, walk_dock, look
        self.overlay, self.indicator = overlay, indicator
        self.on = False
        self.saved: dict | None = None
        self._restore_to: QRect | None = None  # the geometry to get back to after leaving
        self._attempts = 0
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
            self.look.apply_fonts()
            self.size_column()  # for the text sizes just set
        else:
            state, normal = self._leave()
            self.look.apply_fonts()  # first: the window's minimum size follows the normal text size
            self._restore_window(state, normal)
        self.action.setChecked(on)
        if self.overlay.isVisible():
            self.overlay.show_over_parent()

    def _enter(self) -> None:
        w = self.window
        self._restore_to = None
        controls_dock = w.controls_dock
        self.saved = {
            "state": w.windowState(),
            "normal": QRect(w.normalGeometry()),
            "bars": {b: b.isVisible() for b in w.toolbars()},
            "docks": {d: d.isVisible() for d in w.docks() if d is not self.walk_dock and d is not controls_dock},
            "status": w.statusBar().isVisible(),
            "pen": w.chart.pen_scale,
            "legend_columns": w.chart.legend_columns,
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
        # the step's caption under the three controls, left; a dock tabbed with the controls
        # (the Training panel on a narrow screen) would make it a tab instead: it goes right
        # (leaving restores the layout saved above)
        for dock in w.tabifiedDockWidgets(controls_dock):
            w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            if dock is not self.walk_dock:
                dock.hide()
        w.splitDockWidget(controls_dock, self.walk_dock, Qt.Orientation.Vertical)
        w.chart.set_pen_scale(max(PRESENT_PEN_SCALE, w.chart.pen_scale))
        self.indicator.show()
        screen = w.screen()
        if screen is not None and not window_manager():  # no one else will (kiosk, offscreen)
            w.setGeometry(screen.geometry())
        w.showFullScreen()  # a window manager makes it so (_NET_WM_STATE_FULLSCREEN)
        w.chart.set_legend_columns(3 if w.width() >= 1400 else 2)  # the legend fits beside the column

    def size_column(self) -> None:
        """The left column: 30 % of the width; the controls as tall as they need, the caption the rest."""
        if not self.on:
            return
        w, controls_dock = self.window, self.window.controls_dock
        side = max(1, round(PRESENT_DOCK_SHARE * w.width()))
        w.resizeDocks([controls_dock, self.walk_dock], [side, side], Qt.Orientation.Horizontal)
        if controls_dock.isHidden():
            return
        w.controls.adjustSize()
        top = w.controls.minimumSizeHint().height() + 2 * w.fontMetrics().height()
        w.resizeDocks([controls_dock, self.walk_dock], [top, w.height() - top], Qt.Orientation.Vertical)

    def _leave(self) -> tuple[Qt.WindowState, QRect | None]:
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
        w.chart.set_legend_columns(saved.get("legend_columns", 6))
        w.chart.set_pen_scale(saved.get("pen", 1.0))
        self.indicator.hide()
        self.saved = None
        return saved.get("state", Qt.WindowState.WindowNoState), saved.get("normal")

    def _restore_window(self, state: Qt.WindowState, normal: QRect | None) -> None:
        w = self.window
        if state & Qt.WindowState.WindowFullScreen:
            w.showFullScreen()
        elif state & Qt.WindowState.WindowMaximized:
            w.showMaximized()
        else:
            w.showNormal()
            if normal is not None:
                w.setGeometry(normal)  # exactly where it was (restoreGeometry clamps)
                self._restore_to, self._attempts = QRect(normal), RESTORE_ATTEMPTS

    def follow_window(self) -> None:
        """After leaving: correct a window manager that answers late, a few times at most.

        It may still show the window full screen, or put back a geometry of its own.
        """
        if self.on or self._restore_to is None:
            return
        w = self.window
        if w.isFullScreen():
            w.showNormal()
        elif w.geometry() != self._restore_to and not w.isMaximized():
            w.setGeometry(self._restore_to)
        else:
            self._restore_to = None
            return
        self._attempts -= 1
        if self._attempts <= 0:
            self._restore_to = None
