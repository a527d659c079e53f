"""Run under a real X server with a window manager: presentation mode on and off, twice, by key.

Prints one JSON object: the window's geometry before and after each round, its full-screen
state as the window manager reports it (_NET_WM_STATE, through Qt's window state), and the
geometry the session would save while full screen. Used by test_window_manager.py.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def net_wm_state(wid: int) -> str:
    """The window manager's _NET_WM_STATE of X window `wid` (xprop), '' without xprop."""
    import shutil
    import subprocess

    if shutil.which("xprop") is None:
        return ""
    done = subprocess.run(["xprop", "-id", str(wid), "_NET_WM_STATE"], capture_output=True, text=True, timeout=10)
    return done.stdout.strip()


def main() -> int:
    """Drive one window; print the measurements."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from depthlens.classroom import attach
    from depthlens.engine import Settings
    from depthlens.session import Store
    from depthlens.window import MainWindow

    def settle(seconds: float = 1.0, until=None) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            if until is not None and until():
                for _ in range(20):  # a few more passes: the window manager's last configure
                    app.processEvents()
                    time.sleep(0.01)
                return
            time.sleep(0.01)

    window = MainWindow(Settings(depth=12, width=8, batch=4))
    room = attach(window, store=Store(Path(tempfile.mkdtemp()) / "store.ini"), restore=False)
    window.show()
    settle(2.0, lambda: window.isActiveWindow())
    if "--default-size" not in sys.argv:
        window.setGeometry(QRect(60, 80, 900, 640))
    settle(1.5)
    out: dict = {"before": list(window.geometry().getRect()), "rounds": []}
    for key in (Qt.Key.Key_F11, Qt.Key.Key_F11):
        window.activateWindow()
        settle(0.5)
        QTest.keyClick(window, key)
        settle(3.0, lambda: window.isFullScreen() and window.width() == window.screen().geometry().width())
        full = {
            "full_screen": window.isFullScreen(),
            "net_wm_state": net_wm_state(int(window.winId())),
            "geometry": list(window.geometry().getRect()),
            "saved": list(room.current_session().window.to_dict().values())[:4],
        }
        QTest.keyClick(window, Qt.Key.Key_Escape)  # Esc after F11 leaves
        settle(3.0, lambda: not window.isFullScreen() and window.geometry().getRect() == tuple(out["before"]))
        after = {"after": list(window.geometry().getRect()), "after_full": window.isFullScreen()}
        out["rounds"].append({**full, **after, "after_net_wm_state": net_wm_state(int(window.winId()))})
    out["presenting"] = room.presenting
    print(json.dumps(out))
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
