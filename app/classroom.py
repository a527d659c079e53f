"""Classroom features: presentation mode, themes, font size, keys, walkthrough, sessions.

Keyboard control comes with a shortcut overlay (F1 or ?).
`attach(window, ...)` installs everything on an existing `MainWindow` through its public
API (menus, `set_settings`, `set_theme`, `set_view`, exports) and adds entries to its
menus; the window's own code is not changed. Everything here runs on the GUI thread:
results still come from the window's engine thread through its queued signals, and this
module only reacts to `chart.result_shown`.
"""

from __future__ import annotations

import math
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QToolBar,
    QToolTip,
    QWidget,
)

from depthlens.engine import ACTIVATIONS, INITS, Result
from depthlens.engine.limits import CONTROL_RANGES
from depthlens.engine.views import VIEW_LABELS, VIEWS
from depthlens.widgets import theme as themes
from depthlens.widgets.shortcut_overlay import ShortcutOverlay
from depthlens.widgets.walkthrough_panel import WalkthroughPanel

from .session import (
    Session,
    Store,
    WindowGeometry,
    read_session_file,
    write_session_file,
)
from .walkthrough import Step, WalkthroughError, default_steps, load_steps

PRESENT_PT = 24.0  # axis tick labels and readout in presentation mode, at 1920x1080
CHART_TICK_PT = 11.0  # the chart's tick font at font scale 1 (widgets.chart)
CAPTION_PT = 18.0  # walkthrough caption in presentation mode, at 1920x1080
CONTROLS_FACTOR = 1.6  # controls / menus font factor in presentation mode, at 1920x1080
PRESENT_PEN_SCALE = 1.5  # thicker theory line and axes in presentation mode
PRESENT_DOCK_SHARE = 0.3  # the left column (controls, walkthrough) in presentation mode
FONT_STEP = 1.1
SCALE_LIMITS = CONTROL_RANGES["scale"]
DEPTH_LIMITS = CONTROL_RANGES["depth"]
PRIMARY_CONTROLS = ("depth", "scale", "activation")  # stay visible in presentation mode
SECONDARY_CONTROLS = ("init", "width", "bias_std")  # hidden rows of the "Network" group
MAX_SEED = 2**31 - 1
# Keys that work even while a number box has the focus (everything else goes to the box).
# Page Up/Down stay global so that a presenter clicker always turns the page.
GLOBAL_KEYS = {Qt.Key.Key_F1, Qt.Key.Key_F11, Qt.Key.Key_Escape, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}


def system_theme() -> str:
    """"dark" if the desktop prefers a dark colour scheme, else "light"."""
    try:
        scheme = QGuiApplication.styleHints().colorScheme()
    except AttributeError:  # Qt < 6.5
        return "light"
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def screen_rects() -> list[QRect]:
    """The geometry of every connected screen."""
    return [s.geometry() for s in QGuiApplication.screens()]


def fits_screen(rect: QRect, screens: list[QRect]) -> bool:
    """True when `rect` lies entirely on one of the `screens`."""
    return rect.isValid() and any(s.contains(rect) for s in screens)


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


@dataclass(frozen=True)
class KeyRow:
    """One line of the shortcut overlay: the keys, what they do, the actions behind them."""

    keys: str
    text: str
    ids: tuple[str, ...]


