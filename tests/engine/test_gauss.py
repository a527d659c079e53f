"""The fixed-grid expectations (one v per layer of the recursion) against the graded quadrature."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine import gauss
from depthlens.engine.activations import TABLE

SMOOTH = [name for name in TABLE if name not in gauss.CLOSED_FORMS]
V = np.geomspace(1e-30, 1e100, 521)  # the whole range the grid serves, and past both ends


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a)


@pytest.mark.parametrize("activation", SMOOTH)
def test_grid_agrees_with_the_graded_quadrature_to_1e12(activation: str) -> None:
    worst = 0.0
    served = 0
    for v in V:
        fast = gauss.grid_moments(activation, float(v))
        if fast is None:
            continue
        served += 1
        ref = gauss.adaptive_moments(activation, float(v))
        worst = max(worst, _rel(fast[0], ref[0]), _rel(fast[1], ref[1]))
    assert served >= 500  # every v from 1e-30 to ~1e98 in this list
    assert worst < 1e-12, worst


@pytest.mark.parametrize("activation", SMOOTH)
def test_outside_the_grid_moments_is_the_graded_quadrature(activation: str) -> None:
    for v in (1e-40, 1e101, 1e200):
        assert gauss.grid_moments(activation, v) is None
        assert gauss.moments(activation, v) == gauss.adaptive_moments(activation, v)


@pytest.mark.parametrize("activation", SMOOTH)
def test_moments_uses_the_grid_inside_its_range(activation: str) -> None:
    for v in (1e-20, 0.3, 1.0, 7.5, 1e40):
        assert gauss.moments(activation, v) == gauss.grid_moments(activation, v)


def test_window_edges_between_breakpoints_change_nothing_visible() -> None:
    # sigma just below and above a breakpoint moves the window by one interval.
    for k in range(-8, 9):
        sigma = 10.0 ** (k / gauss._FG_PER_DECADE)
        for f in (1 - 1e-12, 1.0, 1 + 1e-12):
            v = (sigma * f) ** 2
            fast = gauss.grid_moments("tanh", v)
            ref = gauss.adaptive_moments("tanh", v)
            assert fast is not None
            assert max(_rel(fast[0], ref[0]), _rel(fast[1], ref[1])) < 1e-12


def test_grid_is_finite_over_its_range() -> None:
    for name in SMOOTH:
        g = gauss._grid(name)
        assert np.isfinite(g.wg).all() and np.isfinite(g.x2).all()
        assert all(math.isfinite(x) for row in g.head for x in row)
