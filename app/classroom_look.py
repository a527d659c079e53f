"""Themes and text size: the window palette for a theme, and every text sized for the mode.

Bound to the window's `state`: a theme or text size chosen anywhere (menu, session,
command line) reaches the palette, the walkthrough panel, the overlay and the indicator.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QToolTip

from depthlens.widgets import theme as themes
from depthlens.widgets.shortcut_overlay import ShortcutOverlay
from depthlens.widgets.walkthrough_panel import WalkthroughPanel

from .classroom_actions import Actions

PRESENT_PT = 24.0  # axis tick labels and readout in presentation mode, at 1920x1080
CHART_TICK_PT = 11.0  # the chart's tick font at font scale 1 (widgets.chart)
CAPTION_PT = 18.0  # walkthrough caption in presentation mode, at 1920x1080
CONTROLS_FACTOR = 1.9  # controls / menus font factor in presentation mode, at 1920x1080
FONT_STEP = 1.1


def system_theme() -> str:
    """The desktop's colour scheme: "dark" if it prefers a dark one, else "light"."""
    try:
        scheme = QGuiApplication.styleHints().colorScheme()
    except AttributeError:  # Qt < 6.5
        return "light"
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def theme_palette(name: str) -> QPalette:
    """A window palette for theme `name` (the style's standard one for light)."""
    t = themes.get(name)
    if not t.dark:
        return QApplication.style().standardPalette()
    pal = QPalette()
    panel, fg, bg = QColor(t.panel), QColor(t.foreground), QColor(t.background)
    disabled = QColor(fg)
    disabled.setAlpha(110)
    roles = {
        QPalette.ColorRole.Window: panel,
        QPalette.ColorRole.WindowText: fg,
        QPalette.ColorRole.Base: bg,
        QPalette.ColorRole.AlternateBase: panel,
        QPalette.ColorRole.Text: fg,
        QPalette.ColorRole.Button: panel,
        QPalette.ColorRole.ButtonText: fg,
        QPalette.ColorRole.ToolTipBase: panel,
        QPalette.ColorRole.ToolTipText: fg,
        QPalette.ColorRole.Highlight: QColor(t.vanishing),
        QPalette.ColorRole.HighlightedText: QColor("#000000"),
        QPalette.ColorRole.BrightText: QColor(t.exploding),
        QPalette.ColorRole.PlaceholderText: disabled,
    }
    for role, colour in roles.items():
        pal.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return pal


def control_style(name: str) -> str:
    """A style sheet that shows every control's state in theme `name` ('' for light: the style's own).

    On the dark and projector palettes the style draws a checked button, a slider handle and
    a check box's box in the panel colour (black on black in the projector theme): they get the theme's
    highlight colour and a light outline instead.
    """
    t = themes.get(name)
    if not t.dark:
        return ""
    fg, hi, bg = t.foreground, t.vanishing, t.background
    return (
        # every push button the same box (2 px border), so a checked one keeps its size
        f"QPushButton {{ background: {t.panel}; color: {fg}; border: 2px solid {t.grid}; "
        f"border-radius: 3px; padding: 3px 8px; }}"
        f"QPushButton:hover {{ border-color: {fg}; }}"
        f"QPushButton:disabled {{ color: {t.grid}; border-color: {t.grid}; }}"
        f"QPushButton:checked, QToolButton:checked {{ background: {hi}; color: #000000; border: 2px solid {fg}; }}"
        f"QSlider::groove:horizontal {{ height: 6px; background: {t.grid}; border-radius: 3px; }}"
        f"QSlider::sub-page:horizontal {{ background: {hi}; border-radius: 3px; }}"
        f"QSlider::handle:horizontal {{ background: {fg}; border: 2px solid {bg}; width: 14px; "
        f"margin: -6px 0; border-radius: 8px; }}"
        f"QSlider::handle:horizontal:focus {{ border: 2px solid {hi}; }}"
        # a check box's box, like the slider handle, is drawn in the panel colour: outlined, filled when on
        f"QCheckBox::indicator {{ width: 12px; height: 12px; background: {t.panel}; border: 2px solid {fg}; "
        f"border-radius: 2px; }}"
        f"QCheckBox::indicator:checked {{ background: {hi}; }}"
        f"QCheckBox::indicator:disabled {{ border-color: {t.grid}; }}"
    )


