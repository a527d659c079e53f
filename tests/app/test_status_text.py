"""The status bar's words: a finished compute, weights that exceed the cache, progress and time left."""

from __future__ import annotations

from depthlens import status_text
from depthlens.engine import Engine, Settings
from depthlens.engine.weights import WeightCache, network_bytes


def test_durations() -> None:
    assert [status_text.duration(x) for x in (0.2, 3.4, 59.6, 80)] == ["1 s", "3 s", "1 min 0 s", "1 min 20 s"]


def test_computed_says_when_the_weights_exceed_the_cache() -> None:
    s = Settings(depth=6, width=32, batch=4)
    r = Engine().compute(s)
    assert status_text.computed(None, WeightCache()) == ""
    fits = status_text.computed(r, WeightCache(network_bytes(s)))
    assert fits.startswith("Computed 6 layers in ") and "exceed" not in fits
    short = status_text.computed(r, WeightCache(network_bytes(s) - 1))
    assert "exceed the 0 MB weight cache: redrawn on every compute" in short


def test_progress_gives_the_time_left_after_a_second() -> None:
    assert status_text.progress("Computing", 0.25, 0.5, estimate=True) == "Computing… 25 %"
    assert status_text.progress("Computing", 0.25, 10.0, estimate=True) == "Computing… 25 % — about 30 s left"
    assert status_text.progress("Exporting the network", 0.25, 10.0, estimate=False) == "Exporting the network… 25 %"
    assert status_text.progress("Computing", 0.01, 10.0, estimate=True) == "Computing… 1 %"  # too early to tell
