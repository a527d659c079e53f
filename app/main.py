"""Start the GUI: QApplication set-up (Fusion, names), the main window, the event loop.

Only what the first paint needs is imported here; `depthlens` imports this module
only when it opens a window.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from depthlens.engine import Settings

SWITCH_INTERVAL_S = 0.0005


def make_app():
    """The QApplication (created once): Fusion style, app and organisation "depthlens"."""
    from PySide6.QtWidgets import QApplication

    # The GUI thread shares the GIL with the engine thread, whose per-layer Python code
    # holds it between numpy calls; a paint needs the GIL many times, waiting up to one
    # switch interval each time (5 ms by default). A short interval keeps the GUI smooth.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    existing = QApplication.instance()
    # argv[0] names the X11 WM_CLASS instance (also under python -m)
    app = existing if isinstance(existing, QApplication) else QApplication(["depthlens"])
    app.setApplicationName("depthlens")
    app.setOrganizationName("depthlens")
    app.setStyle("Fusion")
    from .identity import apply as set_identity

    set_identity(app)  # desktop file name, version, window icon
    from . import gui_gc

    gui_gc.install(app)  # cyclic garbage is collected on this thread, never on the engine's
    return app


def run_gui(
    settings: Settings,
    *,
    session: str | None = None,
    theme: str | None = None,
    explicit: bool = False,
    early_signal: Callable[[], int | None] | None = None,
    cache_mb: int | None = None,
) -> int:
    """Open the window on `settings` and run until it closes; return the exit code.

    The last session (the store) is restored, then `session` (a saved session file);
    settings given on the command line (`explicit`) and `theme` win over both.
    `early_signal()` tells a SIGINT/SIGTERM that arrived before the window could take it.
    `cache_mb` (--cache-mb) sizes the weight cache for this run, over the stored preference.
    """
    from . import crashlog, startup

    crash = crashlog.start()  # native crashes -> a log in the state dir; finds the last run's
    app = make_app()
    from .signals import SignalBridge, exit_code

    # Ctrl-C or SIGTERM, from now on (and any that came while Qt was loading): close the
    # window the normal way (session saved, jobs cancelled) once the event loop runs.
    holder: dict[str, QWidget] = {}

    def close_when_ready(_signum: int) -> None:
        w = holder.get("window")
        if w is None or not w.isVisible():  # still being built: try again in a moment
            QTimer.singleShot(20, lambda: close_when_ready(_signum))
        else:
            w.close()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QWidget

    bridge = SignalBridge(close_when_ready, pending=early_signal() if early_signal is not None else None)
    from .window import MainWindow

    window = MainWindow(settings, theme=theme or "light")
    from .classroom import attach

    # Presentation mode, keys, walkthrough; restores the last session (the store), then `session`.
    attach(window, session=session, explicit=explicit, theme=theme)
    if cache_mb is not None:
        window.cache.set_override(cache_mb)
    startup.attach(window, crash)  # Help > About, error dialogs, the last crash's report
    # Safety net: stop the engine thread even if the loop ends without a close event.
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    holder["window"] = window
    code = app.exec()
    bridge.close()
    from depthlens.engine.fileio import remove_live_temps

    remove_live_temps()
    return exit_code(bridge.received) if bridge.received is not None else code
