"""A seeded fuzzer for the window: random keys, slider drags, combo picks, presets, views.

Used by a test (about 500 events) and by `make fuzz` (10,000 events, with a report):
`python tests/app/gui_fuzz.py --events 10000 [--seed S]`.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
import traceback

KEYS = ("Left", "Right", "Up", "Down", "1", "2", "3", "4", "5", "6", "7", "8", "I", "R", "T", "G", "PageDown", "PageUp")


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fuzz(window, n_events: int, seed: int, on_event=None) -> dict:
    """Fire `n_events` random user events at `window`; return counts and exceptions seen."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from depthlens.engine import PRESETS
    from depthlens.engine.views import VIEWS

    rng = random.Random(seed)
    errors: list[str] = []
    old_hook = sys.excepthook

    def hook(kind, value, tb):
        errors.append("".join(traceback.format_exception(kind, value, tb)))

    sys.excepthook = hook
    controls = window.controls
    sliders = [controls.depth_control, controls.scale, controls.width_control, controls.batch, controls.bias_std]
    combos = [controls.activation, controls.init, controls.input, controls.dtype]
    presets = list(PRESETS)
    counts = {"events": 0, "engine_errors": 0}
    seen = set()
    try:
        for i in range(n_events):
            kind = rng.random()
            if kind < 0.35:
                key = getattr(Qt.Key, f"Key_{rng.choice(KEYS)}")
                mod = Qt.KeyboardModifier.ShiftModifier if rng.random() < 0.3 else Qt.KeyboardModifier.NoModifier
                QTest.keyClick(window, key, mod)
            elif kind < 0.65:
                s = rng.choice(sliders).slider
                s.setSliderDown(True)
                for _ in range(rng.randint(1, 6)):
                    s.setValue(rng.randint(s.minimum(), s.maximum()))
                    QApplication.processEvents()
                s.setSliderDown(False)
            elif kind < 0.8:
                c = rng.choice(combos)
                c.setCurrentIndex(rng.randrange(c.count()))
            elif kind < 0.9:
                window.apply_preset(rng.choice(presets))
            else:
                window.set_view(rng.choice(VIEWS))
            # keep networks small enough that 10,000 events finish: cap the width/batch/depth product
            s = window.settings()
            if s.width * s.batch * s.depth > 2_000_000:
                window.set_settings(s.replace(width=min(s.width, 64), batch=min(s.batch, 64)))
            if window.last_error:
                counts["engine_errors"] += 1
                errors.append(window.last_error)
                window.last_error = ""
            QApplication.processEvents()
            if rng.random() < 0.05:
                time.sleep(0.005)
            counts["events"] = i + 1
            seen.add((window.settings(), window.chart.view))
            if on_event is not None:
                on_event(i)
    finally:
        sys.excepthook = old_hook
    counts["states"] = len(seen)
    counts["exceptions"] = len(errors)
    counts["errors"] = errors[:5]
    return counts


def main() -> int:
    """`make fuzz`: 10,000 events at a fresh window; print events, exceptions, RSS, final check."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=20261201)
    ns = p.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("XDG_CONFIG_HOME", "/tmp/depthlens-fuzz-config")
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from depthlens.engine import Settings
    from depthlens.main import make_app
    from depthlens.window import MainWindow

    def quiet(_mode, _context, message):  # the offscreen platform's full-screen notice, per F11
        if "propagateSizeHints" not in message:
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(quiet)
    app = make_app()
    import tempfile

    from depthlens.classroom import attach
    from depthlens.session import Store

    window = MainWindow(Settings(depth=12, width=8, batch=4))
    window.chart.animation_ms = 0
    attach(window, store=Store(os.path.join(tempfile.mkdtemp(), "store.conf")), restore=False)
    window.show()
    QApplication.processEvents()
    start = rss_mb()
    peak = [start]
    t0 = time.monotonic()

    def sample(i: int) -> None:
        if i % 200 == 0:
            peak[0] = max(peak[0], rss_mb())

    counts = fuzz(window, ns.events, ns.seed, on_event=sample)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        window.throttle.flush()
        QApplication.processEvents()
        r = window.result
        if r is not None and r.settings == window.settings() and not window.worker.is_busy():
            break
        time.sleep(0.01)
    final_ok = window.result is not None and window.result.settings == window.settings()
    end = rss_mb()
    print(f"events: {counts['events']} in {time.monotonic() - t0:.0f} s (seed {ns.seed})")
    print(f"distinct states visited: {counts['states']}")
    print(f"exceptions: {counts['exceptions']} (engine errors {counts['engine_errors']})")
    for e in counts["errors"]:
        print("  " + e.strip().splitlines()[-1])
    print(f"RSS MB: start {start:.0f}, peak {max(peak[0], end):.0f}, end {end:.0f}")
    print(f"chart equals the final settings: {'yes' if final_ok else 'NO'}")
    window.close()
    app.processEvents()
    return 0 if final_ok and not counts["exceptions"] else 1


if __name__ == "__main__":
    sys.exit(main())