class _TypingGuard(QObject):
    """Application event filter: plain keys go to a focused spin box / line edit, not to shortcuts.

    Plain means without Ctrl/Alt (and not F1, F11, Esc, Page Up/Down). Qt asks the focus
    widget first with a ShortcutOverride event; accepting it makes Qt deliver
    the key as an ordinary key press to that widget.
    """

    def eventFilter(self, obj, event) -> bool:  # Qt override
        """Claim plain keys for text fields."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(obj, QAbstractSpinBox | QLineEdit):
            mods = event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
            )
            if not mods and event.key() not in GLOBAL_KEYS:
                event.accept()
                return True
        return False


class Classroom(QObject):
    """Presentation mode, themes, fonts, keys, walkthrough and sessions of one window."""

    def __init__(self, window, store: Store | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.store = store if store is not None else Store()
        self.messages: list[str] = []
        self.presenting = False
        self._saved: dict | None = None
        self._base_window_pt = window.font().pointSizeF()
        self._base_readout_pt = window.readout.font().pointSizeF()
        self._last_dir = str(Path.cwd())
        self._last_geometry: QRect | None = None

        self.steps: tuple[Step, ...] = ()
        self.step_index = -1
        try:
            self.steps = default_steps()
        except (WalkthroughError, OSError) as exc:
            self.report(f"Walkthrough steps: {exc}")

        self.overlay = ShortcutOverlay(window)
        self.panel = WalkthroughPanel()
        self.panel.next_requested.connect(self.next_step)
        self.panel.previous_requested.connect(self.previous_step)
        self.walk_dock = QDockWidget("Walkthrough", window)
        self.walk_dock.setObjectName("walkthrough")
        self.walk_dock.setWidget(self.panel)
        self.walk_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.walk_dock)
        self.walk_dock.hide()
        self.indicator = QLabel("  ● PRESENTATION  ·  F11 or Esc to leave  ·  F1 keys  ")
        self.indicator.setObjectName("presentation_indicator")
        self.indicator.hide()
        window.menuBar().setCornerWidget(self.indicator, Qt.Corner.TopRightCorner)

        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self._build_menus()
        self.key_rows = self._key_rows()
        self.overlay.set_rows([(r.keys, r.text) for r in self.key_rows])
        self._reconcile()

        self._guard = _TypingGuard(self)
        app = QApplication.instance()
        if app is not None:  # there is one: the window exists
            app.installEventFilter(self._guard)
        window.installEventFilter(self)
        window.chart.result_shown.connect(self._on_result_shown)
        # Bound to the window's state: a theme or text size chosen anywhere reaches this add-on.
        window.state.theme_changed.connect(self._theme_shown)
        window.state.font_scale_changed.connect(lambda _k: self.apply_fonts())
        self._theme_shown(window.theme_name)

    # -- keyboard ------------------------------------------------------------------------
    def _act(self, id_: str, text: str, slot, keys: tuple[str | QKeySequence, ...] = (), tip: str = "") -> QAction:
        act = QAction(text, self.window)
        act.setObjectName(f"classroom.{id_}")
        if keys:
            act.setShortcuts([QKeySequence(k) for k in keys])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        act.triggered.connect(lambda _=False: slot())
        self.window.addAction(act)  # active whichever widget has the focus
        self.actions[id_] = act
        return act

    def _build_actions(self) -> None:
        a = self._act
        a("depth_down", "Depth −1", lambda: self.step_depth(-1), ("Left",))
        a("depth_up", "Depth +1", lambda: self.step_depth(1), ("Right",))
        a("depth_down10", "Depth −10", lambda: self.step_depth(-10), ("Shift+Left",))
        a("depth_up10", "Depth +10", lambda: self.step_depth(10), ("Shift+Right",))
        a("scale_up", "Scale ×1.05", lambda: self.multiply_scale(1.05), ("Up",))
        a("scale_down", "Scale ÷1.05", lambda: self.multiply_scale(1 / 1.05), ("Down",))
        a("scale_up25", "Scale ×1.25", lambda: self.multiply_scale(1.25), ("Shift+Up",))
        a("scale_down25", "Scale ÷1.25", lambda: self.multiply_scale(1 / 1.25), ("Shift+Down",))
        for i, name in enumerate(ACTIVATIONS, start=1):
            a(f"activation{i}", f"Activation {name}", lambda n=name: self.set_setting("activation", n), (str(i),))
        a("init", "Next initialisation", self.cycle_init, ("I",))
        a("seed", "New random seed", self.new_seed, ("R",))
        theory = a("theory", "Theory line", self.toggle_theory, ("T",), "Show or hide the theory line (T).")
        theory.setCheckable(True)
        theory.setChecked(self.window.state.theory_shown)
        self.window.state.theory_shown_changed.connect(theory.setChecked)
        a("view", "Next quantity shown", self.cycle_view, ("G",))
        a("next_step", "Next step", self.next_step, ("PgDown",), "Next walkthrough step (Page Down).")
        a("previous_step", "Previous step", self.previous_step, ("PgUp",), "Previous walkthrough step (Page Up).")
        a("overlay", "Keyboard shortcuts", self.toggle_overlay, ("F1", "?"), "List every key (F1 or ?).")
        pres = a(
            "presentation",
            "Presentation mode",
            self.toggle_presentation,
            ("F11",),
            "Full screen, large text, only depth, scale and activation (F11; Esc leaves).",
        )
        pres.setCheckable(True)
        a("escape", "Leave presentation / close the key list", self.escape, ("Esc",))
        a("font_up", "Larger text", lambda: self.change_font(FONT_STEP), ("Ctrl+=", "Ctrl++"), "Larger text (Ctrl+=).")
        a("font_down", "Smaller text", lambda: self.change_font(1 / FONT_STEP), ("Ctrl+-",), "Smaller text (Ctrl+-).")
        a("font_reset", "Normal text size", lambda: self.set_user_font(1.0), ("Ctrl+0",))
        # Exports: reuse the window's own actions (one binding per key), give them the keys.
        w = self.window
        self._export_action("export_png", getattr(w, "png_actions", {}).get("Window size"), "Ctrl+S",
                            "Export chart as PNG", lambda: w.export_chart_png())
        self._export_action("export_csv", getattr(w, "csv_action", None), "Ctrl+Shift+S",
                            "Export CSV", lambda: w.export_csv())
        self._export_action("copy", getattr(w, "copy_action", None), "Ctrl+C", "Copy chart image", w.copy_chart)
        a("open_session", "&Open session…", self.open_session_dialog, (), "Open a saved session (JSON).")
        a("save_session", "&Save session…", self.save_session_dialog, (), "Save settings, theme and view (JSON).")
        a("reset", "&Reset to defaults", self.reset_to_defaults, (), "Default settings, theme, view and text size.")
        a("open_steps", "Open steps &file…", self.open_steps_dialog, (), "Load your own walkthrough steps (JSON).")
        a("builtin_steps", "&Lecture steps (built in)", self.use_builtin_steps, (), "The lecture's nine steps.")
        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self.window)
        for name, t in themes.THEMES.items():
            act = QAction(t.label, self.window, checkable=True)
            act.setObjectName(f"classroom.theme_{name}")
            act.triggered.connect(lambda _=False, n=name: self.apply_theme(n))
            group.addAction(act)
            self.theme_actions[name] = act

    def _export_action(self, id_: str, existing: QAction | None, key: str, text: str, fallback) -> None:
        if existing is None:
            self._act(id_, text, fallback, (key,))
            return
        existing.setShortcut(QKeySequence(key))
        existing.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.actions[id_] = existing

    def _reconcile(self) -> None:
        """One binding per key: other window actions lose keys that these actions use."""
        mine = {id(a) for a in self.actions.values()}
        taken = {seq.toString() for a in self.actions.values() for seq in a.shortcuts()}
        for act in self.window.findChildren(QAction):
            if id(act) in mine or not act.shortcuts():
                continue
            keep = [s for s in act.shortcuts() if s.toString() not in taken]
            if len(keep) != len(act.shortcuts()):
                act.setShortcuts(keep)

    def _key_rows(self) -> list[KeyRow]:
        acts = " · ".join(f"{i} {n}" for i, n in enumerate(ACTIVATIONS, start=1))
        return [
            KeyRow("← / →", "Depth −1 / +1 (with Shift: −10 / +10)",
                   ("depth_down", "depth_up", "depth_down10", "depth_up10")),
            KeyRow("↑ / ↓", "Scale ×1.05 / ÷1.05 (with Shift: ×1.25 / ÷1.25)",
                   ("scale_up", "scale_down", "scale_up25", "scale_down25")),
            KeyRow("1 … 8", f"Activation: {acts}", tuple(f"activation{i}" for i in range(1, 9))),
            KeyRow("I", "Next initialisation (" + " → ".join(INITS) + ")", ("init",)),
            KeyRow("R", "New random seed", ("seed",)),
            KeyRow("T", "Theory line on / off", ("theory",)),
            KeyRow("G", "Next quantity shown (" + " → ".join(VIEW_LABELS[v].lower() for v in VIEWS) + ")", ("view",)),
            KeyRow("Page Down / Page Up", "Walkthrough: next / previous step", ("next_step", "previous_step")),
            KeyRow("Ctrl+S", "Export the chart as PNG", ("export_png",)),
            KeyRow("Ctrl+Shift+S", "Export the per-layer numbers as CSV", ("export_csv",)),
            KeyRow("Ctrl+C", "Copy the chart image", ("copy",)),
            KeyRow("Ctrl+= / Ctrl+-", "Larger / smaller text (Ctrl+0: normal)", ("font_up", "font_down", "font_reset")),
            KeyRow("F11", "Presentation mode on / off", ("presentation",)),
            KeyRow("Esc", "Leave presentation mode / close this list", ("escape",)),
            KeyRow("F1 or ?", "Show / hide this list", ("overlay",)),
        ]

    # -- what the keys do ------------------------------------------------------------------
    def set_setting(self, name: str, value) -> None:
        """Change one setting and compute it."""
        s = self.window.settings()
        if getattr(s, name) != value:
            self.window.set_settings(s.replace(**{name: value}))

    def step_depth(self, delta: int) -> None:
        """Depth + `delta`, kept within 1..1000."""
        d = self.window.settings().depth
        self.set_setting("depth", min(max(d + delta, DEPTH_LIMITS[0]), DEPTH_LIMITS[1]))

    def multiply_scale(self, factor: float) -> None:
        """Scale x `factor`, kept within the scale control's range."""
        s = self.window.settings().scale
        self.set_setting("scale", min(max(s * factor, SCALE_LIMITS[0]), SCALE_LIMITS[1]))

    def cycle_init(self) -> None:
        """identity -> gaussian -> orthogonal -> identity."""
        i = INITS.index(self.window.settings().init)
        self.set_setting("init", INITS[(i + 1) % len(INITS)])

    def new_seed(self) -> None:
        """A different random seed (same network otherwise)."""
        old = self.window.settings().seed
        seed = old
        while seed == old:
            seed = random.randint(0, MAX_SEED)
        self.set_setting("seed", seed)

    def toggle_theory(self) -> None:
        """Theory line on/off."""
        self.window.state.set_theory_shown(not self.window.state.theory_shown)

    def cycle_view(self) -> None:
        """activations -> gradients -> weight gradients -> both."""
        i = VIEWS.index(self.window.chart.view)
        self.window.set_view(VIEWS[(i + 1) % len(VIEWS)])

    def toggle_overlay(self) -> None:
        """Show or hide the key list."""
        self.overlay.toggle()

    def escape(self) -> None:
        """Esc: close the key list if shown, else leave presentation mode."""
        if self.overlay.isVisible():
            self.overlay.dismiss()
        elif self.presenting:
            self.set_presentation(False)

    # -- fonts -----------------------------------------------------------------------------
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
        if self.presenting:
            k = self.screen_scale()
            chart_k = self.presentation_factor()
            readout_pt = max(self._base_readout_pt, PRESENT_PT * k)
            window_pt = self._base_window_pt * max(1.0, CONTROLS_FACTOR * k)
            panel_k = max(1.0, CAPTION_PT * k / (self.panel._base_pt * 1.2))
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
        self.panel.set_font_scale(panel_k * u)
        self.overlay.set_font_scale(max(1.0, window_pt / self._base_window_pt) * u)

    # -- themes ----------------------------------------------------------------------------
    def apply_theme(self, name: str) -> None:
        """Choose a theme: chart, readout, exports, window palette, panel and overlay follow."""
        self.window.state.set_theme(themes.get(name).name)

    def _theme_shown(self, name: str) -> None:
        """Bound to `state.theme_changed`: the parts of the theme this add-on owns."""
        t = themes.get(name)
        pal = theme_palette(t.name)
        self.window.setPalette(pal)
        # Menus, dialogs and tooltips are windows of their own: they take the application's
        # palette, not the main window's (a dark window had light menus).
        QApplication.setPalette(pal)
        QToolTip.setPalette(pal)
        self.overlay.set_theme(t.name)
        self.panel.set_theme(t.name)
        self.indicator.setStyleSheet(
            f"QLabel {{ background: {t.foreground}; color: {t.background}; font-weight: bold; border-radius: 4px; }}"
        )
        for n, act in self.theme_actions.items():
            act.setChecked(n == t.name)

    # -- presentation mode -----------------------------------------------------------------
    def toggle_presentation(self) -> None:
        """F11 / View > Presentation mode."""
        self.set_presentation(not self.presenting)

    def set_presentation(self, on: bool) -> None:
        """Enter (full screen, large text, secondary controls hidden) or leave, restoring the window."""
        if on == self.presenting:
            self.actions["presentation"].setChecked(on)
            return
        w = self.window
        if on:
            self._saved = {
                "state": w.windowState(),
                "normal": QRect(w.normalGeometry()),
                "bars": {b: b.isVisible() for b in w.findChildren(QToolBar) if b.parentWidget() is w},
                "docks": {
                    d: d.isVisible()
                    for d in w.findChildren(QDockWidget)
                    if d is not self.walk_dock and d is not getattr(w, "controls_dock", None)
                },
                "status": w.statusBar().isVisible(),
                "pen": w.chart.pen_scale,
                "legend_columns": w.chart.legend.columnCount,
                "layout": w.saveState(),  # dock and toolbar positions
                "row": w.view_selector_visible(),
            }
            self.presenting = True
            for bar in self._saved["bars"]:
                bar.hide()
            for dock in self._saved["docks"]:
                dock.hide()
            w.statusBar().hide()
            self.set_secondary_controls_visible(False)
            w.set_view_selector_visible(False)
            controls_dock = getattr(w, "controls_dock", None)
            if controls_dock is not None:  # the step's caption under the three controls, left
                w.splitDockWidget(controls_dock, self.walk_dock, Qt.Orientation.Vertical)
            w.chart.set_pen_scale(max(PRESENT_PEN_SCALE, w.chart.pen_scale))
            self.indicator.show()
            screen = w.screen()
            if screen is not None:  # full screen even without a window manager (kiosk, Xvfb)
                w.setGeometry(screen.geometry())
            w.showFullScreen()
            w.chart.legend.setColumnCount(3 if w.width() >= 1400 else 2)  # the legend fits beside the column
            if controls_dock is not None:
                side = max(1, round(PRESENT_DOCK_SHARE * w.width()))
                w.resizeDocks([controls_dock, self.walk_dock], [side, side], Qt.Orientation.Horizontal)
                w.controls.adjustSize()
                top = w.controls.minimumSizeHint().height() + 2 * w.fontMetrics().height()
                w.resizeDocks([controls_dock, self.walk_dock], [top, w.height() - top], Qt.Orientation.Vertical)
        else:
            saved = self._saved or {}
            self.presenting = False
            for bar, vis in saved.get("bars", {}).items():
                bar.setVisible(vis)
            for dock, vis in saved.get("docks", {}).items():
                dock.setVisible(vis)
            w.statusBar().setVisible(saved.get("status", True))
            self.set_secondary_controls_visible(True)
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
            self._saved = None
        self.actions["presentation"].setChecked(on)
        self.apply_fonts()
        if self.overlay.isVisible():
            self.overlay.show_over_parent()

    def set_secondary_controls_visible(self, visible: bool) -> None:
        """Show or hide every control but depth, scale and activation."""
        controls = self.window.controls
        primary = [controls.control(n) for n in PRIMARY_CONTROLS]
        for name in SECONDARY_CONTROLS:
            widget = controls.control(name)
            form = widget.parentWidget().layout() if widget.parentWidget() else None
            if isinstance(form, QFormLayout) and form.indexOf(widget) >= 0:
                form.setRowVisible(widget, visible)
            else:
                widget.setVisible(visible)
        for box in controls.findChildren(QGroupBox):
            if not any(isinstance(p, QWidget) and box.isAncestorOf(p) for p in primary):
                box.setVisible(visible)
        for label in controls.findChildren(QLabel, options=Qt.FindChildOption.FindDirectChildrenOnly):
            label.setVisible(visible)

    def secondary_controls_visible(self) -> bool:
        """True unless presentation mode hid them."""
        return not self.presenting

    # -- walkthrough -----------------------------------------------------------------------
    def next_step(self) -> None:
        """Page Down: show the panel, then go one step on."""
        if not self.steps:
            return
        self.go_to_step(min(self.step_index + 1, len(self.steps) - 1))

    def previous_step(self) -> None:
        """Page Up: one step back."""
        if not self.steps:
            return
        self.go_to_step(max(self.step_index - 1, 0))

    def go_to_step(self, index: int) -> None:
        """Apply step `index`: its settings and view, its caption."""
        step = self.steps[index]
        self.step_index = index
        if not self.walk_dock.isVisible():
            self.walk_dock.show()
            bottom = self.window.dockWidgetArea(self.walk_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
            if not self.presenting and bottom:
                # as tall as its text needs, so the chart keeps the room
                self.window.resizeDocks([self.walk_dock], [self.panel.sizeHint().height()], Qt.Orientation.Vertical)
        self.panel.show_step(index, len(self.steps), step.title, step.caption)
        self.window.set_view(step.view)
        if self.window.settings() != step.settings:
            self.window.set_settings(step.settings)
        training = getattr(self.window, "training", None)
        if step.train is not None and training is not None:  # a training step: the lab takes its settings
            training.use_config(step.train.config)
        self._on_result_shown(self.window.chart.result)

    def current_step(self) -> Step | None:
        """The step shown, if any."""
        return self.steps[self.step_index] if 0 <= self.step_index < len(self.steps) else None

    def _on_result_shown(self, result: Result | None) -> None:
        step = self.current_step()
        if step is None:
            return
        if result is None or result.settings != step.settings:
            if self.window.settings() == step.settings:
                self.panel.show_checks([], "Computing…")
            else:
                self.panel.show_checks([], "The settings were changed since this step (Page Up / Page Down returns).")
            return
        lines = []
        for check in step.live_checks:
            ok, text = check.evaluate(result)
            lines.append((ok, text))
        self.panel.show_checks(lines)

    def set_steps(self, steps: tuple[Step, ...]) -> None:
        """Use these steps (from 'Open steps file…'); start before the first."""
        self.steps = steps
        self.step_index = -1
        if steps:
            self.go_to_step(0)

    def load_steps_file(self, path: str | os.PathLike) -> bool:
        """Load a teacher's steps file; on error report one line and keep the current steps."""
        try:
            steps = load_steps(path)
        except WalkthroughError as exc:
            self.report(f"Walkthrough steps {exc}; keeping the current steps")
            return False
        self.set_steps(steps)
        return True

    def use_builtin_steps(self) -> None:
        """Back to the lecture's nine steps."""
        try:
            self.set_steps(default_steps())
        except (WalkthroughError, OSError) as exc:
            self.report(f"Walkthrough steps: {exc}")

    def open_steps_dialog(self) -> None:
        """Ask for a steps file and load it."""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open walkthrough steps", self._last_dir, "JSON (*.json)")
        if path:
            self._last_dir = str(Path(path).parent)
            self.load_steps_file(path)

    # -- sessions --------------------------------------------------------------------------
    def report(self, message: str) -> None:
        """Tell the user about a problem in one line (status bar and stderr)."""
        line = " ".join(message.split())
        self.messages.append(line)
        self.window.statusBar().showMessage(line, 15000)
        print(f"depthlens: {line}", file=sys.stderr)

    def defaults(self) -> Session:
        """The session of a fresh start (theme follows the system)."""
        return Session(theme=system_theme())

    def current_session(self) -> Session:
        """Settings, theme, view, text size and the window's normal geometry now."""
        w = self.window
        if self.presenting and self._saved:
            rect, maximized = self._saved["normal"], bool(self._saved["state"] & Qt.WindowState.WindowMaximized)
        else:
            rect, maximized = w.normalGeometry(), w.isMaximized()
        geom = None
        if rect.isValid() and rect.width() >= 100 and rect.height() >= 100:
            geom = WindowGeometry(rect.x(), rect.y(), rect.width(), rect.height(), maximized)
        return Session(w.settings(), w.theme_name, w.chart.view, round(self.user_font, 4), geom)

    def apply_session(self, s: Session, *, settings: bool = True, theme: bool = True, geometry: bool = False) -> None:
        """Show session `s` (parts of it)."""
        if theme:
            self.apply_theme(s.theme)
        self.window.set_view(s.view)
        self.set_user_font(s.font_scale)
        if settings and self.window.settings() != s.settings:
            self.window.set_settings(s.settings)
        if geometry:
            self.restore_geometry(s.window)

    def restore_geometry(self, g: WindowGeometry | None) -> bool:
        """Use the saved window rectangle if it fits a connected screen, else fit the screen."""
        w = self.window
        if g is not None:
            rect = QRect(g.x, g.y, g.width, g.height)
            if fits_screen(rect, screen_rects()):
                w.setGeometry(rect)
                if g.maximized:
                    w.setWindowState(w.windowState() | Qt.WindowState.WindowMaximized)
                return True
        self.fit_to_screen()
        return False

    def fit_to_screen(self) -> None:
        """Shrink the window onto the primary screen if it is larger (e.g. a 1024x768 projector)."""
        screen = QGuiApplication.primaryScreen()
        if screen is None:
            return
        avail = screen.availableGeometry()
        w = self.window
        if w.width() > avail.width() or w.height() > avail.height():
            w.setGeometry(avail)

    def save_state(self) -> None:
        """Write the current session (with geometry) to the store; a failure is reported once."""
        message = self.store.save(self.current_session())
        if message:
            self.report(message)

    def restore_state(self, *, settings: bool = True, theme: bool = True) -> None:
        """Read the store; first start: follow the system's light/dark preference."""
        if self.store.is_empty():
            if theme:
                self.apply_theme(system_theme())
            self.fit_to_screen()
        else:
            s, err = self.store.load(self.defaults())  # a bad store is moved aside here
            if err:
                self.report(err)
            self.apply_session(s, settings=settings, theme=theme, geometry=True)
        problem = self.store.check()  # an unwritable config folder is said now, once
        if problem:
            self.report(problem)

    def open_session(self, path: str | os.PathLike, *, settings: bool = True, theme: bool = True) -> bool:
        """Load a session file; a bad one is reported in one line and changes nothing."""
        s, err = read_session_file(path, self.defaults())
        if err:
            self.report(err.replace("; using defaults", "; nothing changed"))
            return False
        self.apply_session(s, settings=settings, theme=theme)
        return True

    def save_session(self, path: str | os.PathLike) -> bool:
        """Write settings, theme, view and text size to a JSON file (atomically)."""
        try:
            write_session_file(path, self.current_session())
        except OSError as exc:
            self.window.show_error("Save session failed", f"Could not write {path}: {exc.strerror or exc}")
            return False
        self.window.statusBar().showMessage(f"Saved session: {path}", 5000)
        return True

    def open_session_dialog(self) -> None:
        """File > Open session: ask for a file and load it."""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", self._last_dir, "Session (*.json)")
        if path:
            self._last_dir = str(Path(path).parent)
            self.open_session(path)

    def save_session_dialog(self) -> None:
        """File > Save session: ask for a file name and write it."""
        path = self.window.ask_save_path("Save session", "depthlens-session.json", "Session (*.json)")
        if path:
            self.save_session(path)

    def reset_to_defaults(self) -> None:
        """Default settings, system theme, both quantities, normal text, theory line on."""
        self.window.state.set_theory_shown(True)
        self.apply_session(self.defaults())
        self.step_index = -1
        self.walk_dock.hide()
        self.window.statusBar().showMessage("Reset to defaults", 5000)

    # -- window events ---------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:  # Qt override
        """Save the session when the window closes; rescale text when it is resized."""
        if obj is self.window:
            if event.type() == QEvent.Type.Close:
                self.save_state()
            elif event.type() == QEvent.Type.Resize:
                if self.presenting:
                    self.apply_fonts()
                if self.overlay.isVisible():
                    self.overlay.show_over_parent()
        return False

    # -- menus -----------------------------------------------------------------------------
    def _build_menus(self) -> None:
        w, acts = self.window, self.actions
        file_menu = w.file_menu
        first = file_menu.actions()[0] if file_menu.actions() else None
        for id_ in ("open_session", "save_session", "reset"):
            file_menu.insertAction(first, acts[id_])
        file_menu.insertSeparator(first)

        view = w.view_menu
        view.addSeparator()
        view.addAction(acts["presentation"])
        theme_menu = view.addMenu("&Theme")
        for act in self.theme_actions.values():
            theme_menu.addAction(act)
        view.addAction(acts["theory"])
        view.addAction(acts["font_up"])
        view.addAction(acts["font_down"])
        view.addAction(acts["font_reset"])
        view.addAction(acts["overlay"])

        walk = w.menuBar().addMenu("&Walkthrough")
        walk.addAction(acts["next_step"])
        walk.addAction(acts["previous_step"])
        toggle = self.walk_dock.toggleViewAction()
        toggle.setText("Show the walkthrough panel")
        walk.addAction(toggle)
        walk.addSeparator()
        walk.addAction(acts["open_steps"])
        walk.addAction(acts["builtin_steps"])
        self.walk_menu = walk


def attach(
    window,
    *,
    store: Store | None = None,
    session: str | os.PathLike | None = None,
    explicit: bool = False,
    theme: str | None = None,
    restore: bool = True,
) -> Classroom:
    """Install the classroom features on `window` and restore the last session.

    Order: the store (geometry, theme, text size, settings), then a `--session`
    file; settings given on the command line (`explicit`) and `--theme` win over both.
    """
    room = Classroom(window, store)
    if restore:
        room.restore_state(settings=not explicit, theme=theme is None)
    if session:
        room.open_session(session, settings=not explicit, theme=theme is None)
    if theme:
        room.apply_theme(theme)
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(room.save_state)
    window.classroom = room
    return room


__all__ = ["Classroom", "KeyRow", "attach", "fits_screen", "system_theme", "theme_palette"]
