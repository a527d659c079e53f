"""Hypothesis strategies of legal networks, shared by the engine's property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from depthlens.engine import ACTIVATIONS, DTYPES, INITS, INPUTS, Settings


def networks(depth: int, width: int, batch: int, **fields: Any) -> st.SearchStrategy[Settings]:
    """`Settings` up to `depth` x `width` x `batch`, any activation, init, input, scale, bias, seed, dtype.

    `fields` replaces (or adds) the strategy of a setting, e.g. `loss=st.sampled_from(LOSSES)`.
    """
    base: dict[str, Any] = {
        "depth": st.integers(1, depth),
        "width": st.integers(1, width),
        "batch": st.integers(1, batch),
        "activation": st.sampled_from(ACTIVATIONS),
        "init": st.sampled_from(INITS),
        "scale": st.floats(1e-3, 10.0),
        "bias_std": st.floats(0.0, 1.0),
        "input": st.sampled_from(INPUTS),
        "seed": st.integers(0, 2**32 - 1),
        "dtype": st.sampled_from(DTYPES),
    }
    return st.builds(Settings, **{**base, **fields})
