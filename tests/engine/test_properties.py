"""Property tests (hypothesis) and the weight cache."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numeric_checks import assert_finite_or_flagged
from settings_strategies import networks

from depthlens.engine import RANGES, Engine, Settings, SettingsError

valid = networks(40, 24, 8)

ENGINE = Engine()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid)
def test_any_valid_settings_give_finite_or_flagged_results(s):
    res = ENGINE.compute(s)
    m = res.measured
    L = s.depth
    for name in ("activation_rms", "activation_max_abs", "gradient_rms", "nonfinite_fraction"):
        assert getattr(m, name).shape == (L + 1,)
    assert_finite_or_flagged(res)
    assert np.isnan(m.weight_grad_rms[0]) and np.isnan(m.inactive_fraction[0])


invalid_values = {
    "depth": [0, 1001, -5, 2.5, "3", None, True],
    "width": [0, 1025, 1.5],
    "batch": [0, 513],
    "activation": ["softmax", "", 3],
    "init": ["xavier", None],
    "scale": [0.0, -1.0, 32.5, math.nan, math.inf, "1"],
    "bias_std": [-0.1, 1.01, math.nan],
    "input": ["zeros"],
    "seed": [-1, 2**32, 1.5],
    "dtype": ["float16", "int32"],
}


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(sorted(invalid_values)).flatmap(lambda k: st.tuples(st.just(k), st.sampled_from(invalid_values[k])))
)
def test_any_invalid_setting_raises_naming_it(pair):
    name, value = pair
    with pytest.raises(SettingsError) as err:
        Settings(**{name: value})
    assert err.value.name == name
    assert name in str(err.value)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([k for k in RANGES if not isinstance(RANGES[k][0], str)]), st.floats(-1e6, 1e6))
def test_numbers_out_of_range_raise(name, value):
    lo, hi = RANGES[name]
    if name in ("depth", "width", "batch", "seed"):
        value = int(value)
    inside = (lo < value if name == "scale" else lo <= value) and value <= hi
    if inside:
        assert getattr(Settings(**{name: value}), name) == value
    else:
        with pytest.raises(SettingsError):
            Settings(**{name: value})


@pytest.mark.parametrize("init", ["gaussian", "orthogonal"])
def test_same_numbers_with_and_without_a_warm_cache(init):
    s = Settings(depth=20, width=32, batch=8, init=init, activation="tanh", bias_std=0.1)
    cold = Engine().compute(s).measured
    eng = Engine()
    eng.compute(s.replace(scale=3.0, activation="relu"))  # warm the cache with other settings
    warm = eng.compute(s).measured
    for name in ("activation_rms", "gradient_rms", "weight_grad_rms"):
        np.testing.assert_array_equal(getattr(cold, name), getattr(warm, name))


def test_scale_activation_bias_and_batch_never_redraw():
    eng = Engine()
    s = Settings(depth=10, width=16, batch=4, bias_std=0.2)
    eng.compute(s)
    draws = eng.cache.draws
    for change in ({"scale": 2.0}, {"activation": "relu"}, {"bias_std": 0.5}, {"batch": 9}):
        eng.compute(s.replace(**change))
    assert eng.cache.draws == draws
    eng.compute(s.replace(depth=12))  # only the two new layers (matrix + bias each)
    assert eng.cache.draws == draws + 4


def test_adding_a_layer_never_changes_the_others():
    a = Engine().compute(Settings(depth=10, width=8, activation="linear", dtype="float64"))
    b = Engine().compute(Settings(depth=15, width=8, activation="linear", dtype="float64"))
    np.testing.assert_array_equal(a.measured.activation_rms, b.measured.activation_rms[:11])


def test_cache_budget_is_respected_and_numbers_still_right():
    n = 64
    one = n * n * 4
    cache_budget = 5 * one + 10
    eng = Engine(budget_bytes=cache_budget)
    s = Settings(depth=30, width=n, batch=4)
    small = eng.compute(s).measured
    assert eng.cache.nbytes <= cache_budget
    assert len(eng.cache) <= 5
    big = Engine().compute(s).measured
    np.testing.assert_array_equal(small.activation_rms, big.activation_rms)
    np.testing.assert_array_equal(small.gradient_rms, big.gradient_rms)


def test_same_seed_same_numbers_different_seed_different():
    s = Settings(depth=8, width=16, batch=4, init="orthogonal")
    a = Engine().compute(s).measured.activation_rms
    b = Engine().compute(s).measured.activation_rms
    c = Engine().compute(s.replace(seed=1)).measured.activation_rms
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
