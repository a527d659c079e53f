"""Cyclic garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread allocates when a generation's threshold
is crossed: often the engine thread, in the middle of a job. Widgets freed there (pyqtgraph
items and menus live in reference cycles) are handed to the GUI thread by shiboken, which
destroys them holding the GIL while the engine thread may be inside Qt waiting for the GIL:
one test run deadlocked that way. As pyqtgraph's `GarbageCollector`: automatic collection
is off, and a GUI-thread timer collects each generation whose threshold has been crossed.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500
NAME = "depthlens-gc"
_THRESHOLDS: tuple[int, int, int] = (700, 10, 10)


def disable_automatic() -> None:
    """Turn Python's automatic collection off; `collect_due` then does its work."""
    global _THRESHOLDS
    if gc.isenabled():
        t = gc.get_threshold()
        _THRESHOLDS = (t[0], t[1] if len(t) > 1 else 10, t[2] if len(t) > 2 else 10)
        gc.disable()


def collect_due() -> int:
    """Collect what the automatic collector would have by now (on the calling thread).

    Generation 0 when its count passed the threshold, then 1 and 2 likewise; returns the
    number of unreachable objects found.
    """
    counts = gc.get_count()
    found = 0
    for generation, (count, threshold) in enumerate(zip(counts, _THRESHOLDS, strict=True)):
        if count <= threshold:
            break
        found += gc.collect(generation)
    return found


def install(parent: QObject) -> QTimer:
    """Collect on `parent`'s thread (the GUI thread) from now on; once per `parent`."""
    existing = parent.findChild(QTimer, NAME)
    if existing is not None:
        return existing
    disable_automatic()
    timer = QTimer(parent)
    timer.setObjectName(NAME)
    timer.setInterval(INTERVAL_MS)
    timer.timeout.connect(collect_due)
    timer.start()
    return timer
