"""Test set-up: headless Qt, per-test user directories, strict mode, a guard against threads or timers left running."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/depthlens-runtime")
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
# Outside a test (collection, exit hooks) nothing reaches the user's directories either; each
# test then gets its own (`isolated_user_dirs`).
_SESSION_HOME = tempfile.mkdtemp(prefix="depthlens-tests-")
atexit.register(shutil.rmtree, _SESSION_HOME, ignore_errors=True)
for _var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
    os.environ[_var] = os.path.join(_SESSION_HOME, _var.lower())


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path, monkeypatch):
    """Every test has its own configuration, state and data directories, and QSettings paths.

    Under `tmp_path` (created only when something writes there): XDG_CONFIG_HOME = xdg (the
    session store), XDG_STATE_HOME = xdg-state (crash logs), XDG_DATA_HOME = xdg-data (the
    desktop entry), every QSettings scope and format in qsettings. Autouse, so no test reads
    what another one wrote, whatever the order. Returns {"config", "state", "data", "qsettings"}.
    """
    from PySide6.QtCore import QSettings, QStandardPaths

    dirs = {
        "config": tmp_path / "xdg",
        "state": tmp_path / "xdg-state",
        "data": tmp_path / "xdg-data",
        "qsettings": tmp_path / "qsettings",
    }
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(dirs["state"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["data"]))
    QStandardPaths.setTestModeEnabled(True)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(dirs["qsettings"]))
    return dirs


@pytest.fixture(autouse=True)
def _no_threads_or_timers_left():
    """Fail a test that leaves an engine thread or a depthlens timer running.

    Autouse, so it is set up before pytest-qt's `qtbot` and torn down after it, i.e.
    after qtbot has closed the test's widgets. A leaked thread is stopped here (quit +
    wait) so that Qt never destroys a running QThread, which would abort the whole run.
    """
    yield
    import sys

    worker = sys.modules.get("depthlens.worker")
    if worker is None:
        return
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    leaked = worker.live_threads()
    for thread in leaked:
        thread.quit()
        thread.wait(5000)
    timers = []
    app = QApplication.instance()
    if app is not None:
        for w in app.topLevelWidgets():
            for t in w.findChildren(QTimer):
                if t.objectName().startswith("depthlens.") and t.isActive():
                    timers.append(t.objectName())
                    t.stop()
    if app is not None:  # a dark theme sets the application and tooltip palettes: do not leak them
        from PySide6.QtWidgets import QToolTip

        app.setPalette(app.style().standardPalette())
        QToolTip.setPalette(app.style().standardPalette())
    assert not leaked, f"{len(leaked)} engine thread(s) left running"
    assert not timers, f"timers left running: {timers}"


@pytest.fixture(autouse=True)
def strict_mode(request):
    """Strict mode (`depthlens.strict`) for every test: a failing view update or engine job fails it.

    The pacer re-raises what an update raises, the worker raises a failed job on the GUI
    thread, and whatever they caught is recorded; a test that recorded anything fails here
    with the tracebacks. `@pytest.mark.lenient` runs a test with production behaviour
    (print and carry on), for the tests of that behaviour itself.
    """
    from depthlens import strict

    strict.FAILURES.clear()
    strict.enable(request.node.get_closest_marker("lenient") is None)
    yield strict
    strict.enable(False)
    caught = list(strict.FAILURES)
    strict.FAILURES.clear()
    assert not caught, "a view update or engine job failed (strict mode):\n" + "\n".join(caught)


@pytest.fixture
def make_window(qtbot):
    """Factory: a shown MainWindow on `settings`, after its first result is drawn."""

    def make(settings=None, theme="light", animate=False):
        from depthlens.engine import Settings
        from depthlens.window import MainWindow

        s = settings or Settings(depth=12, width=8, batch=4)
        w = MainWindow(s, theme=theme)
        if not animate:
            w.chart.animation_ms = 0
        qtbot.addWidget(w)
        w.show()
        wait_shown(qtbot, w, s)
        return w

    return make


def wait_shown(qtbot, window, settings, timeout=20000):
    """Wait until the chart holds the result of `settings` and no tween is running."""

    def done():
        r = window.chart.result
        return r is not None and r.settings == settings and not window.chart.animating

    qtbot.waitUntil(done, timeout=timeout)
    return window.chart.result


@pytest.fixture(autouse=True)
def _no_uncaught_errors():
    """Fail a test during which an uncaught exception reached depthlens's error hooks.

    Under pytest `app.errors` records such errors (no dialog opens); see its docstring.
    """
    yield
    import sys

    errors = sys.modules.get("depthlens.errors")
    if errors is None:
        return
    caught = list(errors.UNHANDLED)
    errors.UNHANDLED.clear()
    assert not caught, "uncaught exception(s) reached the error hooks:\n" + "\n".join(caught)
