"""The classroom's keys: what each one does to the network, the key list, and typing in number boxes.

Plain keys (arrows, 1-8, I, R, T, G) change the settings through the window's host API;
a focused spin box or line edit keeps them (`TypingGuard`); `key_rows` is the shortcut
overlay's list, one row per group of actions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit

from depthlens.engine import ACTIVATIONS, INITS
from depthlens.engine.limits import CONTROL_RANGES
from depthlens.engine.views import VIEW_LABELS, VIEWS

from .classroom_actions import Actions

SCALE_LIMITS = CONTROL_RANGES["scale"]
DEPTH_LIMITS = CONTROL_RANGES["depth"]
MAX_SEED = 2**31 - 1
# Keys that work even while a number box has the focus (everything else goes to the box).
# Page Up/Down stay global so that a presenter clicker always turns the page.
GLOBAL_KEYS = {Qt.Key.Key_F1, Qt.Key.Key_F11, Qt.Key.Key_Escape, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}


@dataclass(frozen=True)
class KeyRow:
    """One line of the shortcut overlay: the keys, what they do, the actions behind them."""

    keys: str
    text: str
    ids: tuple[str, ...]


class TypingGuard(QObject):
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


class NetworkKeys:
    """The keys that change the network, the view or the theory line of `window`."""

    def __init__(self, window, actions: Actions) -> None:
        self.window = window
        a = actions.add
        a("depth_down", "Depth −1", lambda: self.step_depth(-1), ("Left",))
        a("depth_up", "Depth +1", lambda: self.step_depth(1), ("Right",))
        a("depth_down10", "Depth −10", lambda: self.step_depth(-10), ("Shift+Left",))
        a("depth_up10", "Depth +10", lambda: self.step_depth(10), ("Shift+Right",))
        a("scale_up", "Scale ×1.05", lambda: self.multiply_scale(1.05), ("Up",))
        a("scale_down", "Scale ÷1.05", lambda: self.multiply_scale(1 / 1.05), ("Down",))
        a("scale_up25", "Scale ×1.25", lambda: self.multiply_scale(1.25), ("Shift+Up",))
        a("scale_down25", "Scale ÷1.25", lambda: self.multiply_scale(1 / 1.25), ("Shift+Down",))
        for i, name in enumerate(ACTIVATIONS, start=1):
            a(f"activation{i}", f"Activation {name}", partial(self.set_setting, "activation", name), (str(i),))
        a("init", "Next initialisation", self.cycle_init, ("I",))
        a("seed", "New random seed", self.new_seed, ("R",))
        theory = a("theory", "Theory line", self.toggle_theory, ("T",), "Show or hide the theory line (T).")
        theory.setCheckable(True)
        theory.setChecked(window.state.theory_shown)
        window.state.theory_shown_changed.connect(theory.setChecked)
        a("view", "Next quantity shown", self.cycle_view, ("G",))
        # Exports: the window's own actions (one binding per key) get the keys.
        actions.adopt("export_png", window.png_actions["Window size"], "Ctrl+S")
        actions.adopt("export_csv", window.csv_action, "Ctrl+Shift+S")
        actions.adopt("copy", window.copy_action, "Ctrl+C")
        actions.adopt("controls", window.controls_dock_toggle(), "C")  # View > Network controls
        training = getattr(window, "training", None)  # the training lab, when attached
        if training is not None:
            actions.adopt("train", training.toggle_action, "Space")  # Training > Train / Pause

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
        self.window.select_view(VIEWS[(i + 1) % len(VIEWS)])


def key_rows() -> list[KeyRow]:
    """The shortcut overlay's rows, each naming the action ids it documents."""
    acts = " · ".join(f"{i} {n}" for i, n in enumerate(ACTIVATIONS, start=1))
    return [
        KeyRow(
            "← / →", "Depth −1 / +1 (with Shift: −10 / +10)", ("depth_down", "depth_up", "depth_down10", "depth_up10")
        ),
        KeyRow(
            "↑ / ↓",
            "Scale ×1.05 / ÷1.05 (with Shift: ×1.25 / ÷1.25)",
            ("scale_up", "scale_down", "scale_up25", "scale_down25"),
        ),
        KeyRow("1 … 8", f"Activation: {acts}", tuple(f"activation{i}" for i in range(1, 9))),
        KeyRow("I", "Next initialisation (" + " → ".join(INITS) + ")", ("init",)),
        KeyRow("R", "New random seed", ("seed",)),
        KeyRow("T", "Theory line on / off", ("theory",)),
        KeyRow("G", "Next quantity shown (" + " → ".join(VIEW_LABELS[v].lower() for v in VIEWS) + ")", ("view",)),
        KeyRow("C", "Network controls: show / hide (more room for the chart)", ("controls",)),
        KeyRow("Space", "Training lab: train / pause (the chart shows the current step)", ("train",)),
        KeyRow("Page Down / Page Up", "Walkthrough: next / previous step", ("next_step", "previous_step")),
        KeyRow("Ctrl+S", "Export the chart as PNG", ("export_png",)),
        KeyRow("Ctrl+Shift+S", "Export the per-layer numbers as CSV", ("export_csv",)),
        KeyRow("Ctrl+C", "Copy the chart image", ("copy",)),
        KeyRow("Ctrl+= / Ctrl+-", "Larger / smaller text (Ctrl+0: normal)", ("font_up", "font_down", "font_reset")),
        KeyRow("F11", "Presentation mode on / off", ("presentation",)),
        KeyRow("Esc", "Leave presentation mode / close this list", ("escape",)),
        KeyRow("F1 or ?", "Show / hide this list", ("overlay",)),
    ]
