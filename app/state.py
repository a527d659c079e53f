"""What the user chose, owned in one place: the network, the view, the theme, text size, theory.

Controls, chart, readout, docks and classroom bind to these signals; none of them keeps
its own copy of "the current settings" (a `Result` carries the settings it was computed
for, which is what a view draws). Each setter validates, stores and emits only on a real
change, so binding both ways never loops.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from depthlens.engine import Settings

from .session import FONT_SCALE_RANGE, THEMES, VIEWS


class AppState(QObject):
    """The user's choices, with one change signal each."""

    settings_changed = Signal(object)  # Settings
    view_changed = Signal(str)
    theme_changed = Signal(str)
    font_scale_changed = Signal(float)
    theory_shown_changed = Signal(bool)

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        view: str = "both",
        theme: str = "light",
        font_scale: float = 1.0,
        theory_shown: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings or Settings()
        self._view = _one_of("view", view, VIEWS)
        self._theme = _one_of("theme", theme, THEMES)
        self._font_scale = _clamp_font(font_scale)
        self._theory_shown = bool(theory_shown)

    @property
    def settings(self) -> Settings:
        """The network the user chose (validated, immutable)."""
        return self._settings

    def set_settings(self, settings: Settings) -> None:
        """Choose a network; emits `settings_changed` if it differs."""
        if not isinstance(settings, Settings):
            raise TypeError(f"settings must be Settings, got {type(settings).__name__}")
        self._set("settings", settings)

    @property
    def view(self) -> str:
        """The quantity the chart shows (activations, gradients, weight_gradients, both)."""
        return self._view

    def set_view(self, view: str) -> None:
        """Choose the chart's quantity."""
        self._set("view", _one_of("view", view, VIEWS))

    @property
    def theme(self) -> str:
        """The colour theme's name."""
        return self._theme

    def set_theme(self, theme: str) -> None:
        """Choose a colour theme."""
        self._set("theme", _one_of("theme", theme, THEMES))

    @property
    def font_scale(self) -> float:
        """The user's text size factor (1 = normal), clamped to the allowed range."""
        return self._font_scale

    def set_font_scale(self, k: float) -> None:
        """Choose a text size factor (clamped)."""
        self._set("font_scale", _clamp_font(k))

    @property
    def theory_shown(self) -> bool:
        """Whether the theory line is drawn."""
        return self._theory_shown

    def set_theory_shown(self, on: bool) -> None:
        """Show or hide the theory line."""
        self._set("theory_shown", bool(on))

    def _set(self, name: str, value: object) -> None:
        # Store and emit `<name>_changed` only on a real change (so two-way binding never loops).
        if value != getattr(self, "_" + name):
            setattr(self, "_" + name, value)
            getattr(self, name + "_changed").emit(value)


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _clamp_font(k: float) -> float:
    lo, hi = FONT_SCALE_RANGE
    return min(max(float(k), lo), hi)
