"""How long a computation will take, from its size: the engine thread's hold-or-cancel rule.

A request that arrives while the chart job runs may wait for it (so a drag shows every
frame) only if that job will be done soon. "Soon" is judged from the running job's own
size, calibrated by the last measured run, never from how quick the last one was: a
one-layer net followed by a 1000-layer one must not make the next request wait for it.
"""

from __future__ import annotations

from .config import Settings
from .layers import multiply_adds

LAYER_OVERHEAD = 20_000  # elementwise passes and Python per layer, in multiply-adds


def work_units(settings: Settings) -> float:
    """Multiply-adds of one forward + backward pass (the layer kind's products) plus overhead."""
    s = settings
    per_layer = multiply_adds(s)
    per_layer += 8.0 * s.batch * s.width + LAYER_OVERHEAD
    return s.depth * per_layer


def expected_seconds(settings: Settings, calibration: tuple[Settings, float] | None) -> float:
    """Expected run time of `settings`, scaled from a measured (settings, seconds) run."""
    if calibration is None:
        return work_units(settings) / 2e9  # a conservative 2 GFLOP/s before any measurement
    measured, seconds = calibration
    return seconds * work_units(settings) / max(work_units(measured), 1.0)
