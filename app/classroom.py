"""Classroom features of one window, composed: keys, themes and text size, walkthrough, presentation, sessions.

`attach(window, ...)` installs them on an existing `MainWindow` through its host API
(`add_dock`, `set_controls_compact`, `select_view`, `set_settings`, the menus and export
actions); the window's own code is not changed. Each feature is a module of its own:
`classroom_keys` (what the keys do, the key list), `classroom_look` (themes, fonts),
`classroom_walk` (the walkthrough dock), `classroom_present` (F11), `classroom_sessions`
(store and files), `classroom_menus`. Everything runs on the GUI thread; results still come
from the window's engine thread, and the walkthrough only reacts to `chart.result_shown`.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QLabel

from depthlens.widgets.shortcut_overlay import ShortcutOverlay

from .classroom_actions import Actions
from .classroom_keys import KeyRow, NetworkKeys, TypingGuard, key_rows
from .classroom_look import Look, system_theme, theme_palette
from .classroom_menus import build_menus
from .classroom_present import Presentation
from .classroom_sessions import Sessions, fits_screen, screen_rects
from .classroom_walk import Walkthrough
from .session import Session, Store, WindowGeometry
from .walkthrough import Step


class Classroom(QObject):
    """The classroom features of `window`, one object each; this class only composes them."""

    def __init__(self, window, store: Store | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.store = store if store is not None else Store()
        self.messages: list[str] = []
        registry = Actions(window)
        self.actions = registry.by_id
        self.overlay = ShortcutOverlay(window)
        registry.add("overlay", "Keyboard shortcuts", self.toggle_overlay, ("F1", "?"), "List every key (F1 or ?).")
        self.indicator = QLabel("  ● PRESENTATION  ·  F11 or Esc to leave  ·  F1 keys  ")
        self.indicator.setObjectName("presentation_indicator")
        self.indicator.hide()
        window.menuBar().setCornerWidget(self.indicator, Qt.Corner.TopRightCorner)

        self.keys = NetworkKeys(window, registry)
        self.walk = Walkthrough(window, registry, self.report, lambda: self.presenting)
        self.look = Look(window, registry, self.walk.panel, self.overlay, self.indicator, lambda: self.presenting)
        self.present = Presentation(window, registry, self.walk.dock, self.look, self.overlay, self.indicator)
        registry.add("escape", "Leave presentation / close the key list", self.escape, ("Esc",))
        self.sessions = Sessions(window, registry, self.store, self.look, self.walk, self.present, self.report)
        self.walk_menu = build_menus(
            window, self.actions, self.look.theme_actions, self.walk.toggle_action, self.walk.jump_menu
        )
        self.key_rows: list[KeyRow] = key_rows()
        self.overlay.set_rows([(r.keys, r.text) for r in self.key_rows])
        registry.reconcile()

        self._guard = TypingGuard(self)
        app = QApplication.instance()
        if app is not None:  # there is one: the window exists
            app.installEventFilter(self._guard)
        window.installEventFilter(self)
        self.look.show_theme(window.theme_name)

    # -- the parts, by the names tests and other add-ons use ----------------------------
    @property
    def panel(self):
        """The walkthrough panel."""
        return self.walk.panel

    @property
    def walk_dock(self):
        """The walkthrough panel's dock."""
        return self.walk.dock

    @property
    def theme_actions(self):
        """View > Theme actions by theme name."""
        return self.look.theme_actions

    @property
    def presenting(self) -> bool:
        """True in presentation mode."""
        return self.present.on

    @property
    def steps(self) -> tuple[Step, ...]:
        """The walkthrough's steps."""
        return self.walk.steps

    @property
    def step_index(self) -> int:
        """The step shown (-1: none)."""
        return self.walk.step_index

    @property
    def user_font(self) -> float:
        """The user's text size factor."""
        return self.look.user_font

    # -- what the menus and keys do ----------------------------------------------------
    def report(self, message: str) -> None:
        """Tell the user about a problem in one line (status bar and stderr)."""
        line = " ".join(message.split())
        self.messages.append(line)
        self.window.statusBar().showMessage(line, 15000)
        print(f"depthlens: {line}", file=sys.stderr)

    def toggle_overlay(self) -> None:
        """Show or hide the key list."""
        self.overlay.toggle()

    def escape(self) -> None:
        """Esc: close the key list if shown, else leave presentation mode."""
        if self.overlay.isVisible():
            self.overlay.dismiss()
        elif self.presenting:
            self.set_presentation(False)

    def set_presentation(self, on: bool) -> None:
        """Enter or leave presentation mode."""
        self.present.set(on)

    def toggle_presentation(self) -> None:
        """F11."""
        self.present.toggle()

    def set_setting(self, name: str, value) -> None:
        """Change one setting and compute it."""
        self.keys.set_setting(name, value)

    def toggle_theory(self) -> None:
        """Theory line on / off."""
        self.keys.toggle_theory()

    def apply_theme(self, name: str) -> None:
        """Choose a colour theme."""
        self.look.apply_theme(name)

    def change_font(self, factor: float) -> None:
        """Text size x `factor`."""
        self.look.change_font(factor)

    def set_user_font(self, k: float) -> None:
        """The user's text size factor."""
        self.look.set_user_font(k)

    def apply_fonts(self) -> None:
        """Size every text for the mode."""
        self.look.apply_fonts()

    def next_step(self) -> None:
        """Page Down."""
        self.walk.next_step()

    def previous_step(self) -> None:
        """Page Up."""
        self.walk.previous_step()

    def go_to_step(self, index: int) -> None:
        """Show walkthrough step `index`."""
        self.walk.go_to_step(index)

    def current_step(self) -> Step | None:
        """The step shown, if any."""
        return self.walk.current_step()

    def set_steps(self, steps: tuple[Step, ...]) -> None:
        """Use these walkthrough steps."""
        self.walk.set_steps(steps)

    def load_steps_file(self, path: str | os.PathLike) -> bool:
        """Load a teacher's steps file."""
        return self.walk.load_steps_file(path)

    def use_builtin_steps(self) -> None:
        """Back to the lecture's steps."""
        self.walk.use_builtin_steps()

    def defaults(self) -> Session:
        """The session of a fresh start."""
        return self.sessions.defaults()

    def current_session(self) -> Session:
        """The session now."""
        return self.sessions.current()

    def apply_session(self, s: Session, *, settings: bool = True, theme: bool = True, geometry: bool = False) -> None:
        """Show session `s` (parts of it)."""
        self.sessions.apply(s, settings=settings, theme=theme, geometry=geometry)

    def restore_geometry(self, g: WindowGeometry | None) -> bool:
        """Use a saved window rectangle if it fits a screen."""
        return self.sessions.restore_geometry(g)

    def save_state(self) -> None:
        """Write the session to the store."""
        self.sessions.save_state()

    def restore_state(self, *, settings: bool = True, theme: bool = True) -> None:
        """Read the store."""
        self.sessions.restore_state(settings=settings, theme=theme)

    def open_session(self, path: str | os.PathLike, *, settings: bool = True, theme: bool = True) -> bool:
        """Load a session file."""
        return self.sessions.open_session(path, settings=settings, theme=theme)

    def save_session(self, path: str | os.PathLike) -> bool:
        """Write a session file."""
        return self.sessions.save_session(path)

    def reset_to_defaults(self) -> None:
        """Defaults everywhere."""
        self.sessions.reset_to_defaults()

    # -- window events -----------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:  # Qt override
        """Save the session on close; rescale text on a resize; see the window back after presentation mode."""
        if obj is self.window:
            if event.type() == QEvent.Type.Close:
                self.save_state()
            elif event.type() == QEvent.Type.Resize:
                if self.presenting:
                    self.apply_fonts()
                    self.present.size_column()
                if self.overlay.isVisible():
                    self.overlay.show_over_parent()
            if event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.WindowStateChange):
                self.present.follow_window()
        return False


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


__all__ = [
    "Classroom",
    "KeyRow",
    "attach",
    "fits_screen",
    "screen_rects",
    "system_theme",
    "theme_palette",
]
