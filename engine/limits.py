"""The ranges the controls offer, defined once (within the settings' own `RANGES`).

The scale slider stops at 0.05 (below it every net vanishes at once) and goes up to 32, so
N(0, 1) weights (sigma_w = s/sqrt(n) = 1) are reachable at every width up to 1024; every
other numeric control spans its setting's whole range.
"""

from __future__ import annotations

from .config import RANGES

SCALE_MIN_CONTROL = 0.05

CONTROL_RANGES: dict[str, tuple[float, float]] = {
    "depth": RANGES["depth"],
    "width": RANGES["width"],
    "batch": RANGES["batch"],
    "scale": (SCALE_MIN_CONTROL, RANGES["scale"][1]),
    "bias_std": RANGES["bias_std"],
    "residual": RANGES["residual"],
}
