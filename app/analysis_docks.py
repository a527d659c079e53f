"""The analysis views as docks of the main window, computed by its engine thread.

`attach(window)` adds one dock per `ViewSpec` (`app/analysis_views.py`: Distributions,
Phase diagram, Jacobian spectrum, all hidden at first and tabbed together under the
chart), a spread toggle that draws the 10-90 % band over K seeds around the chart's bars,
View-menu entries and an "Analyses" toolbar for all of them. It returns the
`AnalysisDocks` (also `window.analysis`).

Data flow: every chart result (the settings the chart now shows) makes each *visible*
view submit its own job kind to `window.worker` (latest wins per kind, stopped at a
checkpoint between layers; the jobs are built in `app/analysis_jobs.py`); hidden views
only remember that they are out of date and compute when shown. The phase diagram
depends only on the activation and the ranges, so moving a slider only moves its marker
and recomputes the readout (q*, chi_1, xi). The spread band grows as seeds finish: the
spread job yields a partial result per seed, which the worker passes on as
`partial_ready` while it is still the newest.
"""

from __future__ import annotations

import math
import os
import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QSpinBox, QToolBar, QWidget

from depthlens.engine import Settings
from depthlens.engine.analysis import JacobianTooLarge, JacobianUndefined, check_size
from depthlens.engine.block_theory import phase_note
from depthlens.engine.config import RANGES
from depthlens.widgets.distribution_view import DistributionView
from depthlens.widgets.dock_tabs import add_bottom_tab
from depthlens.widgets.jacobian_view import JacobianView
from depthlens.widgets.phase_view import PhaseView
from depthlens.widgets.spread_band import SpreadBand
from depthlens.widgets.view_base import AnalysisView

from . import analysis_exports as exports
from . import analysis_jobs as jobs
from . import headless, scheduler
from .analysis_views import (
    DEFAULT_SEEDS,
    DIST,
    JACOBIAN,
    PHASE,
    PHASE_CRITICAL,
    PHASE_POINT,
    SPECS,
    SPREAD,
    SPREAD_CAPTION,
    TIPS,
    TITLES,
    VIEW_OF_KIND,
    VIEW_SPECS,
    VIEWS,
)
from .worker import CHART

__all__ = [  # the registry, importable from here as before
    "DIST",
    "JACOBIAN",
    "PHASE",
    "PHASE_CRITICAL",
    "PHASE_POINT",
    "SPREAD",
    "VIEWS",
    "AnalysisDocks",
    "attach",
]

# The views update at most every scheduler.ANALYSIS_MIN_INTERVAL_S while settings stream in
# (a slider drag), and leave the engine thread idle about two thirds of the time (its duty
# share): the GUI thread needs the GIL to paint.


def _clamp(value: float, name: str) -> float:
    lo, hi = RANGES[name]
    return float(min(max(value, lo), hi))


