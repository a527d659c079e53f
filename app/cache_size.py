"""The weight cache's size: automatic (half the memory available at start) or one the user picks.

A preference of this machine (kept in the store, not in session files), chosen under
File > Weight cache; `--cache-mb` sets it for one run only. The cache is the engine
thread's, but its budget is lock-protected, so the GUI thread may change it; arrays beyond
a smaller budget are dropped at once.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from depthlens.engine.weights import AUTO_CAP, MIB, auto_budget

CHOICES_MB = (0, 256, 512, 1024, 2048, 4096, 8192, 16384)  # 0: automatic


def _label(mb: int) -> str:
    return f"{mb // 1024} GiB" if mb >= 1024 and mb % 1024 == 0 else f"{mb} MiB"


class CacheSize:
    """The window's weight-cache size: the stored preference and a one-run override."""

    def __init__(self, window, menu: QMenu) -> None:
        self._window = window
        self.auto_bytes = auto_budget()  # measured once, at start
        self.preference = 0  # MiB, 0: automatic (what the store keeps)
        self.override: int | None = None  # --cache-mb for this run (never stored)
        self.menu = menu.addMenu("Weight &cache")
        self.menu.setToolTipsVisible(True)
        self.menu.setToolTip(
            "Memory kept for drawn weight matrices: a net that fits is never redrawn when a slider moves."
        )
        self._group = QActionGroup(self.menu)
        self._actions: dict[int | str, QAction] = {}
        size = _label(self.auto_bytes // MIB)
        why = "the most it takes" if self.auto_bytes >= AUTO_CAP else "half the memory available"
        auto = f"&Automatic ({size}: {why})"
        for mb in CHOICES_MB:
            self._add(mb, auto if mb == 0 else _label(mb))
        self._apply()

    def _add(self, key: int | str, text: str) -> QAction:
        act = QAction(text, self.menu, checkable=True)
        if isinstance(key, int):
            act.triggered.connect(lambda _=False, mb=key: self.set_preference(mb, user=True))
        self._group.addAction(act)
        self.menu.addAction(act)
        self._actions[key] = act
        return act

    @property
    def budget_bytes(self) -> int:
        """The budget in force: the override, else the preference, else automatic."""
        mb = self.override if self.override is not None else self.preference
        return self.auto_bytes if not mb else mb * MIB

    def set_preference(self, mb: int, *, user: bool = False) -> None:
        """Keep `mb` (0: automatic) as this machine's choice; a choice in the menu ends an override."""
        self.preference = int(mb)
        if user:
            self.override = None
        self._apply()

    def set_override(self, mb: int | None) -> None:
        """`--cache-mb` for this run (None: none)."""
        self.override = None if mb is None else int(mb)
        self._apply()

    def _apply(self) -> None:
        shown: int | str = self.preference
        if self.override is not None:
            shown = "run"
            act = self._actions.get("run") or self._add("run", "")
            act.setText(f"{_label(self.override)} (--cache-mb, this run)")
        elif shown not in self._actions:  # a size written by hand into the store
            self._add(shown, _label(int(shown)))
        self._actions[shown].setChecked(True)
        self._window.worker.engine.cache.set_budget(self.budget_bytes)
        self._window.cache_changed()
