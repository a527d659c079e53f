"""engine.stats: the Gram form of the weight-gradient RMS agrees with the product, or steps aside."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlens.engine import Engine, Settings
from depthlens.engine import layers as layers_module
from depthlens.engine.stats import gram_is_cheaper, gram_rms


def _exact(d: np.ndarray, a: np.ndarray) -> float:
    p = d.astype(np.float64).T @ a.astype(np.float64)
    return float(np.sqrt(np.mean(p * p)))


@settings(max_examples=60, deadline=None)
@given(
    batch=st.integers(1, 24),
    n_out=st.integers(1, 48),
    n_in=st.integers(1, 48),
    log_scale=st.integers(-8, 8),
    dtype=st.sampled_from(["float32", "float64"]),
    seed=st.integers(0, 2**16),
)
def test_gram_rms_is_the_products_rms_to_float_rounding(batch, n_out, n_in, log_scale, dtype, seed):
    rng = np.random.default_rng(seed)
    d = (rng.standard_normal((batch, n_out)) * 10.0**log_scale).astype(dtype)
    a = rng.standard_normal((batch, n_in)).astype(dtype)
    got = gram_rms(d, a)
    if got is None:  # it stepped aside: the product is used instead
        return
    rtol = 2e-5 if dtype == "float32" else 1e-12
    assert got == pytest.approx(_exact(d, a), rel=rtol)


def test_gram_rms_steps_aside_on_cancellation_non_finite_and_extreme_values():
    # d^T a = 0 exactly although neither is: the Gram sum cancels to nothing.
    d = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    a = np.array([[1.0, 0.0], [-1.0, 0.0]], dtype=np.float32)
    assert _exact(d, a) == 0.0 and gram_rms(d, a) is None
    rng = np.random.default_rng(1)
    d = rng.standard_normal((8, 300)).astype(np.float32)
    a = rng.standard_normal((8, 300)).astype(np.float32)
    assert gram_rms(d, a) is not None
    for bad in (np.inf, np.nan):
        d2 = d.copy()
        d2[3, 7] = bad
        assert gram_rms(d2, a) is None  # the product counts the inf/NaN entries
    assert gram_rms(d * np.float32(1e-14), a) is None  # squares near float32's underflow
    assert gram_rms(d * np.float32(1e14), a) is None  # ... and its overflow


def test_the_gram_form_is_chosen_only_where_it_is_cheaper():
    assert gram_is_cheaper(64, 1024, 1024) and gram_is_cheaper(64, 256, 256)
    assert not gram_is_cheaper(256, 256, 256)  # B = n: the product is cheaper
    assert not gram_is_cheaper(2, 6, 6)  # tiny: a few microseconds either way


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "extra",
    [{}, {"activation": "relu", "init": "orthogonal"}, {"residual": 1.0, "norm": "layer"}, {"norm": "batch"}],
)
def test_engine_with_the_gram_form_equals_the_plain_product(monkeypatch, dtype, extra):
    s = Settings(**{"depth": 6, "width": 160, "batch": 16, "dtype": dtype, "activation": "tanh", "scale": 1.1, **extra})
    assert gram_is_cheaper(s.batch, s.width, s.width)
    fast = Engine().compute(s)
    monkeypatch.setattr(layers_module, "gram_is_cheaper", lambda *_: False)
    plain = Engine().compute(s)
    rtol = 2e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(fast.column("weight_grad_rms"), plain.column("weight_grad_rms"), rtol=rtol)
    for column in ("activation_rms", "gradient_rms", "nonfinite_fraction"):
        np.testing.assert_array_equal(fast.column(column), plain.column(column))


def test_an_overflowing_net_counts_its_non_finite_weight_gradients_as_before(monkeypatch):
    s = Settings(depth=40, width=160, batch=16, dtype="float32", activation="linear", init="gaussian", scale=12.0)
    fast = Engine().compute(s)
    monkeypatch.setattr(layers_module, "gram_is_cheaper", lambda *_: False)
    plain = Engine().compute(s)
    assert np.nanmax(plain.column("nonfinite_fraction")) > 0  # the net does overflow
    np.testing.assert_array_equal(fast.column("nonfinite_fraction"), plain.column("nonfinite_fraction"))
    np.testing.assert_allclose(fast.column("weight_grad_rms"), plain.column("weight_grad_rms"), rtol=2e-5)
