"""Analysis-views benchmark (offscreen): event-loop stalls while a slider is dragged with every view on.

At (L, n, B) = (50, 64, 64), tanh, with the Distributions, Phase diagram and Jacobian docks
all visible side by side and the spread band on (K = 8), a 5 s scripted drag of the scale
slider (0.5 -> 2 -> 0.5) and one of the depth slider (25 -> 75 -> 25), one step every
16 ms; a 5 ms QTimer heartbeat measures the longest gap of the GUI event loop. Also counts
how many results of each kind were drawn during the drag.

Run with `python -m bench.views_bench` (QT_QPA_PLATFORM=offscreen by default).
"""

from __future__ import annotations

import itertools
import os
import sys
from collections import Counter

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_STALL_MS = 50.0
KINDS = ("chart", "distributions", "spread", "phase_point", "jacobian")


def _window(settings, views: bool = True):
    from PySide6.QtCore import Qt

    from bench.gui_bench import _wait
    from depthlens.window import MainWindow

    w = MainWindow(settings)
    w.resize(1920, 1080)
    w.show()
    docks = w.analysis
    if not views:
        _wait(lambda: w.chart.result is not None, 60.0)
        return w
    # Side by side (not tabbed), so that all three are visible at once.
    order = ("distributions", "phase", "jacobian")
    w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, docks.docks[order[0]])
    for a, b in itertools.pairwise(order):
        w.splitDockWidget(docks.docks[a], docks.docks[b], Qt.Orientation.Horizontal)
    for name in order:
        docks.show_view(name)
    docks.set_spread(True, seeds=8)

    def ready():
        return (
            all(docks.is_visible(n) for n in order)
            and docks.distributions_view.dist is not None
            and docks.phase_view.diagram is not None
            and docks.jacobian_view.spectrum is not None
            and docks.band is not None
            and docks.band.spread is not None
            and docks.band.spread.complete == 8
        )

    if not _wait(ready, 60.0):
        raise RuntimeError("the views never showed their first results")
    return w


def drag(which: str, seconds: float = 5.0, views: bool = True) -> tuple[float, float, Counter, int]:
    """(max gap ms, p99 gap ms, results drawn per kind, slider steps) for a drag of `which`.

    `views` False: the same drag with every analysis view hidden and the spread off (baseline).
    """
    from bench.gui_bench import drag_stalls
    from depthlens.engine import Settings

    s0 = Settings(depth=50, width=64, batch=64, activation="tanh", init="gaussian", scale=1.0)
    w = _window(s0, views)
    shown: Counter = Counter()
    # Count what is drawn (the handlers the pacer runs), not what arrives: a result
    # superseded before its turn is never drawn.
    for kind, handler in list(w._job_handlers.items()):

        def counted(result, kind=kind, handler=handler):
            shown.update([kind])
            handler(result)

        w._job_handlers[kind] = counted
    control = w.controls.scale if which == "scale" else w.controls.depth_control
    lo, hi = (0.5, 2.0) if which == "scale" else (25, 75)
    try:
        worst, p99, steps = drag_stalls(control, lo, hi, seconds, integer=which == "depth", settle=(0.5, 0.5))
    finally:
        w.close()
    return worst, p99, shown, steps


def main() -> int:
    """Run both drags and print a table."""
    from depthlens.main import make_app

    app = make_app()
    rows = []
    for which in ("scale", "depth"):
        for views in (False, True):
            worst, p99, shown, steps = drag(which, views=views)
            counts = ", ".join(f"{k} {shown.get(k, 0)}" for k in KINDS)
            what = f"{which} drag, " + ("all views + spread" if views else "views hidden (baseline)")
            rows.append((what, f"max {worst:.1f} ms, p99 {p99:.1f} ms", steps, counts))
    del app
    print(f"\nAnalysis views benchmark ({os.environ.get('QT_QPA_PLATFORM')}, {os.cpu_count()} CPUs)")
    print("(L,n,B) = (50,64,64) tanh; Distributions + Phase + Jacobian docks visible, spread K = 8 on")
    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print(f"{'measure':<{w1}}  {'event-loop stall':<{w2}}  target     steps  results drawn during the drag")
    for a, b, steps, counts in rows:
        print(f"{a:<{w1}}  {b:<{w2}}  <= {TARGET_STALL_MS:.0f} ms  {steps:>5}  {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
