"""Colour themes: light, dark and high-contrast projector; all colour-blind safe.

Health colours come from the Okabe-Ito palette (safe for the common colour-vision
deficiencies); the three themes differ in background, text and line weight.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Theme:
    """Colours (hex strings) and weights used by the chart, readout and exports."""

    name: str
    label: str
    background: str
    foreground: str
    grid: str
    panel: str  # window/panel background for the Qt palette
    exploding: str
    healthy: str
    vanishing: str
    overflow: str
    theory: str
    gradient_tint: str  # outline of gradient bars when shown beside activations
    line_width: float
    grid_alpha: float
    dark: bool


OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

THEMES: dict[str, Theme] = {
    "light": Theme(
        name="light",
        label="Light",
        background="#FFFFFF",
        foreground="#1A1A1A",
        grid="#B0B0B0",
        panel="#F2F2F2",
        exploding=OKABE_ITO["vermillion"],
        healthy=OKABE_ITO["green"],
        vanishing=OKABE_ITO["blue"],
        overflow=OKABE_ITO["purple"],
        theory="#000000",
        gradient_tint="#404040",
        line_width=2.0,
        grid_alpha=0.35,
        dark=False,
    ),
    "dark": Theme(
        name="dark",
        label="Dark",
        background="#1E1E1E",
        foreground="#E8E8E8",
        grid="#6A6A6A",
        panel="#2B2B2B",
        exploding=OKABE_ITO["orange"],
        healthy=OKABE_ITO["green"],
        vanishing=OKABE_ITO["sky"],
        overflow=OKABE_ITO["purple"],
        theory="#FFFFFF",
        gradient_tint="#C8C8C8",
        line_width=2.0,
        grid_alpha=0.35,
        dark=True,
    ),
    "projector": Theme(
        name="projector",
        label="High-contrast projector",
        background="#000000",
        foreground="#FFFFFF",
        grid="#FFFFFF",
        panel="#000000",
        exploding=OKABE_ITO["orange"],
        healthy=OKABE_ITO["green"],
        vanishing=OKABE_ITO["sky"],
        overflow=OKABE_ITO["yellow"],
        theory="#FFFFFF",
        gradient_tint="#FFFFFF",
        line_width=4.0,
        grid_alpha=0.5,
        dark=True,
    ),
}

DEFAULT_THEME = "light"


def get(name: str) -> Theme:
    """The theme called `name` (light, dark, projector); unknown names give light."""
    return THEMES.get(name, THEMES[DEFAULT_THEME])
