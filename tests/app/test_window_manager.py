"""Presentation mode under a real X server and window manager (Xvfb + openbox): exact restore.

Skipped where Xvfb, openbox or xprop are not installed (apt-get install xvfb openbox
x11-utils). The window is driven in a subprocess on the xcb platform (tests/app/wm_restore.py);
its full-screen state is read from the window manager's _NET_WM_STATE.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
NEEDED = ("Xvfb", "openbox", "xprop")


def free_display() -> int:
    """A display number no X server uses."""
    for n in range(140, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    pytest.skip("no free X display number")


@pytest.fixture
def x_server(request):
    """(DISPLAY, size) of a fresh Xvfb with openbox running; both ended (by their PIDs) afterwards."""
    missing = [t for t in NEEDED if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    w, h = request.param
    n = free_display()
    display = f":{n}"
    procs = [
        subprocess.Popen(
            ["Xvfb", display, "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if time.monotonic() > deadline or procs[0].poll() is not None:
                pytest.skip("Xvfb did not start")
            time.sleep(0.05)
        env = {**os.environ, "DISPLAY": display}
        procs.append(subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while (
            "window id"
            not in subprocess.run(
                ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=env, capture_output=True, text=True
            ).stdout
        ):
            if time.monotonic() > deadline:
                pytest.skip("openbox did not start")
            time.sleep(0.05)
        yield display, (w, h)
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.mark.parametrize("x_server", [(1920, 1080), (1024, 768)], indirect=True, ids=["1920x1080", "1024x768"])
def test_presentation_restores_the_exact_geometry_under_a_window_manager(x_server, tmp_path):
    display, (w, h) = x_server
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, str(HERE / "wm_restore.py")], env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0 and "platform plugin" in done.stderr:
        pytest.skip("Qt's xcb platform cannot load here (make syslibs-window)")
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    before = out["before"]
    assert before == [60, 80, 900, 640]
    assert len(out["rounds"]) == 2 and not out["presenting"]
    for r in out["rounds"]:  # F11, then Esc, twice: no drift, never left full screen
        assert "_NET_WM_STATE_FULLSCREEN" in r["net_wm_state"] and r["full_screen"]
        assert r["geometry"] == [0, 0, w, h]
        assert r["saved"] == before  # a session saved while full screen keeps the normal geometry
        assert r["after"] == before
        assert "_NET_WM_STATE_FULLSCREEN" not in r["after_net_wm_state"] and not r["after_full"]
