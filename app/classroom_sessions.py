"""Sessions on the window: the store between runs (with geometry), session files, reset to defaults.

Reading order at start: the store, then a `--session` file (see `classroom.attach`); a bad
file is reported in one line and changes nothing; the window's geometry is used only if
it fits a connected screen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog

from . import classroom_look
from .classroom_actions import Actions
from .classroom_look import Look
from .classroom_present import Presentation
from .classroom_walk import Walkthrough
from .session import Session, Store, WindowGeometry, read_session_file, write_session_file


def screen_rects() -> list[QRect]:
    """The geometry of every connected screen."""
    return [s.geometry() for s in QGuiApplication.screens()]


def fits_screen(rect: QRect, screens: list[QRect]) -> bool:
    """True when `rect` lies entirely on one of the `screens`."""
    return rect.isValid() and any(s.contains(rect) for s in screens)


class Sessions:
    """Save and restore what the user chose (settings, theme, view, text size, geometry)."""

    def __init__(
        self,
        window,
        actions: Actions,
        store: Store,
        look: Look,
        walk: Walkthrough,
        present: Presentation,
        report: Callable[[str], None],
    ) -> None:
        self.window, self.store, self.look, self.walk, self.present = window, store, look, walk, present
        self.report = report
        self._last_dir = str(Path.cwd())
        a = actions.add
        a("open_session", "&Open session…", self.open_session_dialog, (), "Open a saved session (JSON).")
        a("save_session", "&Save session…", self.save_session_dialog, (), "Save settings, theme and view (JSON).")
        a("reset", "&Reset to defaults", self.reset_to_defaults, (), "Default settings, theme, view and text size.")

    def defaults(self) -> Session:
        """The session of a fresh start (theme follows the system)."""
        return Session(theme=classroom_look.system_theme())

    def current(self) -> Session:
        """Settings, theme, view, text size and the window's normal geometry now."""
        w = self.window
        rect, maximized = self.present.normal_geometry()
        geom = None
        if rect.isValid() and rect.width() >= 100 and rect.height() >= 100:
            geom = WindowGeometry(rect.x(), rect.y(), rect.width(), rect.height(), maximized)
        step = self.walk.step_index if self.walk.builtin() else -1  # a teacher's file is not remembered
        font = round(self.look.user_font, 4)
        return Session(w.settings(), w.theme_name, w.chart.view, font, geom, step, w.cache.preference)

    def apply(self, s: Session, *, settings: bool = True, theme: bool = True, geometry: bool = False) -> None:
        """Show session `s` (parts of it)."""
        if theme:
            self.look.apply_theme(s.theme)
        self.window.select_view(s.view)
        self.look.set_user_font(s.font_scale)
        if settings and self.window.settings() != s.settings:
            self.window.set_settings(s.settings)
        if 0 <= s.step < len(self.walk.steps) and self.walk.builtin():
            self.walk.go_to_step(s.step, apply=False)  # the caption again; the settings are the session's
        if geometry:  # the store: this machine's window and weight cache
            self.restore_geometry(s.window)
            self.window.cache.set_preference(s.cache_mb)

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
        message = self.store.save(self.current())
        if message:
            self.report(message)

    def restore_state(self, *, settings: bool = True, theme: bool = True) -> None:
        """Read the store; first start: follow the system's light/dark preference."""
        if self.store.is_empty():
            if theme:
                self.look.apply_theme(classroom_look.system_theme())
            self.fit_to_screen()
        else:
            s, err = self.store.load(self.defaults())  # a bad store is moved aside here
            if err:
                self.report(err)
            self.apply(s, settings=settings, theme=theme, geometry=True)
        problem = self.store.check()  # an unwritable config folder is said now, once
        if problem:
            self.report(problem)

    def open_session(self, path: str | os.PathLike, *, settings: bool = True, theme: bool = True) -> bool:
        """Load a session file; a bad one is reported in one line and changes nothing."""
        s, err = read_session_file(path, self.defaults())
        if err:
            self.report(err.replace("; using defaults", "; nothing changed"))
            return False
        self.apply(s, settings=settings, theme=theme)
        return True

    def save_session(self, path: str | os.PathLike) -> bool:
        """Write settings, theme, view and text size to a JSON file (atomically)."""
        try:
            write_session_file(path, self.current())
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
        self.apply(self.defaults())
        self.walk.leave()
        self.window.statusBar().showMessage("Reset to defaults", 5000)
