"""The walkthrough as a dock: steps turn with Page Up / Page Down and check their claims live.

Each step applies its settings and view through the window's host API; the panel shows
the caption and, once the chart shows the step's result, the caption's checks measured
on it (`walkthrough.Check`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMenu, QMessageBox

from depthlens.engine import Result
from depthlens.widgets.walkthrough_panel import WalkthroughPanel

from .classroom_actions import Actions
from .walkthrough import Step, WalkthroughError, default_steps, load_steps

DOCK_SHARE = 0.3  # the bottom dock's most height (its text scrolls beyond): the chart has priority
DOCK_FRAME = 20  # the dock's title bar and frame around the panel (at least)
CHANGED = (
    "The settings were changed since this step, so its checks are not shown; "
    "choose the step again in the list above to return to it."
)


class Walkthrough:
    """The steps, the step shown and the panel's dock on `window`."""

    def __init__(self, window, actions: Actions, report: Callable[[str], None], presenting: Callable[[], bool]) -> None:
        self.window = window
        self.report = report
        self.presenting = presenting
        self._last_dir = str(Path.cwd())
        self.steps: tuple[Step, ...] = ()
        self.step_index = -1
        self.opened_training = False  # a training step showed the lab: a later step hides it again
        try:
            self.steps = default_steps()
        except (WalkthroughError, OSError) as exc:
            report(f"Walkthrough steps: {exc}")
        self.panel = WalkthroughPanel()
        self.panel.next_requested.connect(self.next_step)
        self.panel.previous_requested.connect(self.previous_step)
        self.panel.step_chosen.connect(self.go_to_step)
        self.error_box: QMessageBox | None = None
        self.dock = QDockWidget("Walkthrough", window)
        self.dock.setObjectName("walkthrough")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.toggle_action = window.add_dock(
            self.dock, Qt.DockWidgetArea.BottomDockWidgetArea, menu_text="Show the walkthrough panel"
        )
        self.dock.hide()
        a = actions.add
        a("next_step", "Next step", self.next_step, ("PgDown",), "Next walkthrough step (Page Down).")
        a("previous_step", "Previous step", self.previous_step, ("PgUp",), "Previous walkthrough step (Page Up).")
        a("restart_steps", "&Restart the walkthrough", self.restart, (), "Back to the first step.")
        a("open_steps", "Open steps &file…", self.open_steps_dialog, (), "Load your own walkthrough steps (JSON).")
        a("builtin_steps", "&Lecture steps (built in)", self.use_builtin_steps, (), "The lecture's nine steps.")
        self.jump_menu = QMenu("&Go to step")
        self._list_steps()
        window.chart.result_shown.connect(self._on_result_shown)

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

    def restart(self) -> None:
        """Back to the first step."""
        if self.steps:
            self.go_to_step(0)

    def go_to_step(self, index: int, *, apply: bool = True) -> None:
        """Show step `index`, its caption; with `apply` (the default) its settings and view too."""
        step = self.steps[index]
        self.step_index = index
        self.dock.show()
        self.panel.show_step(index, len(self.steps), step.title, step.caption)
        if apply:
            self.window.select_view(step.view)
            if self.window.settings() != step.settings:
                self.window.set_settings(step.settings)
            self._show_training(step)
        self.fit_dock()
        self._on_result_shown(self.window.chart.result)

    def _show_training(self, step: Step) -> None:
        """A training step shows the lab with its settings; the next other step hides what it showed."""
        lab = getattr(self.window, "training", None)
        if lab is None:
            return
        if step.train is not None:
            self.opened_training = self.opened_training or not lab.shown()
            lab.use_config(step.train.config)
        elif self.opened_training:
            self.opened_training = False
            lab.hide()  # paused too: its runs would draw over this step's chart

    def _beside(self) -> list[QDockWidget]:
        """Other docks shown in the bottom row beside the walkthrough (e.g. the loss curve)."""
        w = self.window
        tabbed = w.tabifiedDockWidgets(self.dock)
        return [
            d
            for d in w.docks()
            if d is not self.dock
            and d.isVisible()
            and not d.isFloating()
            and d not in tabbed
            and w.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea
        ]

    def fit_dock(self) -> None:
        """In the bottom dock: as tall as the step's text needs, at most DOCK_SHARE of the window.

        When other docks share the bottom row (a view, the loss curve) the row is theirs too:
        it keeps the height they were given and the caption scrolls if it needs more.
        """
        bottom = self.window.dockWidgetArea(self.dock) == Qt.DockWidgetArea.BottomDockWidgetArea
        if self.presenting() or not bottom or self.dock.isFloating() or self.dock.isHidden() or self._beside():
            return
        width = self.dock.width() if self.dock.width() > 100 else self.window.width()
        frame = self.dock.height() - self.panel.height() if self.panel.height() > 0 else 0
        frame = max(frame, DOCK_FRAME) + 8
        height = min(self.panel.needed_height(width) + frame, round(DOCK_SHARE * self.window.height()))
        if height != self.dock.height():
            self.window.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)

    def _list_steps(self) -> None:
        """The step titles in the panel's jump box and in Walkthrough > Go to step."""
        self.panel.set_titles([s.title for s in self.steps])
        self.jump_menu.clear()
        for i, step in enumerate(self.steps):
            act = self.jump_menu.addAction(step.title)
            act.triggered.connect(lambda _=False, i=i: self.go_to_step(i))

    def current_step(self) -> Step | None:
        """The step shown, if any."""
        return self.steps[self.step_index] if 0 <= self.step_index < len(self.steps) else None

    def leave(self) -> None:
        """No step shown, the panel hidden (reset to defaults)."""
        self.step_index = -1
        self.dock.hide()
        if self.opened_training:
            self.opened_training = False
            self.window.training.hide()

    def _on_result_shown(self, result: Result | None) -> None:
        step = self.current_step()
        if step is None:
            return
        if result is None or result.partial is not None or result.settings != step.settings:  # partial: still computing
            if self.window.settings() == step.settings:
                self.panel.show_checks([], "Computing…")
            else:
                self.panel.show_checks([], CHANGED)
        else:
            self.panel.show_checks([check.evaluate(result) for check in step.live_checks])
        self.fit_dock()  # the check lines change the text's height

    def set_steps(self, steps: tuple[Step, ...]) -> None:
        """Use these steps (from 'Open steps file…'); start before the first."""
        self.steps = steps
        self.step_index = -1
        self._list_steps()
        if steps:
            self.go_to_step(0)

    def load_steps_file(self, path: str | os.PathLike) -> bool:
        """Load a teacher's steps file; on error report one line and keep the current steps."""
        try:
            steps = load_steps(path)
        except WalkthroughError as exc:
            line = f"Walkthrough steps {exc}; keeping the current steps"
            self.report(line)
            self._show_error(" ".join(line.split()))
            return False
        self.set_steps(steps)
        return True

    def _show_error(self, text: str) -> None:
        """A bad steps file in a dialog (not modal: the lesson goes on behind it)."""
        if self.error_box is not None:
            self.error_box.close()
        ok = QMessageBox.StandardButton.Ok
        box = QMessageBox(QMessageBox.Icon.Warning, "Walkthrough steps", text, ok, self.window)
        box.setInformativeText("The steps file format is described in the README, section Walkthrough steps.")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: setattr(self, "error_box", None))
        box.open()
        self.error_box = box

    def builtin(self) -> bool:
        """True while the lecture's own steps are used (a session remembers the step then)."""
        try:
            return self.steps == default_steps()
        except (WalkthroughError, OSError):
            return False

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
