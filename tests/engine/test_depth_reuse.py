"""Depth drags start from the last forward pass: every number equals a fresh compute, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlens.engine import COLUMNS as ENGINE_COLUMNS
from depthlens.engine import Engine, Settings
from depthlens.engine.propagate import forward_key

COLUMNS = tuple(c for c in ENGINE_COLUMNS if c != "layer")  # every column, the theory's too


def _same(a, b, what):
    for column in COLUMNS:
        x, y = a.column(column), b.column(column)
        assert x.shape == y.shape and x.tobytes() == y.tobytes(), (what, column)


@settings(max_examples=25, deadline=None)
@given(
    depths=st.lists(st.integers(1, 40), min_size=2, max_size=6),
    activation=st.sampled_from(["tanh", "relu", "linear", "gelu", "sigmoid"]),
    init=st.sampled_from(["gaussian", "orthogonal", "uniform", "identity", "zeros"]),
    bias=st.sampled_from([0.0, 0.3]),
    block=st.sampled_from(
        [{}, {"residual": 1.0}, {"norm": "layer"}, {"norm": "batch"}, {"residual": 0.5, "norm": "layer"}]
    ),
    dtype=st.sampled_from(["float32", "float64"]),
    scale=st.floats(0.5, 2.0),
)
def test_any_sequence_of_depths_equals_fresh_computes(depths, activation, init, bias, block, dtype, scale):
    engine = Engine()  # one engine, its workspace carried from depth to depth
    for depth in depths:
        s = Settings(
            **{
                "depth": depth,
                "width": 12,
                "batch": 6,
                "activation": activation,
                "init": init,
                "bias_std": bias,
                "dtype": dtype,
                "scale": scale,
                **block,
            }
        )
        _same(engine.compute(s), Engine().compute(s), depth)


def test_growing_by_one_layer_computes_one_layer_forward_and_shrinking_none():
    engine = Engine()
    base = Settings(depth=30, width=16, batch=8, activation="tanh", scale=1.1)
    engine.compute(base)
    assert engine.workspace.reused_layers == 0
    engine.compute(base.replace(depth=31))
    assert engine.workspace.reused_layers == 30
    engine.compute(base.replace(depth=10))
    assert engine.workspace.reused_layers == 10
    engine.compute(base.replace(depth=31))  # the 31-layer pass is still kept
    assert engine.workspace.reused_layers == 31
    engine.compute(base.replace(depth=31, scale=1.2))  # another scale: nothing to reuse
    assert engine.workspace.reused_layers == 0


def test_a_skip_scaled_by_the_depth_is_never_reused():
    s = Settings(depth=10, width=8, batch=4, residual=1.0, residual_scaling="sqrt_depth")
    assert forward_key(s) is None
    engine = Engine()
    engine.compute(s)
    engine.compute(s.replace(depth=11))
    assert engine.workspace.reused_layers == 0
    _same(engine.compute(s.replace(depth=12)), Engine().compute(s.replace(depth=12)), 12)


def test_a_cancelled_run_leaves_nothing_to_reuse():
    from depthlens.engine import Progress

    engine = Engine()
    s = Settings(depth=20, width=8, batch=4, activation="relu")
    engine.compute(s)
    steps = engine.compute_steps(s.replace(depth=25, scale=1.3))  # another key: the buffers get overwritten
    for _, step in zip(range(5), steps, strict=False):
        assert isinstance(step, Progress)
    steps.close()  # cancelled half-way through its forward pass
    out = engine.compute(s.replace(depth=22))
    assert engine.workspace.reused_layers == 0
    _same(out, Engine().compute(s.replace(depth=22)), 22)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_float_results_do_not_alias_the_kept_buffers(activation):
    engine = Engine()
    s = Settings(depth=8, width=8, batch=4, activation=activation)
    first = engine.compute(s)
    kept = first.column("activation_rms").copy()
    engine.compute(s.replace(depth=12))
    engine.compute(s.replace(depth=3))
    np.testing.assert_array_equal(first.column("activation_rms"), kept)
