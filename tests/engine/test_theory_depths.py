"""The mean-field recursion is run once per (activation, scale, bias) as deep as asked: same bits as a fresh run."""

from __future__ import annotations

import pytest

from depthlens.engine import theory


def _fresh(activation, scale, bias, depth):
    theory.clear_recursions()
    return theory.mean_field(activation, scale, bias, depth)


@pytest.mark.parametrize(
    ("activation", "scale", "bias"),
    [("tanh", 1.0, 0.0), ("tanh", 1.3, 0.05), ("gelu", 1.7, 0.0), ("swish", 0.8, 0.3), ("relu", 1.4, 0.1)],
)
def test_any_order_of_depths_gives_the_bits_of_a_fresh_run(activation, scale, bias):
    depths = [40, 5, 300, 299, 1000, 1, 64]
    fresh = {d: _fresh(activation, scale, bias, d) for d in depths}
    theory.clear_recursions()
    for d in depths:  # one cache, asked deeper and shallower in turn
        got = theory.mean_field(activation, scale, bias, d)
        for field in ("activation_rms", "gradient_rms", "chi"):
            a, b = getattr(got, field), getattr(fresh[d], field)
            assert a.shape == (d + 1,) and a.tobytes() == b.tobytes(), (d, field)


@pytest.mark.parametrize(("scale", "bias"), [(0.5, 0.3), (1.5, 0.0)])
def test_a_recursion_that_reaches_its_fixed_point_repeats_it_when_extended(scale, bias):
    theory.clear_recursions()
    short = theory.mean_field("tanh", scale, bias, 600)  # settles on q* exactly within 600 layers
    assert next(iter(theory._RECURSIONS.values())).fixed
    long = theory.mean_field("tanh", scale, bias, 1500)
    assert long.activation_rms[:601].tobytes() == short.activation_rms.tobytes()
    assert long.activation_rms.tobytes() == _fresh("tanh", scale, bias, 1500).activation_rms.tobytes()
    assert long.gradient_rms.tobytes() == _fresh("tanh", scale, bias, 1500).gradient_rms.tobytes()


def test_returned_arrays_are_the_callers_own():
    theory.clear_recursions()
    first = theory.mean_field("tanh", 1.1, 0.0, 50)
    first.activation_rms[:] = -1.0
    first.chi[:] = -1.0
    again = theory.mean_field("tanh", 1.1, 0.0, 50)
    assert (again.activation_rms > 0).all() and not (again.chi[1:] == -1.0).any()
