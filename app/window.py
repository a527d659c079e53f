"""The main window: control dock, chart, readout, menus, exports, engine thread wiring.

Add-ons (classroom, analyses) attach through the typed host API at the end of the class,
never through the layout or private attributes: `settings()`, `set_settings(Settings)`,
`set_theme(name)`, `select_view(name)`, `add_dock(dock, area, menu_text=...)`,
`set_controls_compact(bool)`, `toolbars()`, `docks()`,
`set_view_selector_visible(bool)`, `request_compute()`, `add_job_handler(kind, fn)`
(results of other job kinds computed by `self.worker`), and the attributes `chart`,
`controls`, `readout`, `worker`, `file_menu`, `view_menu`, `presets`, the export actions.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from depthlens.engine import PRESETS, Cancelled, Result, Settings, Steps
from depthlens.engine.export import csv_text, probe_writable, write_network_npz_steps
from depthlens.widgets import theme as themes
from depthlens.widgets.chart import LayerChart
from depthlens.widgets.chart_texts import WAITING
from depthlens.widgets.controls import ControlPanel, PresetBar
from depthlens.widgets.fit_scroll import FitScroll
from depthlens.widgets.readout import Readout

from . import analysis_docks, analysis_exports, headless, scheduler, status_text, training_lab, window_menus
from .cache_size import CacheSize
from .pacer import Pacer
from .state import AppState
from .throttle import Throttled
from .worker import CHART, TOO_LARGE, EngineWorker


def default_name(settings: Settings, ext: str) -> str:
    """File name carrying the settings, e.g. depthlens_linear_identity_s1.5_L50.png."""
    s = settings
    return f"depthlens_{s.activation}_{s.init}_s{s.scale:.3g}_L{s.depth}.{ext}"


READOUT_SHARE = 0.25  # the readout's most height, a share of the chart area's (it scrolls beyond)
STALE_AFTER_S = 0.3  # a chart computation running longer than this dims the old bars
NPZ_JOB = "export.npz"  # engine-thread job kind of the network export


class MainWindow(QMainWindow):
    """The depthlens window."""

    npz_saved = Signal(str)  # path: the network export is in place

    # Made by `window_menus.build`:
    file_menu: QMenu
    cache: CacheSize
    view_selector: QWidget  # the "Show:" row (window_menus.view_selector)
    _view_buttons: dict[str, QPushButton]
    view_menu: QMenu
    png_actions: dict[str, QAction]
    svg_action: QAction
    screenshot_action: QAction
    csv_action: QAction
    npz_action: QAction
    copy_action: QAction
    caption_action: QAction
    pin_action: QAction
    unpin_action: QAction
    linear_action: QAction
    export_toolbar: QToolBar
    _view_actions: dict[str, QAction]

    def __init__(self, settings: Settings | None = None, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__()
        self.setWindowTitle("depthlens — vanishing and exploding gradients, live")
        # What the user chose lives here; the widgets below bind to it.
        self.state = AppState(settings or Settings(), theme=themes.get(theme).name, parent=self)
        self.result: Result | None = None
        self.last_error = ""
        self._job_handlers: dict[str, Callable[[object], None]] = {}
        self._last_dir = str(Path.cwd())

        # GUI updates run one per event-loop pass (see app/pacer.py), the chart first.
        self.pacer = Pacer(self)
        # The engine thread; its results arrive on this (GUI) thread via queued signals.
        self.worker = EngineWorker(self)
        self.worker.result_ready.connect(self._on_result)
        self.worker.error.connect(self._on_error)
        self.worker.progress.connect(self._on_progress)
        self.worker.busy_changed.connect(self._on_busy)
        self.worker.partial_ready.connect(self._on_partial)
        self.add_job_handler(CHART, self._show_chart_result)
        self.add_job_handler(NPZ_JOB, self._on_npz_done)
        self.worker.background_kinds.add(NPZ_JOB)  # the chart and views keep updating meanwhile

        self.chart = LayerChart(theme=self.theme_name)
        self.chart.setToolTip("")
        self.readout = Readout(theme=self.theme_name)
        self.controls = ControlPanel(self.state.settings)
        # User edits reach the state at the engine's pace (first at once, then the latest).
        self.throttle = Throttled(self)
        self.controls.settings_changed.connect(self.throttle.offer)
        self.throttle.fired.connect(self._on_user_settings)
        self.state.settings_changed.connect(self._on_settings_changed)
        self.state.theme_changed.connect(self._apply_theme)
        self.state.view_changed.connect(self._apply_view)
        self.state.theory_shown_changed.connect(self.chart.set_theory_visible)
        self._held: Settings | None = None  # a drag's newest request, waiting for the engine
        self._running_settings: Settings | None = None  # the newest chart request sent
        self._running_since = 0.0
        self._partial_shown = False  # the running compute's bars so far are on the chart
        self._user_change = False

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addWidget(window_menus.view_selector(self))
        lay.addWidget(self.chart, 1)
        # The readout takes at most a third of the height (it scrolls beyond): the chart has priority.
        self.readout_area = FitScroll(self.readout, share=READOUT_SHARE)
        lay.addWidget(self.readout_area)
        self.setCentralWidget(central)

        dock = QDockWidget("Network", self)
        dock.setObjectName("controls")
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable  # View > Network controls hides it
        )
        self.controls_scroll = QScrollArea()
        self.controls_scroll.setWidgetResizable(True)
        self.controls_scroll.setWidget(self.controls)
        self.controls_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fit_controls_width()
        dock.setWidget(self.controls_scroll)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.controls_dock = dock

        self.presets = PresetBar(self)
        self.presets.preset_chosen.connect(self.apply_preset)
        window_menus.build(self)  # File, View and Presets menus; the export toolbar
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.presets)

        self._status = QLabel("")
        self._progress = QProgressBar()
        self._progress.setRange(0, 1000)
        self._progress.setMaximumWidth(220)
        self._progress.setTextVisible(False)
        self._progress.hide()
        self.statusBar().addWidget(self._status, 1)
        self.statusBar().addPermanentWidget(self._progress)

        self.resize(1400, 860)
        self._apply_theme(self.state.theme)
        self.request_compute()
        analysis_docks.attach(self)  # the distributions, phase and Jacobian docks; the spread band
        training_lab.attach(self)  # the training lab (dock, views, pin, init race)

    # -- public API ------------------------------------------------------------------
    @property
    def theme_name(self) -> str:
        """The colour theme chosen (owned by `state`)."""
        return self.state.theme

    def settings(self) -> Settings:
        """The network chosen (owned by `state`)."""
        return self.state.settings

    def set_settings(self, settings: Settings) -> None:
        """Choose `settings`: the controls show them (no echo) and they are computed."""
        if settings == self.state.settings:
            self.throttle.reset()  # drops an edit still in the throttle
            self.controls.set_settings(settings)
            self.request_compute()  # e.g. a preset clicked again: compute it anyway
        else:
            self.state.set_settings(settings)  # the controls follow, see _on_settings_changed

    def apply_preset(self, name: str) -> None:
        """Switch to the engine preset `name`."""
        self.set_settings(PRESETS[name].settings)
        self.statusBar().showMessage(f"Preset {name}: {PRESETS[name].description}", 5000)

    def set_theme(self, name: str) -> None:
        """Choose a colour theme (chart, readout, docks and classroom follow `state`)."""
        self.state.set_theme(themes.get(name).name)

    def _apply_theme(self, name: str) -> None:
        t = themes.get(name)
        self.chart.set_theme(t.name)
        self.readout.set_theme(t.name)
        self.readout.setStyleSheet(f"QLabel {{ background: {t.background}; color: {t.foreground}; }}")

    def set_view(self, view: str) -> None:
        """Show activations, gradients, weight_gradients or both (same as `select_view`)."""
        self.select_view(view)

    def _apply_view(self, view: str) -> None:
        self.chart.set_view(view)
        with QSignalBlocker(self._view_buttons[view]), QSignalBlocker(self._view_actions[view]):
            self._view_buttons[view].setChecked(True)
            self._view_actions[view].setChecked(True)

    def _on_user_settings(self, settings: Settings) -> None:
        self._user_change = True  # may wait for a running job (below); a programmatic change never does
        try:
            self.state.set_settings(settings)
        finally:
            self._user_change = False

    def _on_settings_changed(self, settings: Settings) -> None:
        if not self._user_change:  # the controls show what was chosen elsewhere (no echo)
            self.throttle.reset()
            self.controls.set_settings(settings)
        # A request that arrives while the chart job runs waits for it (only the newest is
        # kept) instead of cancelling it, when that job will be done soon (judged from its
        # size, not from the last result: a small request never waits behind a long one);
        # the chart then follows a drag frame by frame. A long job is cancelled at once.
        if self._user_change and self.worker.is_running(CHART) and self._running_job_ends_soon():
            self._held = settings
            return
        self._held = None
        self.request_compute(settings)

    def _running_job_ends_soon(self) -> bool:
        calibration = (self.result.settings, self.result.seconds) if self.result is not None else None
        elapsed = time.perf_counter() - self._running_since
        return scheduler.hold(self._running_settings, calibration, elapsed, self.controls.dragging())

    def _release_held(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self.request_compute(held)

    def request_compute(self, settings: Settings | None = None) -> int:
        """Ask the engine thread for `settings` (default: the controls'); latest wins."""
        self._running_settings = settings if isinstance(settings, Settings) else self.settings()
        self._running_since = time.perf_counter()
        self._partial_shown = False
        if self.chart.result is None and self.chart.waiting_text != WAITING:  # a refusal's title: computing again
            self.chart.set_waiting(WAITING)
            self._status.setText("Computing…")
            self.readout.setText("Computing…")
        return self.worker.compute(self._running_settings)

    def add_job_handler(self, kind: str, handler: Callable[[object], None]) -> None:
        """Call `handler(result)` on the GUI thread for each fresh result of job `kind`."""
        self._job_handlers[kind] = handler

    # -- engine results --------------------------------------------------------------
    @Slot(str, object)
    def _on_result(self, kind: str, result: object) -> None:
        # Arrives as a posted event; drawing it here would chain its repaint onto other
        # posted work. Only the engine is kept busy here; the drawing is paced.
        if kind == CHART:
            self._release_held()
        handler = self._job_handlers.get(kind)
        if handler is not None:
            self.pacer.post(kind, lambda: handler(result), urgent=kind == CHART)

    @Slot(str, object)
    def _on_partial(self, kind: str, result: object) -> None:
        # A long compute's layers so far (forward bars, then gradients), drawn as they come;
        # `self.result` stays the last complete one (exports, pins, the readout use it).
        if kind == CHART and isinstance(result, Result):
            self.pacer.post("chart-partial", lambda: self._show_partial(result))

    def _show_partial(self, result: Result) -> None:
        if not self.worker.is_running(CHART) or result.settings != self._running_settings:
            return  # its final result (or a newer request) got here first
        self._partial_shown = True
        self.chart.set_result(result, animate=False)

    def _show_chart_result(self, result: object) -> None:
        assert isinstance(result, Result)
        self.result = result
        # Adaptive throttle: while a slider is dragged, request no faster than the engine
        # answers (x1.25 headroom, capped), so drags update live without cancelling.
        self.throttle.set_interval_ms(scheduler.throttle_ms(result.seconds))
        # While a slider is dragged with analysis views open, skip the tween: results
        # arrive faster than it would finish, and its frames compete with the views' paints.
        views = getattr(self, "analysis", None)
        busy_views = views is not None and any(views.is_visible(n) for n in views.docks)
        self.chart.set_result(result, animate=not (busy_views and self.controls.dragging()))
        self.readout.set_result(result)
        self.readout_area.refit()
        self._status.setText(self._computed_text())

    @Slot(str, str)
    def _on_error(self, kind: str, message: str) -> None:
        self.last_error = message
        if kind == CHART:
            self._release_held()
        if not message.startswith(TOO_LARGE):
            self._status.setText(f"Engine error ({kind}): {message}")
            return
        self._status.setText(message)  # refused before it started: the last chart (if any) stays
        if kind == CHART and self.chart.result is None:
            self.chart.set_waiting("Nothing to show yet: this network is too large for this machine")
            self.readout.setText(message)

    @Slot(str, float)
    def _on_progress(self, kind: str, fraction: float) -> None:
        elapsed = time.perf_counter() - self._running_since
        if kind == CHART and elapsed >= STALE_AFTER_S and not self._partial_shown:
            self.chart.set_stale(fraction)  # the bars shown are the old settings' until it ends
        self._progress.setValue(round(1000 * fraction))
        self._progress.show()
        doing = "Exporting the network" if kind == NPZ_JOB else "Computing"
        self._status.setText(status_text.progress(doing, fraction, elapsed, estimate=kind == CHART))

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        if not busy:
            self.chart.set_stale(None)
            self._progress.hide()
            if self._status.text().startswith(("Computing", "Exporting")):
                self._status.setText(self._computed_text())

    def cache_changed(self) -> None:
        """The weight cache's budget changed: say again what fits."""
        status = getattr(self, "_status", None)  # None while the window is built
        if status is not None and status.text().startswith("Computed"):
            self._status.setText(self._computed_text())

    def _computed_text(self) -> str:
        return status_text.computed(self.result, self.worker.engine.cache)

    # -- host API for add-ons (classroom, analyses): typed, no layout walking ------------
    def set_view_selector_visible(self, visible: bool) -> None:
        """Show or hide the row of view buttons above the chart (presentation mode hides it)."""
        self.view_selector.setVisible(visible)

    def view_selector_visible(self) -> bool:
        """True unless hidden with `set_view_selector_visible(False)`."""
        return not self.view_selector.isHidden()

    def select_view(self, name: str) -> None:
        """Show the quantity `name` (one of `engine.views.VIEWS`); buttons and menu follow."""
        self.state.set_view(name)

    def add_dock(
        self,
        dock: QDockWidget,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea,
        *,
        menu_text: str = "",
        tip: str = "",
    ) -> QAction:
        """Place an add-on's `dock` in `area`; return its show/hide action (text `menu_text`)."""
        self.addDockWidget(area, dock)
        act = dock.toggleViewAction()
        if menu_text:
            act.setText(menu_text)
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        return act

    def docks(self) -> list[QDockWidget]:
        """Every dock of the window (the controls' and the add-ons')."""
        return [d for d in self.findChildren(QDockWidget) if d.parentWidget() is self]

    def toolbars(self) -> list[QToolBar]:
        """Every toolbar of the window (presets, exports, the add-ons')."""
        return [b for b in self.findChildren(QToolBar) if b.parentWidget() is self]

    def set_controls_compact(self, compact: bool) -> None:
        """Compact controls: only depth, scale and activation (presentation mode)."""
        self.controls.set_compact(compact)

    def controls_compact(self) -> bool:
        """True while the controls are compact."""
        return self.controls.is_compact()

    def set_controls_shown(self, shown: bool) -> None:
        """Show or hide the control panel's dock (View > Network controls, key C)."""
        self.controls_dock.setVisible(shown)

    def controls_shown(self) -> bool:
        """True while the control panel's dock is shown."""
        return not self.controls_dock.isHidden()

    def _fit_controls_width(self) -> None:
        """The controls' column as wide as the controls need at the current font (never clipped)."""
        self.controls.adjustSize()
        bar = self.controls_scroll.verticalScrollBar().sizeHint().width()
        self.controls_scroll.setMinimumWidth(self.controls.minimumSizeHint().width() + bar + 8)

    def changeEvent(self, event) -> None:  # Qt override
        """A new font (Ctrl+=, presentation mode) widens the controls' column with their text."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "controls_scroll"):
            self._fit_controls_width()

    def controls_dock_toggle(self) -> QAction:
        """The show/hide action of the controls dock."""
        act = self.controls_dock.toggleViewAction()
        act.setText("Network controls")
        act.setToolTip("Show or hide the network controls.")
        return act

    # -- exports ---------------------------------------------------------------------
    def ask_save_path(self, title: str, name: str, filters: str) -> str:
        """Ask for a file name (tests patch this); '' when cancelled."""
        path, _ = QFileDialog.getSaveFileName(self, title, os.path.join(self._last_dir, name), filters)
        if path:
            self._last_dir = str(Path(path).parent)
        return path

    def show_error(self, title: str, text: str) -> None:
        """Tell the user an export failed (a modal box; tests patch QMessageBox.critical)."""
        self.last_error = text
        self._status.setText(text)
        QMessageBox.critical(self, title, text)

    def _export_settings(self) -> Settings:
        return self.result.settings if self.result is not None else self.settings()

    def _write(self, what: str, path: str | os.PathLike, produce: Callable[[], bytes]) -> bool:
        """Render to bytes, then write atomically; any error -> message box, no file."""
        return analysis_exports.write(self, what, path, produce)

    def _no_result(self) -> bool:
        if self.result is None:
            self.show_error("Nothing to export", "The chart has no result yet; wait for the computation.")
            return True
        return False

    def export_chart_png(self, path: str | os.PathLike | None = None, size: tuple[int, int] | None = None) -> bool:
        """Save the chart as PNG; `size` None = the chart's size on screen."""
        if self._no_result():
            return False
        assert self.result is not None
        if path is None:
            path = self.ask_save_path(
                "Export chart as PNG", default_name(self._export_settings(), "png"), "PNG (*.png)"
            )
            if not path:
                return False
        result, view, theme, look = self.result, self.chart.view, self.theme_name, self._export_look()
        if size is None:
            size = (max(16, self.chart.width()), max(16, self.chart.height()))
        return self._write("PNG", path, lambda: headless.render_png(result, size, theme, view, **look))

    def export_chart_svg(self, path: str | os.PathLike | None = None) -> bool:
        """Save the chart as SVG."""
        if self._no_result():
            return False
        assert self.result is not None
        if path is None:
            path = self.ask_save_path(
                "Export chart as SVG", default_name(self._export_settings(), "svg"), "SVG (*.svg)"
            )
            if not path:
                return False
        result, view, theme, look = self.result, self.chart.view, self.theme_name, self._export_look()
        size = (max(16, self.chart.width()), max(16, self.chart.height()))
        return self._write("SVG", path, lambda: headless.render_svg(result, size, theme, view, **look))

    def _export_look(self) -> dict:
        """What chart exports show besides the result: the chart's axis, pin and theory; the caption."""
        return {"state": self.chart.export_state(), "caption": self.caption_action.isChecked()}

    def pin_chart(self) -> None:
        """Pin the bars shown now as a ghost (compare after changing a setting)."""
        if self.result is None:
            return
        self.chart.pin(self.result)
        self.unpin_action.setEnabled(True)
        self.statusBar().showMessage("Pinned: change a setting to compare (View › Remove the pin)", 5000)

    def chart_unpin(self) -> None:
        """Remove the pinned ghost."""
        self.chart.unpin()
        self.unpin_action.setEnabled(False)

    def export_screenshot(self, path: str | os.PathLike | None = None) -> bool:
        """Save a PNG of the whole window as it looks now."""
        if path is None:
            path = self.ask_save_path(
                "Export window screenshot",
                default_name(self._export_settings(), "png").replace(".png", "_window.png"),
                "PNG (*.png)",
            )
            if not path:
                return False
        self.pacer.flush()  # draw results still waiting for their tick: the file shows the newest
        return self._write("screenshot", path, lambda: headless.image_png_bytes(self.grab()))

    def export_csv(self, path: str | os.PathLike | None = None) -> bool:
        """Save the shown result as CSV, byte for byte what `depthlens export --csv` writes."""
        if self._no_result():
            return False
        assert self.result is not None
        if path is None:
            path = self.ask_save_path("Export CSV", default_name(self._export_settings(), "csv"), "CSV (*.csv)")
            if not path:
                return False
        result = self.result
        return self._write("CSV", path, lambda: csv_text(result).encode("utf-8"))

    def export_npz(self, path: str | os.PathLike | None = None) -> bool:
        """Save the network of the shown result (W, b, x, config) as NPZ, on the engine thread.

        The folder is checked at once (error box, False). The file is then streamed layer by
        layer by the engine thread, whose weight cache it reuses, as a background job: between
        two layers it lets waiting chart and view jobs run, so at the maximum size (4 GB) the
        window stays live and shows progress. When the file is in place `npz_saved(path)` is
        emitted; an error shows a box and leaves no file. One export at a time. True if the
        export started.
        """
        if self.worker.is_running(NPZ_JOB):
            # One at a time: a second export would cancel the first (latest wins per job kind).
            self.show_error("Export NPZ busy", "A network export is still being written; try again when it is done.")
            return False
        settings = self._export_settings()
        if path is None:
            path = self.ask_save_path("Export network", default_name(settings, "npz"), "NumPy NPZ (*.npz)")
            if not path:
                return False
        try:
            probe_writable(path)
        except OSError as exc:
            self.show_error("Export NPZ failed", f"Could not write {path}:\n{exc.strerror or exc}")
            return False
        engine = self.worker.engine  # used inside the job only, i.e. on the engine thread

        def job(settings=settings, path=str(path)) -> Steps[tuple[str, str | None]]:
            try:
                yield from write_network_npz_steps(engine, settings, path)
            except Cancelled:
                raise
            except Exception as exc:  # reported on the GUI thread as an error box
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
                return path, reason
            return path, None

        self.worker.submit(NPZ_JOB, job)
        self._status.setText(f"Exporting the network to {path}…")
        return True

    def _on_npz_done(self, result: object) -> None:
        path, reason = cast("tuple[str, str | None]", result)  # what the NPZ job returns
        if reason is not None:
            self.show_error("Export NPZ failed", f"Could not write {path}:\n{reason}")
            return
        self._status.setText("")
        self.statusBar().showMessage(f"Saved NPZ: {path}", 5000)
        self.npz_saved.emit(path)

    def copy_chart(self) -> None:
        """Copy the chart (window size) to the clipboard as an image."""
        if self._no_result():
            return
        assert self.result is not None
        size = (max(16, self.chart.width()), max(16, self.chart.height()))
        img = headless.render_image(self.result, size, self.theme_name, self.chart.view, **self._export_look())
        QApplication.clipboard().setImage(img)
        self.statusBar().showMessage("Chart copied to the clipboard", 3000)

    # -- shutdown --------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop timers and the engine thread (idempotent; called on close)."""
        training = getattr(self, "training", None)
        if training is not None:
            training.stop()
        self.pacer.stop()
        self.throttle.reset()
        self.chart.stop()
        self.worker.shutdown()

    def closeEvent(self, event) -> None:  # Qt override
        """Stop the engine thread before the window goes (clean exit within ~1 s)."""
        self.shutdown()
        super().closeEvent(event)
