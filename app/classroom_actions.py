"""The classroom's actions by id: each one lives on the window, so its key works wherever the focus is."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence


class Actions:
    """Creates the add-on's window actions and keeps them by id (`by_id`, the overlay's ids)."""

    def __init__(self, window) -> None:
        self.window = window
        self.by_id: dict[str, QAction] = {}

    def add(
        self,
        id_: str,
        text: str,
        slot: Callable[[], object],
        keys: tuple[str | QKeySequence, ...] = (),
        tip: str = "",
    ) -> QAction:
        """A new action `id_` with `keys` (window-wide) calling `slot()`."""
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
        self.by_id[id_] = act
        return act

    def adopt(self, id_: str, existing: QAction, key: str) -> None:
        """Give the window's own action `existing` the key `key` (one binding per key)."""
        existing.setShortcut(QKeySequence(key))
        existing.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.window.addAction(existing)  # its key works while its menu or toolbar is hidden
        self.by_id[id_] = existing

    def reconcile(self) -> None:
        """One binding per key: other window actions lose keys that these actions use."""
        mine = {id(a) for a in self.by_id.values()}
        taken = {seq.toString() for a in self.by_id.values() for seq in a.shortcuts()}
        for act in self.window.findChildren(QAction):
            if id(act) in mine or not act.shortcuts():
                continue
            keep = [s for s in act.shortcuts() if s.toString() not in taken]
            if len(keep) != len(act.shortcuts()):
                act.setShortcuts(keep)
