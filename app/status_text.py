"""What the window's status bar says about a compute: done (and whether its weights fit), or how far.

Plain functions of the result, the weight cache and the progress, so the words are tested
without a window.
"""

from __future__ import annotations

from depthlens.engine import Result
from depthlens.engine.jobs import time_left
from depthlens.engine.weights import MIB, WeightCache, network_bytes


def duration(seconds: float) -> str:
    """'3 s', '1 min 20 s': a remaining time."""
    s = max(1, round(seconds))
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60} s"


def computed(result: Result | None, cache: WeightCache) -> str:
    """'Computed 50 layers in 12 ms', and when the net's weights exceed the cache, that they are redrawn."""
    if result is None:
        return ""
    text = f"Computed {result.depth} layers in {result.seconds * 1000:.0f} ms"
    if not cache.fits(result.settings):  # only reads the budget (no lock needed)
        need, budget = network_bytes(result.settings) / MIB, cache.budget_bytes / MIB
        text += f" — its weights ({need:,.0f} MB) exceed the {budget:,.0f} MB weight cache"
        text += ": redrawn on every compute"
    return text


def progress(doing: str, fraction: float, elapsed: float, *, estimate: bool) -> str:
    """'Computing… 24 %', with the time left once a second has passed (`estimate`)."""
    text = f"{doing}… {100 * fraction:.0f} %"
    if estimate and 0.05 <= fraction < 1.0 and elapsed >= 1.0:
        text += f" — about {duration(time_left(elapsed, fraction))} left"
    return text