class Look:
    """Theme and text size of the window and of the add-on's own widgets."""

    def __init__(
        self,
        window,
        actions: Actions,
        panel: WalkthroughPanel,
        overlay: ShortcutOverlay,
        indicator: QLabel,
        presenting: Callable[[], bool],
    ) -> None:
        self.window, self.panel, self.overlay, self.indicator = window, panel, overlay, indicator
        self.presenting = presenting
        self._base_window_pt = window.font().pointSizeF()
        self._base_readout_pt = window.readout.font().pointSizeF()
        a = actions.add
        a("font_up", "Larger text", lambda: self.change_font(FONT_STEP), ("Ctrl+=", "Ctrl++"), "Larger text (Ctrl+=).")
        a("font_down", "Smaller text", lambda: self.change_font(1 / FONT_STEP), ("Ctrl+-",), "Smaller text (Ctrl+-).")
        a("font_reset", "Normal text size", lambda: self.set_user_font(1.0), ("Ctrl+0",))
        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(window)
        for name, t in themes.THEMES.items():
            act = QAction(t.label, window, checkable=True)
            act.setObjectName(f"classroom.theme_{name}")
            act.triggered.connect(lambda _=False, n=name: self.apply_theme(n))
            group.addAction(act)
            self.theme_actions[name] = act
        window.state.theme_changed.connect(self.show_theme)
        window.state.font_scale_changed.connect(lambda _k: self.apply_fonts())

    # -- text size -------------------------------------------------------------------
    def change_font(self, factor: float) -> None:
        """Text size x `factor` (Ctrl+= / Ctrl+-)."""
        self.set_user_font(self.user_font * factor)

    @property
    def user_font(self) -> float:
        """The user's text size factor (owned by the window's `state`)."""
        return self.window.state.font_scale

    def set_user_font(self, k: float) -> None:
        """The user's text size factor (1 = normal, clamped), in every mode."""
        self.window.state.set_font_scale(k)  # bound: apply_fonts runs on the change

    def screen_scale(self) -> float:
        """The window's size relative to 1920x1080 (geometric mean of width and height ratios).

        Text in presentation mode scales with it: 24 pt at 1920x1080, about 15 pt at
        1024x768 (where the chart still needs room), 32 pt at 2560x1440.
        """
        w = self.window
        return math.sqrt(max(w.width(), 1) / 1920.0 * max(w.height(), 1) / 1080.0)

    def presentation_factor(self) -> float:
        """How much larger the chart text is in presentation mode (24 pt ticks at 1920x1080)."""
        return max(1.0, PRESENT_PT / CHART_TICK_PT * self.screen_scale())

    def apply_fonts(self) -> None:
        """Size every text for the mode, the window size (presentation) and the user factor."""
        w, u = self.window, self.user_font
        if self.presenting():
            k = self.screen_scale()
            chart_k = self.presentation_factor()
            readout_pt = max(self._base_readout_pt, PRESENT_PT * k)
            window_pt = self._base_window_pt * max(1.0, CONTROLS_FACTOR * k)
            panel_k = max(1.0, CAPTION_PT * k / (self.panel.base_pt * 1.2))
        else:
            chart_k, readout_pt, window_pt, panel_k = 1.0, self._base_readout_pt, self._base_window_pt, 1.0
        w.chart.set_font_scale(chart_k * u)
        f = w.readout.font()
        f.setPointSizeF(readout_pt * u)
        w.readout.setFont(f)
        f = w.font()
        f.setPointSizeF(window_pt * u)
        w.setFont(f)
        self.indicator.setFont(f)
        self.panel.set_font_scale(panel_k * u, fit=self.presenting())  # the caption fits its column
        self.overlay.set_font_scale(max(1.0, window_pt / self._base_window_pt) * u)

    # -- themes ----------------------------------------------------------------------
    def apply_theme(self, name: str) -> None:
        """Choose a theme: chart, readout, exports, window palette, panel and overlay follow."""
        self.window.state.set_theme(themes.get(name).name)

    def show_theme(self, name: str) -> None:
        """Bound to `state.theme_changed`: the parts of the theme this add-on owns."""
        t = themes.get(name)
        pal = theme_palette(t.name)
        # Menus, dialogs and tooltips are windows of their own: they take the application's
        # palette, not the main window's (a dark window had light menus).
        QApplication.setPalette(pal)
        QToolTip.setPalette(pal)
        self.window.setStyleSheet(control_style(t.name))  # before the window's palette: it resets it
        self.window.setPalette(pal)
        self.overlay.set_theme(t.name)
        self.panel.set_theme(t.name)
        self.indicator.setStyleSheet(
            f"QLabel {{ background: {t.foreground}; color: {t.background}; font-weight: bold; border-radius: 4px; }}"
        )
        for n, act in self.theme_actions.items():
            act.setChecked(n == t.name)