class AnalysisDocks(QObject):
    """The analysis docks, spread toggle and their engine jobs for one `MainWindow`."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.worker = window.worker
        self.settings: Settings | None = None  # of the chart result the views were updated for
        self.font_scale = 1.0  # the views' display factor (presentation mode scales it)
        self.docks: dict[str, QDockWidget] = {}
        self._views: dict[str, AnalysisView] = {}
        self._visible: dict[str, bool] = dict.fromkeys(VIEWS, False)
        self._dirty: set[str] = set(VIEWS)
        self._phase_key: tuple | None = None  # (activation, ranges) of the diagram requested
        # (activation, bias_std) -> (critical sigma_w2, divergence sigma_w2), NaN: none
        self._critical: dict[tuple[str, float], tuple[float, float]] = {}
        self._jacobian_blocked = False
        self._layer = 0
        self.submitted: dict[str, int] = {}  # kind -> how many jobs were submitted (tests, bench)
        self.spread_on = False
        self.partials_shown = 0  # partial spread bands drawn (the band grows seed by seed)
        self.seeds = DEFAULT_SEEDS
        self.band: SpreadBand | None = None
        self._job_seconds: dict[str, float] = {}  # kind -> compute time of its last job (engine thread)
        self._last_flush = -1e9
        self._spread_stale = False
        self._throttle = QTimer(self)
        self._throttle.setObjectName("depthlens.analysis.throttle")
        self._throttle.setSingleShot(True)
        self._throttle.timeout.connect(self._flush)
        window.installEventFilter(self)

        first = None
        for name in VIEWS:
            dock = QDockWidget(TITLES[name], window)
            dock.setObjectName(f"analysis.{name}")
            dock.setWidget(QWidget())  # the view is built the first time the dock is shown
            dock.visibilityChanged.connect(lambda vis, n=name: self._on_visibility(n, vis))
            first = add_bottom_tab(window, dock, first)
            self.docks[name] = dock

        # The window paces every result (one widget update per event-loop pass, app/pacer.py).
        self.pacer = window.pacer
        window.state.theme_changed.connect(self.set_theme)
        for kind, handler in (
            (DIST, self._on_distributions),
            (SPREAD, self._on_spread),
            (PHASE, self._on_phase),
            (PHASE_POINT, self._on_phase_point),
            (PHASE_CRITICAL, self._on_phase_critical),
            (JACOBIAN, self._on_jacobian),
        ):
            window.add_job_handler(kind, handler)
        self.worker.result_ready.connect(self._on_any_result)
        self.worker.partial_ready.connect(self._on_partial)
        self.worker.progress.connect(self._on_progress)
        self.worker.error.connect(self._on_error)
        window.chart.result_shown.connect(self._on_chart_shown)
        window.chart.scene().sigMouseClicked.connect(self._on_chart_click)

        self._build_actions()
        if window.result is not None:
            self.on_settings(window.result.settings)

    # -- public API ------------------------------------------------------------------
    def view(self, name: str) -> AnalysisView:
        """The view of dock `name` (built on first use)."""
        v = self._views.get(name)
        if v is None:
            v = self._build_view(name)
        return v

    @property
    def distributions_view(self) -> DistributionView:
        """The Distributions view."""
        v = self.view("distributions")
        assert isinstance(v, DistributionView)
        return v

    @property
    def phase_view(self) -> PhaseView:
        """The Phase diagram view."""
        v = self.view("phase")
        assert isinstance(v, PhaseView)
        return v

    @property
    def jacobian_view(self) -> JacobianView:
        """The Jacobian spectrum view."""
        v = self.view("jacobian")
        assert isinstance(v, JacobianView)
        return v

    def show_view(self, name: str, show: bool = True) -> None:
        """Show (and bring to front) or hide the dock of view `name`."""
        dock = self.docks[name]
        if show:
            dock.show()
            dock.raise_()
        else:
            dock.hide()

    def is_visible(self, name: str) -> bool:
        """True if view `name` is on screen (its dock shown and its tab current)."""
        return self._visible[name] and self.docks[name].isVisible()

    def set_spread(self, on: bool, seeds: int | None = None) -> None:
        """Turn the spread band on or off; `seeds` = K (default: keep)."""
        if seeds is not None:
            self.seeds = int(seeds)
            self.seeds_spin.blockSignals(True)
            self.seeds_spin.setValue(self.seeds)
            self.seeds_spin.blockSignals(False)
        self.spread_on = bool(on)
        if self.spread_action.isChecked() != self.spread_on:
            self.spread_action.setChecked(self.spread_on)
        if self.band is None:
            self.band = SpreadBand(self.window.chart)
            self.band.set_theme(self.theme_name)
        if self.spread_on:
            self.spread_label.setText(SPREAD_CAPTION.format(k=self.seeds))
            self.spread_label_action.setVisible(True)
            if self.settings is not None:
                self._submit_spread()
        else:
            self.band.clear()
            self.spread_label_action.setVisible(False)

    @property
    def theme_name(self) -> str:
        """The theme chosen (owned by the window's `state`)."""
        return self.window.state.theme

    def set_theme(self, name: str) -> None:
        """Bound to `state.theme_changed`: restyle the views and the spread band."""
        for v in self._views.values():
            v.set_theme(name)
        if self.band is not None:
            self.band.set_theme(name)

    def set_font_scale(self, k: float) -> None:
        """Scale the views' fonts by `k` (follows the chart's font scale in presentation mode)."""
        self.font_scale = float(k)
        for v in self._views.values():
            v.set_font_scale(k)

    def on_settings(self, settings: Settings) -> None:
        """The chart now shows `settings`: update visible views, mark hidden ones stale."""
        if settings == self.settings:
            return
        self.settings = settings
        self._dirty = set(VIEWS)
        self._spread_stale = self.spread_on
        self._move_marker(settings)
        self._schedule()

    def _move_marker(self, s: Settings) -> None:
        # The marker follows the settings at the next paced tick (its own repaint).
        if "phase" in self._views:
            self.pacer.post("phase.marker", lambda: self.phase_view.set_marker(s.scale, s.bias_std))

    def interval_s(self) -> float:
        """Least time between two rounds of analysis jobs (adapts to their compute time)."""
        return scheduler.analysis_interval_s(self._job_seconds.get(k, 0.0) for k in self._active_kinds())

    def _active_kinds(self) -> list[str]:
        kinds = [SPREAD] if self.spread_on else []
        return kinds + [spec.kind for spec in VIEW_SPECS if self.is_visible(spec.name)]

    def _schedule(self) -> None:
        """Flush now if the last round is long enough ago, else once the interval is over."""
        if self._throttle.isActive():
            return
        wait = self._last_flush + self.interval_s() - time.perf_counter()
        if wait <= 0:
            self._flush()
        else:
            self._throttle.start(max(1, round(1000 * wait)))

    def _flush(self) -> None:
        """Submit the jobs of every visible, out-of-date view (and of the spread band)."""
        self._last_flush = time.perf_counter()
        for name in VIEWS:
            if name in self._dirty and self.is_visible(name):
                self._refresh(name)
        if self._spread_stale and self.spread_on:
            self._submit_spread()

    def eventFilter(self, obj, event) -> bool:  # Qt override
        """Stop the throttle timer when the window closes."""
        if obj is self.window and event.type() == QEvent.Type.Close:
            self._throttle.stop()
        return False

    # -- exports ---------------------------------------------------------------------
    def export_png(self, name: str, path: str | os.PathLike | None = None) -> bool:
        """Save view `name` (caption, controls, plot) as PNG; errors go to a message box."""
        self.pacer.flush()  # draw results still waiting for their tick
        view = self.view(name)
        if path is None:
            path = exports.ask(self.window, name, self.settings, "png", "PNG (*.png)")
            if not path:
                return False
        return exports.write(self.window, f"{TITLES[name]} PNG", path, lambda: headless.image_png_bytes(view.grab()))

    def export_csv(self, name: str, path: str | os.PathLike | None = None) -> bool:
        """Save the numbers behind view `name` (or "spread") as CSV, atomically."""
        self.pacer.flush()  # the numbers of the newest result, as drawn
        spread = self.band.spread if self.band is not None else None
        text = exports.csv_text(name, self._views.get(name), spread, self.settings or self.window.settings())
        if text is None:
            self.window.show_error("Nothing to export", f"The {name} view has no result yet.")
            return False
        if path is None:
            path = exports.ask(self.window, name, self.settings, "csv", "CSV (*.csv)")
            if not path:
                return False
        return exports.write(self.window, f"{name} CSV", path, lambda: text.encode("utf-8"))

    # -- building --------------------------------------------------------------------
    def _build_view(self, name: str) -> AnalysisView:
        v: AnalysisView = SPECS[name].widget(theme=self.theme_name)
        if self.font_scale != 1.0:
            v.set_font_scale(self.font_scale)
        v.export_png_requested.connect(lambda n=name: self.export_png(n))
        v.export_csv_requested.connect(lambda n=name: self.export_csv(n))
        if isinstance(v, DistributionView):
            v.layer = self._layer
        if isinstance(v, PhaseView):
            v.point_clicked.connect(self._on_phase_click)
            v.ranges_changed.connect(lambda *_: self._refresh("phase") if self.is_visible("phase") else None)
            if self.settings is not None:
                v.set_marker(self.settings.scale, self.settings.bias_std)
        self._views[name] = v
        self.docks[name].setWidget(v)
        return v

    def _build_actions(self) -> None:
        w = self.window
        self.toggle_actions: dict[str, QAction] = {}
        for name in VIEWS:
            act = self.docks[name].toggleViewAction()
            act.setText(TITLES[name])
            act.setToolTip(TIPS[name])
            act.setStatusTip(TIPS[name])
            self.toggle_actions[name] = act
        self.spread_action = QAction(f"Spread over {self.seeds} seeds", self, checkable=True)
        self.spread_action.setToolTip(
            "Recompute the network for K seeds and draw the 10–90 % band of each layer's log-magnitude around the bars."
        )
        self.spread_action.toggled.connect(lambda on: self.set_spread(on) if on != self.spread_on else None)

        menu = getattr(w, "view_menu", None)
        if menu is not None:
            menu.addSeparator()
            analyses = menu.addMenu("&Analyses")
            analyses.setToolTipsVisible(True)
            for act in (*self.toggle_actions.values(), self.spread_action):
                analyses.addAction(act)
            self.menu = analyses

        bar = QToolBar("Analyses", w)
        bar.setObjectName("analyses")
        bar.addWidget(QLabel(" Analyses: "))
        for act in self.toggle_actions.values():
            bar.addAction(act)
        bar.addSeparator()
        bar.addAction(self.spread_action)
        self.seeds_spin = QSpinBox()
        self.seeds_spin.setRange(2, 64)
        self.seeds_spin.setValue(self.seeds)
        self.seeds_spin.setPrefix("K = ")
        self.seeds_spin.setToolTip("Number of seeds (networks) for the spread band.")
        self.seeds_spin.setKeyboardTracking(False)
        self.seeds_spin.valueChanged.connect(self._on_seeds)
        bar.addWidget(self.seeds_spin)
        self.spread_label = QLabel("")
        self.spread_label_action = bar.addWidget(self.spread_label)
        self.spread_label_action.setVisible(False)
        w.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    # -- jobs ------------------------------------------------------------------------
    def _submit(self, kind: str, job: jobs.Job) -> int:
        self.submitted[kind] = self.submitted.get(kind, 0) + 1
        seconds = self._job_seconds

        def record(t: float) -> None:
            seconds[kind] = t  # on the engine thread: a float store, atomic under the GIL

        return self.worker.submit(kind, jobs.timed(job, record))

    def _refresh(self, name: str) -> None:
        """Submit the job(s) of view `name` for the current settings."""
        s = self.settings
        if s is None:
            return
        self._dirty.discard(name)
        getattr(self, f"_refresh_{name}")(s, self.view(name), self.worker.engine.cache)

    def _refresh_distributions(self, s: Settings, view: AnalysisView, cache) -> None:
        self._submit(DIST, jobs.distributions_job(s, cache))

    def _refresh_jacobian(self, s: Settings, view: AnalysisView, cache) -> None:
        try:
            check_size(s)
        except JacobianUndefined as exc:
            self._jacobian_blocked = True
            assert isinstance(view, JacobianView)
            view.show_message(f"No Jacobian spectrum: {exc}.")
            return
        except JacobianTooLarge as exc:
            self._jacobian_blocked = True
            assert isinstance(view, JacobianView)
            view.show_message(f"Too large for the Jacobian spectrum: {exc}.")
            return
        self._jacobian_blocked = False
        self._submit(JACOBIAN, jobs.jacobian_job(s, cache))

    def _refresh_phase(self, s: Settings, view: AnalysisView, cache) -> None:
        assert isinstance(view, PhaseView)
        view.set_plain_note(phase_note(s))
        self._move_marker(s)
        key = (s.activation, view.w2_range, view.b2_range)
        if key != self._phase_key:
            self._phase_key = key
            self._submit(PHASE, jobs.phase_job(*key))
        self._submit(PHASE_POINT, jobs.point_job(s))
        if (s.activation, s.bias_std) not in self._critical:
            self._submit(PHASE_CRITICAL, jobs.critical_job(s.activation, s.bias_std))

    def _submit_spread(self) -> None:
        s = self.settings
        if s is None:
            return
        self._spread_stale = False
        self._submit(SPREAD, jobs.spread_job(s, self.seeds, self.worker.engine))

    # -- results (GUI thread) ----------------------------------------------------------
    @Slot(str, object)
    def _on_any_result(self, kind: str, result: object) -> None:
        if kind == CHART:
            self.on_settings(result.settings)  # type: ignore[attr-defined]

    def _on_distributions(self, result) -> None:
        v = self.distributions_view
        v.set_result(result)
        v.done("")

    def _on_jacobian(self, result) -> None:
        if self._jacobian_blocked:
            return
        v = self.jacobian_view
        v.set_result(result)
        v.progress.hide()

    def _on_phase(self, result) -> None:
        v = self.phase_view
        v.set_diagram(result)
        v.done("")

    def _on_phase_point(self, result) -> None:
        v = self.phase_view
        s = self.settings
        known = self._critical.get((result.activation, s.bias_std)) if s is not None else None
        if s is not None and known is not None and abs(result.sigma_b2 - s.bias_std**2) > 1e-15:
            known = None
        v.set_point(result, *(known or (None, None)))

    def _on_phase_critical(self, result) -> None:
        ckey, (w2, d2) = result
        self._critical[ckey] = (w2, d2)
        v = self.phase_view
        if v.point is not None and self.settings is not None and ckey == (v.point.activation, self.settings.bias_std):
            v.set_point(v.point, w2, d2)

    def _on_spread(self, result) -> None:
        if not self.spread_on or self.band is None:
            return
        self.band.set_spread(result)
        self.spread_label.setText(SPREAD_CAPTION.format(k=result.complete))

    @Slot(str, object)
    def _on_partial(self, kind: str, partial) -> None:
        # Still the newest (the worker checked): draw it at a paced tick, if still so then.
        if kind == SPREAD:
            gen = self.worker.latest_generation(SPREAD)
            self.pacer.post("spread.partial", lambda: self._show_spread_partial(gen, partial))

    def _show_spread_partial(self, gen: int, partial) -> None:
        if not self.spread_on or self.band is None or gen != self.worker.latest_generation(SPREAD):
            return
        self.band.set_spread(partial)
        self.partials_shown += 1
        self.spread_label.setText(SPREAD_CAPTION.format(k=self.seeds) + f" ({partial.complete}/{self.seeds} done)")

    def _on_chart_shown(self, _result) -> None:
        # The chart re-shows its result after a theme or view change: redraw the band over it.
        if self.band is not None:
            self.band.redraw()

    @Slot(str, float)
    def _on_progress(self, kind: str, fraction: float) -> None:
        name = VIEW_OF_KIND.get(kind)
        if name is not None and name in self._views:
            self._views[name].set_progress(fraction)

    @Slot(str, str)
    def _on_error(self, kind: str, message: str) -> None:
        name = VIEW_OF_KIND.get(kind)
        if name is not None and name in self._views:
            self._views[name].done(f"Could not compute: {message}")
        elif kind == SPREAD:
            self.spread_label.setText(f"Spread failed: {message}")

    # -- UI events ---------------------------------------------------------------------
    def _on_visibility(self, name: str, visible: bool) -> None:
        self._visible[name] = bool(visible)
        if visible:
            if name not in self._views and not self.docks[name].isFloating():
                # First time on screen: give the docks a useful height, leave the chart the rest.
                self.window.resizeDocks([self.docks[name]], [int(0.45 * self.window.height())], Qt.Orientation.Vertical)
            self.view(name)
            if name in self._dirty and self.settings is not None:
                self._refresh(name)

    def _on_seeds(self, k: int) -> None:
        self.seeds = int(k)
        self.spread_action.setText(f"Spread over {self.seeds} seeds")
        if self.spread_on:
            self.set_spread(True)

    def _on_phase_click(self, w2: float, b2: float) -> None:
        s = self.window.settings()
        scale = _clamp(math.sqrt(max(w2, 0.0)), "scale")
        bias = _clamp(math.sqrt(max(b2, 0.0)), "bias_std")
        self.window.set_settings(s.replace(scale=round(scale, 4), bias_std=round(bias, 4)))

    def _on_chart_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        layer = self.window.chart.layer_at(ev.scenePos())
        if layer is None:
            return
        self.select_layer(layer)

    def select_layer(self, layer: int) -> None:
        """Show layer `layer`'s histogram (opens the Distributions view)."""
        self._layer = int(layer)
        self.show_view("distributions")
        self.distributions_view.select_layer(layer)


def attach(window) -> AnalysisDocks:
    """Add the analysis docks, spread toggle, menu entries and toolbar to `window`."""
    docks = AnalysisDocks(window)
    window.analysis = docks
    return docks
