"""What a desktop application does once its window exists: Help menu, error hooks, crash notice.

Called by `run_gui` (the QApplication's identity is set earlier, in `make_app`).
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from . import about, errors
from .crashlog import CrashLog


def attach(window, crash: CrashLog | None = None) -> errors.ErrorReporter:
    """Add Help > About, show uncaught errors over `window`, tell about the last crash."""
    about.attach(window)
    reporter = errors.install(window)
    window.error_reporter = reporter
    window.crash_log = crash
    app = QApplication.instance()
    if app is not None:  # there is one: the window exists
        app.aboutToQuit.connect(reporter.uninstall)  # the hooks end with the event loop
    notice = crash.notice() if crash is not None else None
    if notice and crash is not None:
        print(notice, file=sys.stderr)
        window.statusBar().showMessage(notice, 20000)
        try:
            details = crash.previous[-1].read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            details = f"(cannot read it: {exc.strerror or exc})"
        hint = "The report holds the Python traceback of every thread at the crash; please attach it to a bug report."
        reporter.notify(errors.Report("depthlens stopped unexpectedly last time", notice, details, hint))
    return reporter
