"""A compute's memory is estimated to within 15 % of what it allocates, and refused before it starts."""

from __future__ import annotations

import tracemalloc

import pytest

from depthlens.engine import Engine, Settings
from depthlens.engine import memory as M
from depthlens.engine.weights import WeightCache, network_bytes

NETS = [
    Settings(depth=120, width=256, batch=128, activation="relu"),
    Settings(depth=120, width=256, batch=128, activation="tanh"),
    Settings(depth=40, width=384, batch=96, activation="tanh", dtype="float64"),
    Settings(depth=80, width=256, batch=128, activation="relu", residual=1.0, norm="layer"),
    Settings(depth=60, width=256, batch=256, activation="relu", norm="batch"),
    Settings(depth=40, width=512, batch=32, activation="linear", init="orthogonal"),
]


@pytest.mark.parametrize("pooled", [True, False])
@pytest.mark.parametrize("settings", NETS, ids=lambda s: f"{s.activation}-{s.norm}-{s.dtype}")
def test_the_estimate_is_within_15_percent_of_the_peak_allocation(settings, pooled):
    eng = Engine()
    if not pooled:
        eng.workspace.max_bytes = 0  # fresh arrays per layer, as for a net too big to pool
    eng.compute(settings.replace(depth=1))  # imports, tables and the workspace's first shape
    eng.cache.clear()
    estimate = M.compute_bytes(settings, eng.cache, pooled=eng.workspace.fits(settings))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        eng.compute(settings)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert 0.85 <= estimate / peak <= 1.15, (estimate, peak)


def test_weights_count_only_as_far_as_the_cache_will_keep_them():
    s = Settings(depth=100, width=512, batch=8)
    assert M.compute_parts(s)[1] == network_bytes(s)
    assert M.compute_parts(s, WeightCache(10 * 2**20))[1] == 10 * 2**20  # the cache stops at its budget
    cache = WeightCache(2**30)
    cache.matrix("gaussian", 0, 512, 1, "float32")
    assert M.compute_parts(s, cache)[1] == network_bytes(s) - cache.nbytes
    other = WeightCache(2**30)  # another net's weights do not count as this one's
    other.matrix("gaussian", 0, 256, 1, "float32")
    assert M.compute_parts(s, other)[1] == network_bytes(s)
    full = WeightCache(512 * 512 * 4)  # full of another net: this one's evict it, no growth
    full.matrix("gaussian", 1, 512, 7, "float32")  # seed 1: not this net's
    assert M.compute_parts(s, full)[1] == 0


def test_a_compute_that_does_not_fit_is_refused_in_one_line():
    s = Settings(depth=1000, width=1024, batch=512, activation="relu")
    need = M.compute_bytes(s)
    with pytest.raises(M.OutOfMemory) as info:
        M.check_compute(s, available=int(need / 2))
    text = str(info.value)
    assert "\n" not in text
    assert text == (
        f"needs {need / 1e9:.1f} GB, {0.9 * need / 2e9:.1f} GB usable (90% of the {need / 2e9:.1f} GB free): "
        "lower the depth, width or batch, or the weight cache"
    )
    M.check_compute(s, available=int(need / M.HEADROOM) + 1)  # fits: no error


def test_small_computes_and_unknown_memory_are_not_checked(monkeypatch):
    monkeypatch.setattr(M, "available_memory", lambda: 1)
    M.check_compute(Settings(depth=50, width=64, batch=64))  # under CHECK_FROM: never asks
    monkeypatch.setattr(M, "available_memory", lambda: None)
    M.check_compute(Settings(depth=1000, width=1024, batch=512))  # not Linux: nothing to go by


def test_the_engine_refuses_before_it_allocates(monkeypatch):
    monkeypatch.setattr(M, "available_memory", lambda: 10**9)
    eng = Engine(budget_bytes=2**30)
    tracemalloc.start()
    try:
        with pytest.raises(M.OutOfMemory):
            eng.compute(Settings(depth=1000, width=1024, batch=512))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20 and len(eng.cache) == 0
