"""GUI benchmark (offscreen): latency, event-loop stalls while dragging, cold start.

1. Latency: a single scale-slider change -> the chart holding the new result (its bars'
   target set; the ~150 ms tween then animates towards it), median and p95, at
   (L, n, B) = (50, 64, 64) and (1000, 64, 64).
2. Stall: the longest gap of a 5 ms QTimer heartbeat during a scripted 5 s drag of the
   depth slider 1 -> 1000 -> 1 (one slider step every 16 ms, like a mouse drag).
3. Cold start: a fresh process (interpreter start included) until the chart has been
   painted with its first result.

Run with `make bench` (QT_QPA_PLATFORM=offscreen) or `python -m bench.gui_bench`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGETS = {"p95": 33.0, "stall": 50.0, "cold": 1500.0}


def _app():
    from depthlens.main import make_app

    return make_app()


def _window(settings):
    from depthlens.window import MainWindow

    w = MainWindow(settings)
    w.resize(1400, 860)
    w.show()
    _wait(lambda: w.result is not None and w.result.settings == settings, 60.0)
    return w


def _wait(cond, timeout_s: float, signal=None) -> bool:
    """Run a real event loop (the GUI thread idles as in the app) until `cond()` holds.

    `cond` is checked whenever `signal` fires, and on a 10 ms poll otherwise.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    if cond():
        return True
    loop = QEventLoop()
    end = time.perf_counter() + timeout_s

    def check(*_):
        if cond() or time.perf_counter() > end:
            loop.quit()

    poll = QTimer()
    poll.setInterval(10)
    poll.timeout.connect(check)
    poll.start()
    if signal is not None:
        signal.connect(check)
    try:
        loop.exec()
    finally:
        poll.stop()
        if signal is not None:
            signal.disconnect(check)
    return cond()


def _pump(seconds: float) -> None:
    _wait(lambda: False, seconds)


def latency(depth: int, n: int = 64, batch: int = 64, samples: int = 40) -> tuple[float, float]:
    """(median, p95) in ms from a scale-slider change to the chart holding the result."""
    from depthlens.engine import Settings

    s0 = Settings(depth=depth, width=n, batch=batch, activation="tanh", init="gaussian", scale=1.0)
    w = _window(s0)
    slider = w.controls.scale.slider
    positions = [w.controls.scale.slider_pos(v) for v in (0.8, 1.0, 1.25, 1.6)]
    times = []
    try:
        for i in range(samples + 3):
            _pump(0.25)  # each change is a fresh, single change (previous tween finished)
            pos = positions[i % len(positions)]
            if slider.value() == pos:
                pos = positions[(i + 1) % len(positions)]
            t0 = time.perf_counter()
            slider.setValue(pos)
            want = w.controls.settings()
            done: list[float] = []

            def shown(r, want=want, done=done):
                if r.settings == want and not done:
                    done.append(time.perf_counter())

            w.chart.result_shown.connect(shown)
            ok = _wait(lambda done=done: bool(done), 30.0, w.chart.result_shown)
            w.chart.result_shown.disconnect(shown)
            if not ok:
                raise RuntimeError("no result within 30 s")
            if i >= 3:  # warm-up: weight cache, theory cache
                times.append((done[0] - t0) * 1000.0)
    finally:
        w.close()
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def first_bars(depth: int = 1000, n: int = 1024, batch: int = 64) -> tuple[float, float, float, float]:
    """A long compute shows its layers as they finish: (first bars ms, whole compute ms) for a
    network never computed before (weights drawn), then for a scale change of it."""
    from depthlens.engine import Settings

    small = Settings(depth=10, width=n, batch=batch, activation="tanh", init="gaussian", scale=1.0)
    w = _window(small)
    out = []
    try:
        for scale in (1.0, 1.1):
            want = small.replace(depth=depth, scale=scale)
            seen: list[float] = []
            real = w.chart.set_result

            def spy(result, *, animate=True, want=want, seen=seen, real=real):
                if result.settings == want:
                    seen.append(time.perf_counter())
                real(result, animate=animate)

            w.chart.set_result = spy
            t0 = time.perf_counter()
            w.set_settings(want)
            _wait(lambda want=want: w.chart.result is not None and w.chart.result.settings == want, 120.0)
            _wait(lambda want=want: w.result is not None and w.result.settings == want, 300.0)
            del w.chart.set_result
            out += [(seen[0] - t0) * 1000.0, (seen[-1] - t0) * 1000.0]
    finally:
        w.close()
    return out[0], out[1], out[2], out[3]


class Heartbeat:
    """A 5 ms QTimer whose beats record the event loop's gaps: `gaps`, in ms, since `start`."""

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000.0)
        self._last = now

    def start(self) -> None:
        """Forget earlier gaps and beat from now on."""
        self.gaps.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        """Stop beating (the gaps stay)."""
        self._timer.stop()


