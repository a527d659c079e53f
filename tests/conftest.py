"""Test set-up: headless Qt, per-test user directories, strict mode, no thread or timer left running."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import sysconfig
import tempfile
from weakref import WeakKeyDictionary

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
# Code in these directories is a library's (Python's, pytest-qt's, pyqtgraph's), not depthlens's or a test's.
_LIBRARY_DIRS = tuple({sysconfig.get_path(name) + os.sep for name in ("stdlib", "platstdlib", "purelib", "platlib")})


@pytest.fixture(scope="session", autouse=True)
def gui_thread_gc(qapp):
    """Cyclic garbage is collected on the GUI thread only (`depthlens.gui_gc`), as in the app.

    Installed once for the session, before any test, so no test's timer guard sees its timer.
    """
    from depthlens import gui_gc

    return gui_gc.install(qapp)


@pytest.fixture(autouse=True)
def _collect_garbage_after():
    """After each test, collect what is due here: tests that never run an event loop pile none up."""
    yield
    from depthlens import gui_gc

    gui_gc.collect_due()


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


def _where_started() -> tuple[bool, str]:
    """(ours, "file:line") of the code that called a patched start(), with the test line that led there.

    `ours` is False when that code is a library's (pytest-qt's own timers, pyqtgraph's): the
    timer guard leaves those alone, as it cannot stop or fix them.
    """
    frame = sys._getframe(2)  # 0: here, 1: the patched start, 2: its caller
    file = frame.f_code.co_filename
    ours = not file.startswith(_LIBRARY_DIRS)
    where = f"{_shown(file)}:{frame.f_lineno}"
    test = frame.f_back
    while test is not None and not os.path.basename(test.f_code.co_filename).startswith("test_"):
        test = test.f_back
    if test is not None and test.f_code.co_filename != file:
        where += f" (from {_shown(test.f_code.co_filename)}:{test.f_lineno})"
    return ours, where


def _shown(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _alive(obj, test: str) -> bool:
    """`obj.<test>()` (isRunning, isActive), False if the C++ object is already deleted."""
    try:
        return bool(getattr(obj, test)())
    except RuntimeError:  # "Internal C++ object already deleted"
        return False


@pytest.fixture(autouse=True)
def dangling_qthreads(monkeypatch):
    """Fail a test that leaves a QThread running, naming the line that started it.

    As napari's fixture of that name: `QThread.start` is wrapped to remember every thread
    (weakly) and where it was started; no production code keeps a list. Torn down after
    pytest-qt has closed the test's widgets. A thread still running is stopped here (quit,
    then wait) before the test fails, so that Qt never destroys a running QThread, which
    would abort the whole run.
    """
    from PySide6.QtCore import QThread

    started: WeakKeyDictionary = WeakKeyDictionary()
    original = QThread.start

    def start(self, *args, **kwargs):
        started[self] = _where_started()[1]
        original(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start)
    yield
    running = [(thread, where) for thread, where in list(started.items()) if _alive(thread, "isRunning")]
    for thread, _ in running:
        thread.quit()
        thread.wait(5000)
    assert not running, f"{len(running)} QThread(s) left running, started at:\n" + "\n".join(w for _, w in running)


@pytest.fixture(autouse=True)
def dangling_qtimers(monkeypatch):
    """Fail a test that leaves a QTimer of depthlens or of the test running, naming where it was started.

    As napari's fixture of that name: `QTimer.start` and `QTimer.singleShot(msec, fn)` are
    wrapped to remember each timer started by depthlens's code or a test (not by a library)
    and where. A timer still active at the end, once pytest-qt has closed the test's widgets,
    is stopped and the test fails.
    """
    from PySide6.QtCore import QTimer

    started: WeakKeyDictionary = WeakKeyDictionary()
    single_shots: list[tuple[QTimer, str]] = []  # kept alive until they fire or the test ends
    original_start = QTimer.start
    original_single_shot = QTimer.singleShot

    def start(self, *args):
        ours, where = _where_started()
        if ours:
            started[self] = where
        original_start(self, *args)

    def single_shot(*args):
        ours, where = _where_started()
        if not (ours and len(args) == 2 and callable(args[1])):  # other overloads: as Qt has them
            return original_single_shot(*args)
        msec, fn = args
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(fn)
        single_shots.append((timer, where))
        original_start(timer, msec)
        return None

    monkeypatch.setattr(QTimer, "start", start)
    monkeypatch.setattr(QTimer, "singleShot", staticmethod(single_shot))
    yield
    active = [(t, w) for t, w in [*started.items(), *single_shots] if _alive(t, "isActive")]
    for timer, _ in active:
        timer.stop()
    single_shots.clear()
    assert not active, f"{len(active)} QTimer(s) left running, started at:\n" + "\n".join(w for _, w in active)


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


@pytest.fixture(autouse=True)
def _default_palettes():
    """A dark theme sets the application and tooltip palettes: put the default ones back."""
    yield
    from PySide6.QtWidgets import QApplication, QToolTip

    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setPalette(app.style().standardPalette())
        QToolTip.setPalette(app.style().standardPalette())


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


@pytest.fixture
def make_chart(qtbot):
    """Factory: a shown `LayerChart(view=view)` of `size` pixels; each is stopped (its tween) after the test."""
    from depthlens.widgets.chart import LayerChart

    made = []

    def make(view, size):
        c = LayerChart(view=view)
        qtbot.addWidget(c)
        c.resize(*size)
        c.show()
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


def wait_shown(qtbot, window, settings, timeout=20000):
    """Wait until the chart holds the result of `settings` and no tween is running."""

    def done():
        r = window.chart.result
        return r is not None and r.settings == settings and r.partial is None and not window.chart.animating

    qtbot.waitUntil(done, timeout=timeout)
    return window.chart.result


@pytest.fixture(autouse=True)
def _no_uncaught_errors():
    """Fail a test during which an uncaught exception reached depthlens's error hooks.

    Under pytest `app.errors` records such errors (no dialog opens); see its docstring.
    """
    yield
    errors = sys.modules.get("depthlens.errors")
    if errors is None:
        return
    caught = list(errors.UNHANDLED)
    errors.UNHANDLED.clear()
    assert not caught, "uncaught exception(s) reached the error hooks:\n" + "\n".join(caught)
