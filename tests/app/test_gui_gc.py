"""Cyclic garbage is collected on the GUI thread only, by its timer, never on another thread."""

from __future__ import annotations

import gc
import threading
import weakref

from depthlens import gui_gc
from depthlens.main import make_app


class _Node:
    """Something that lives in a reference cycle, as pyqtgraph items and menus do."""

    def __init__(self) -> None:
        self.me = self


def _cycle_garbage() -> weakref.ref:
    node = _Node()
    ref = weakref.ref(node)
    del node
    return ref


def test_automatic_collection_is_off_and_one_timer_collects_on_the_gui_thread(qapp):
    timer = gui_gc.install(qapp)
    assert not gc.isenabled()
    assert timer.isActive() and timer.thread() is qapp.thread()
    assert gui_gc.install(qapp) is timer and make_app().findChildren(type(timer), gui_gc.NAME) == [timer]


def test_another_thread_allocating_past_every_threshold_collects_nothing():
    refs: list[weakref.ref] = []
    kept: list[list] = []  # alive, so the allocation count stays past the thresholds

    def churn() -> None:
        refs.append(_cycle_garbage())
        kept.append([[i] for i in range(50_000)])  # far past generation 0's threshold

    t = threading.Thread(target=churn)
    t.start()
    t.join()
    assert refs[0]() is not None  # the cycle outlived the thread's allocations
    gui_gc.collect_due()  # here, on the GUI thread
    assert refs[0]() is None


def test_the_timer_collects_a_cycle_without_being_asked(qtbot):
    ref = _cycle_garbage()
    # Far past generation 0's threshold: the count is allocations minus frees, and the
    # event loop may free thousands of a previous test's objects while we wait.
    kept = [[i] for i in range(100_000)]
    assert ref() is not None and kept
    qtbot.waitUntil(lambda: ref() is None, timeout=3 * gui_gc.INTERVAL_MS)


def test_collect_due_does_nothing_below_the_threshold():
    gc.collect()
    ref = _cycle_garbage()
    assert gui_gc.collect_due() == 0
    assert ref() is not None
    gc.collect()
