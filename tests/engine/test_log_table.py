"""The recursion's table of ln E[phi^2], ln E[phi'^2] agrees with the quadrature to float rounding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine import log_table as LT
from depthlens.engine import theory
from depthlens.engine.activations import TABLE
from depthlens.engine.gauss import CLOSED_FORMS, moments

SMOOTH = [name for name in TABLE if name not in CLOSED_FORMS]


def _logs(activation: str, log_v: float) -> tuple[float, float]:
    f, g = moments(activation, math.exp(log_v))
    return math.log(f), math.log(g)


@pytest.mark.parametrize("activation", SMOOTH)
def test_table_equals_the_quadrature_to_rounding(activation: str) -> None:
    table = LT.log_table(activation)
    rng = np.random.default_rng(4)
    points = list(rng.uniform(LT.LOG_V_LO, LT.LOG_V_HI, 1500))
    inside = round((LT.LOG_V_HI - LT.LOG_V_LO) / LT._H)  # segments within the range (one more past its top)
    points += [table.centres[i] + d * LT._H for i in (0, 1, 137, inside - 1) for d in (-0.5, 0.0, 0.4999)]
    points += [LT.LOG_V_LO, np.nextafter(LT.LOG_V_HI, 0.0)]
    worst = 0.0
    for s in points:
        got = table(float(s))
        assert got is not None
        want = _logs(activation, float(s))
        # The logs themselves carry an absolute rounding of ~1e-16 * |log|: compare relative to that.
        worst = max(worst, *(abs(a - b) / max(1.0, abs(b)) for a, b in zip(got, want, strict=True)))
    assert worst < 4e-15


def test_outside_its_range_the_table_declines() -> None:
    table = LT.log_table("tanh")
    assert table(LT.LOG_V_HI) is None
    assert table(LT.LOG_V_LO - 1e-9) is None
    assert table(math.inf) is None and table(-math.inf) is None and table(math.nan) is None


NETS = [
    ("tanh", 1.0, 0.0),
    ("tanh", 2.5, 0.3),
    ("gelu", 1.7, 0.0),
    ("swish", 0.6, 0.1),
    ("selu", 1.0, 0.0),
    ("sigmoid", 3.0, 0.05),
    ("gelu", 60.0, 0.0),  # explodes past the table's range
]


@pytest.mark.parametrize(("activation", "scale", "bias_std"), NETS)
def test_the_recursion_with_the_table_equals_the_quadrature_recursion(monkeypatch, activation, scale, bias_std):
    theory.clear_recursions()
    fast = theory.mean_field(activation, scale, bias_std, 400)
    theory.clear_recursions()
    monkeypatch.setattr(theory, "log_table", lambda name: lambda log_v: None)
    slow = theory.mean_field(activation, scale, bias_std, 400)
    theory.clear_recursions()
    assert not np.array_equal(fast.activation_rms, slow.activation_rms)  # two routes were taken
    for a, b in ((fast.activation_rms, slow.activation_rms), (fast.gradient_rms, slow.gradient_rms)):
        finite = np.isfinite(b)
        assert np.array_equal(np.isfinite(a), finite)
        np.testing.assert_allclose(a[finite], b[finite], rtol=1e-12, atol=0)
