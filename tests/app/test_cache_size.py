"""File > Weight cache: automatic or a chosen size, kept in the store (not in session files); --cache-mb for one run."""

from __future__ import annotations

import json

import pytest

from depthlens.engine import Settings
from depthlens.engine import weights as W
from depthlens.engine.weights import MIB
from depthlens.session import Session, SessionError, parse_session

pytest_plugins = ("classroom_util",)

BIG = Settings(depth=40, width=256, batch=4, dtype="float64")  # 40 x 0.5 MiB of weights


def _menu_texts(window) -> list[str]:
    return [a.text() for a in window.cache.menu.actions()]


def _checked(window) -> str:
    return next(a.text() for a in window.cache.menu.actions() if a.isChecked())


def test_automatic_at_start_and_the_menu_offers_sizes(make_window) -> None:
    w = make_window()
    assert w.worker.engine.cache.budget_bytes == w.cache.auto_bytes  # measured once, at start
    assert W.AUTO_FLOOR <= w.cache.auto_bytes <= W.AUTO_CAP
    assert _checked(w).startswith("&Automatic (")
    capped = w.cache.auto_bytes >= W.AUTO_CAP
    assert _checked(w).endswith("the most it takes)" if capped else "half the memory available)")
    assert {"256 MiB", "1 GiB", "8 GiB"} <= set(_menu_texts(w))


def test_choosing_a_size_sets_the_budget_and_the_status_says_when_the_net_no_longer_fits(make_window, qtbot) -> None:
    w = make_window(BIG)
    assert "exceed" not in w._status.text()
    act = next(a for a in w.cache.menu.actions() if a.text() == "256 MiB")
    act.trigger()
    assert w.worker.engine.cache.budget_bytes == 256 * MIB and w.cache.preference == 256
    w.cache.set_preference(16)  # as a hand-edited store could say
    assert _checked(w) == "16 MiB" and w.worker.engine.cache.budget_bytes == 16 * MIB
    assert "exceed the 16 MB weight cache" in w._status.text()


def test_the_preference_round_trips_through_the_store_but_not_session_files(make_room, tmp_path) -> None:
    from depthlens.session import Store

    store = Store(tmp_path / "store.json")
    window, _room = make_room(store=store)
    window.cache.set_preference(1024, user=True)
    window.close()  # the close writes the store
    assert json.loads(store.path.read_text())["cache_mb"] == 1024
    assert "cache_mb" not in json.loads(Session(cache_mb=1024).to_json(with_window=False))

    window2, _ = make_room(store=Store(tmp_path / "store.json"), restore=True)
    assert window2.cache.preference == 1024
    assert window2.worker.engine.cache.budget_bytes == 1024 * MIB


def test_an_override_wins_for_the_run_and_a_menu_choice_ends_it(make_window) -> None:
    w = make_window()
    w.cache.set_preference(512)
    w.cache.set_override(64)
    assert w.worker.engine.cache.budget_bytes == 64 * MIB
    assert _checked(w) == "64 MiB (--cache-mb, this run)"
    assert w.cache.preference == 512  # what the store would keep
    next(a for a in w.cache.menu.actions() if a.text() == "2 GiB").trigger()
    assert w.cache.override is None and w.worker.engine.cache.budget_bytes == 2048 * MIB


@pytest.mark.parametrize("bad", [-1, 5, 1 << 21, "512", 1.5, True])
def test_a_bad_stored_size_is_a_one_line_error(bad) -> None:
    with pytest.raises(SessionError, match="cache_mb must be 0"):
        parse_session(json.dumps({"version": 1, "cache_mb": bad}))


def test_a_good_stored_size_parses() -> None:
    assert parse_session(json.dumps({"version": 1, "cache_mb": 300})).cache_mb == 300
    assert parse_session(json.dumps({"version": 1})).cache_mb == 0


AUTO_TEXTS = [(300, "300 MiB: half the memory available"), (8192, "8 GiB: the most it takes")]


@pytest.mark.parametrize(("auto_mb", "text"), AUTO_TEXTS)
def test_the_automatic_entry_says_its_size_and_why(make_window, monkeypatch, auto_mb, text) -> None:
    from depthlens import cache_size

    monkeypatch.setattr(cache_size, "auto_budget", lambda: auto_mb * MIB)
    w = make_window()
    w.cache = cache_size.CacheSize(w, w.file_menu)  # a second one, built on that machine
    assert _checked(w) == f"&Automatic ({text})"
    assert w.worker.engine.cache.budget_bytes == auto_mb * MIB
