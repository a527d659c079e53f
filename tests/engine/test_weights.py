"""The weight cache's budget: automatic from the memory available, or set; a smaller one evicts at once."""

from __future__ import annotations

from depthlens.engine import Engine, Settings
from depthlens.engine import weights as W
from depthlens.engine.weights import MIB, WeightCache, auto_budget, budget_of, network_bytes


def test_automatic_budget_is_half_the_memory_available_within_floor_and_cap() -> None:
    assert auto_budget(4096 * MIB) == 2048 * MIB
    assert auto_budget(64 * 1024 * MIB) == W.AUTO_CAP  # a big machine: the cap
    assert auto_budget(32 * MIB) == W.AUTO_FLOOR  # a tiny one: the floor
    assert auto_budget(0) == W.AUTO_FLOOR


def test_unknown_memory_gives_the_default_budget(monkeypatch) -> None:
    monkeypatch.setattr(W, "available_memory", lambda: None)
    assert auto_budget() == W.DEFAULT_BUDGET


def test_this_machine_reports_its_available_memory() -> None:
    avail = W.available_memory()
    assert avail is not None and avail > 16 * MIB
    assert W.AUTO_FLOOR <= auto_budget() <= W.AUTO_CAP


def test_budget_of_a_preference() -> None:
    assert budget_of(None) == budget_of(0) == auto_budget()
    assert budget_of(300) == 300 * MIB


def test_engine_takes_the_automatic_budget_unless_given_one() -> None:
    assert Engine().cache.budget_bytes == auto_budget()
    assert Engine(64 * MIB).cache.budget_bytes == 64 * MIB


def test_a_smaller_budget_drops_the_least_recently_used_at_once() -> None:
    cache = WeightCache(64 * MIB)
    s = Settings(depth=10, width=256, batch=4, dtype="float64")  # 10 x 0.5 MiB
    for layer in range(1, 11):
        cache.matrix("gaussian", 0, 256, layer, "float64")
    assert len(cache) == 10
    cache.set_budget(2 * MIB - 1)  # room for three 512 KiB matrices, not four
    assert cache.nbytes == 3 * 512 * 1024 and len(cache) == 3
    draws = cache.draws
    cache.matrix("gaussian", 0, 256, 10, "float64")  # the newest stayed
    assert cache.draws == draws
    cache.matrix("gaussian", 0, 256, 1, "float64")  # the oldest went
    assert cache.draws == draws + 1
    assert not cache.fits(s) and WeightCache(network_bytes(s)).fits(s)