def drag_stalls(control, lo: float, hi: float, seconds: float, *, integer: bool, settle: tuple[float, float]):
    """Drag `control`'s slider lo -> hi -> lo over `seconds`, one step every 16 ms, held down
    like a mouse drag, while a 5 ms QTimer heartbeat records the event loop's gaps.

    Returns (longest gap ms, p99 gap ms, slider steps). `settle` = seconds pumped before/after.
    """
    from PySide6.QtCore import QTimer

    heart = Heartbeat()
    steps = [0]
    t_start = [0.0]

    def to(value: float) -> None:
        control.slider.setValue(control.slider_pos(round(value) if integer else value))

    def move():
        f = (time.perf_counter() - t_start[0]) / seconds
        if f >= 1.0:
            drag.stop()
            to(lo)
            control.slider.setSliderDown(False)  # the mouse button is released
            return
        tri = 2 * f if f < 0.5 else 2 * (1 - f)
        to(lo + tri * (hi - lo))
        steps[0] += 1

    drag = QTimer()
    drag.setInterval(16)
    drag.timeout.connect(move)
    try:
        _pump(settle[0])
        heart.start()
        t_start[0] = time.perf_counter()
        control.slider.setSliderDown(True)  # a mouse drag holds the slider down
        drag.start()
        _wait(lambda: not drag.isActive(), seconds + 30)
        _pump(settle[1])
        heart.stop()
    finally:
        drag.stop()
        heart.stop()
        control.slider.setSliderDown(False)
    gaps = sorted(heart.gaps)
    return gaps[-1], gaps[int(0.99 * (len(gaps) - 1))], steps[0]


def stall(depth_hi: int = 1000, seconds: float = 5.0) -> tuple[float, float, int, int]:
    """(longest heartbeat gap ms, p99 gap ms, results shown, slider steps) during a drag."""
    from depthlens.engine import Settings

    s0 = Settings(depth=1, width=64, batch=64, activation="tanh", init="gaussian", scale=1.0)
    w = _window(s0)
    shown = [0]
    w.chart.result_shown.connect(lambda r: shown.__setitem__(0, shown[0] + 1))
    try:
        worst, p99, steps = drag_stalls(w.controls.depth_control, 1, depth_hi, seconds, integer=True, settle=(0.0, 0.3))
    finally:
        w.close()
    return worst, p99, shown[0], steps


CHILD = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from depthlens.main import make_app
from depthlens.engine import PRESETS
app = make_app()
from depthlens.window import MainWindow
w = MainWindow(PRESETS["lecture-explode"].settings)

class Painted(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint and w.chart.result is not None and not w.chart.animating:
            print("painted", flush=True)
            QTimer.singleShot(0, w.close)
        return False

f = Painted()
w.chart.viewport().installEventFilter(f)
w.show()
sys.exit(app.exec())
"""


def cold_start(runs: int = 3) -> float:
    """Median ms from spawning a process to the first painted chart with a result."""
    times = []
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env)
        assert p.stdout is not None
        line = p.stdout.readline()
        t1 = time.perf_counter()
        p.wait(30)
        if "painted" not in line:
            raise RuntimeError("the child never painted its chart")
        times.append((t1 - t0) * 1000.0)
    return statistics.median(times)


def main() -> int:
    """Run every measurement and print a table."""
    app = _app()
    rows = []
    for depth in (50, 1000):
        med, p95 = latency(depth)
        target = f"p95 <= {TARGETS['p95']:.0f}" if depth == 50 else "-"
        rows.append((f"latency (L,n,B)=({depth},64,64)", f"median {med:.1f} ms, p95 {p95:.1f} ms", target))
    worst, p99, shown, steps = stall()
    rows.append(
        (
            "event-loop stall, 5 s drag 1->1000->1",
            f"max {worst:.1f} ms, p99 {p99:.1f} ms ({shown} results shown for {steps} slider steps)",
            f"<= {TARGETS['stall']:.0f}",
        )
    )
    first, whole, first2, whole2 = first_bars()
    rows.append(
        (
            "first bars of (1000,1024,64), weights new",
            f"{first:.0f} ms (whole compute {whole / 1000:.1f} s)",
            "<= 150",
        )
    )
    rows.append(("first bars after a scale change of it", f"{first2:.0f} ms (whole {whole2 / 1000:.1f} s)", "<= 150"))
    cold = cold_start()
    rows.append(("cold start to first painted chart", f"{cold:.0f} ms (median of 3)", f"<= {TARGETS['cold']:.0f}"))
    del app
    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print(f"\nGUI benchmark ({os.environ.get('QT_QPA_PLATFORM')}, {os.cpu_count()} CPUs)")
    print(f"{'measure':<{w1}}  {'result':<{w2}}  target (ms)")
    for a, b, c in rows:
        print(f"{a:<{w1}}  {b:<{w2}}  {c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
