"""The analysis views of issue 5 as docks of the main window, computed by its engine thread.

`attach(window)` adds three docks (Distributions, Phase diagram, Jacobian spectrum, all
hidden at first and tabbed together under the chart), a spread toggle that draws the
10-90 % band over K seeds around the chart's bars, View-menu entries and an "Analyses"
toolbar for all of them. It returns the `AnalysisDocks` (also `window.analysis`).

Data flow: every chart result (the settings the chart now shows) makes each *visible*
view submit its own job kind to `window.worker` (latest wins per kind, cancelled between
layers); hidden views only remember that they are out of date and compute when shown.
The phase diagram depends only on the activation and the ranges, so moving a slider only
moves its marker and recomputes the readout (q*, chi_1, xi). The spread band grows as
seeds finish: `on_seed` is relayed from the engine thread through a queued signal.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QSpinBox, QToolBar, QWidget

from depthlens.engine import Settings
from depthlens.engine.analysis import (
    JacobianTooLarge,
    JacobianUndefined,
    check_size,
    critical_scale,
    distributions,
    divergence_scale,
    hist_csv_text,
    jacobian_csv_text,
    jacobian_spectrum,
    phase_csv_text,
    phase_diagram,
    point,
    spread,
    spread_csv_text,
    write_text,
)
from depthlens.engine.block_theory import phase_note
from depthlens.engine.config import RANGES
from depthlens.engine.export import atomic_write
from depthlens.widgets.distribution_view import DistributionView
from depthlens.widgets.jacobian_view import JacobianView
from depthlens.widgets.phase_view import RESOLUTION, PhaseView
from depthlens.widgets.spread_band import SpreadBand
from depthlens.widgets.view_base import AnalysisView

from . import headless, scheduler
from .worker import CHART

# Job kinds (each its own latest-wins queue slot on the engine thread).
DIST = "distributions"
SPREAD = "spread"
PHASE = "phase"
PHASE_POINT = "phase_point"
PHASE_CRITICAL = "phase_critical"
JACOBIAN = "jacobian"



@dataclass(frozen=True, slots=True)
class ViewSpec:
    """One analysis view, declared once: the docks, the View menu and the toolbar loop over these.

    `kind` is the job whose time counts against the views' duty cycle while it is shown;
    its jobs are submitted by `AnalysisDocks._refresh_<name>`.
    """

    name: str
    title: str
    tip: str
    widget: type[AnalysisView]
    kind: str


VIEW_SPECS: tuple[ViewSpec, ...] = (
    ViewSpec(
        "distributions",
        "Distributions",
        "Show per-layer histograms of activations and gradients (Glorot & Bengio 2010).",
        DistributionView,
        DIST,
    ),
    ViewSpec(
        "phase",
        "Phase diagram",
        "Show the mean-field order/chaos phase diagram and where this network sits on it.",
        PhaseView,
        PHASE_POINT,
    ),
    ViewSpec(
        "jacobian",
        "Jacobian spectrum",
        "Show the singular values of the input-output Jacobian (dynamical isometry).",
        JacobianView,
        JACOBIAN,
    ),
)
SPECS = {spec.name: spec for spec in VIEW_SPECS}
VIEWS: tuple[str, ...] = tuple(SPECS)
TITLES = {spec.name: spec.title for spec in VIEW_SPECS}
TIPS = {spec.name: spec.tip for spec in VIEW_SPECS}
DEFAULT_SEEDS = 8
# The views update at most every scheduler.ANALYSIS_MIN_INTERVAL_S while settings stream in
# (a slider drag), and leave the engine thread idle about two thirds of the time (its duty
# share): the GUI thread needs the GIL to paint.
SPREAD_CAPTION = (
    "Spread: the box around each bar spans the 10–90 % range of log₁₀ RMS over {k} networks "
    "drawn with different seeds (finite width); the tick is the median."
)


class _Relay(QObject):
    """Carries partial spread results from the engine thread to the GUI thread (queued)."""

    partial = Signal(int, object)  # generation, Spread


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
        self._relay = _Relay(self)
        self._relay.partial.connect(self._on_spread_partial)
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
            window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            if first is None:
                first = dock
            else:
                window.tabifyDockWidget(first, dock)
            dock.hide()
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
            path = self._ask(name, "png", "PNG (*.png)")
            if not path:
                return False
        return self._write(f"{TITLES[name]} PNG", path, lambda: headless.image_png_bytes(view.grab()), binary=True)

    def export_csv(self, name: str, path: str | os.PathLike | None = None) -> bool:
        """Save the numbers behind view `name` (or "spread") as CSV, atomically."""
        self.pacer.flush()  # the numbers of the newest result, as drawn
        text = self._csv_text(name)
        if text is None:
            self.window.show_error("Nothing to export", f"The {name} view has no result yet.")
            return False
        if path is None:
            path = self._ask(name, "csv", "CSV (*.csv)")
            if not path:
                return False
        return self._write(f"{name} CSV", path, lambda: text)

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
    def _submit(self, kind: str, fn: Callable) -> int:
        self.submitted[kind] = self.submitted.get(kind, 0) + 1
        seconds = self._job_seconds

        def timed(cancel, progress):
            t0 = time.perf_counter()
            out = fn(cancel, progress)
            seconds[kind] = time.perf_counter() - t0  # a float store: atomic under the GIL
            return out

        return self.worker.submit(kind, timed)

    def _refresh(self, name: str) -> None:
        """Submit the job(s) of view `name` for the current settings."""
        s = self.settings
        if s is None:
            return
        self._dirty.discard(name)
        getattr(self, f"_refresh_{name}")(s, self.view(name), self.worker.engine.cache)

    def _refresh_distributions(self, s: Settings, view: AnalysisView, cache) -> None:
        def dist_job(cancel, progress, s=s):
            return distributions(s, cache=cache, cancel=cancel, progress=progress)

        self._submit(DIST, dist_job)

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

        def jac_job(cancel, progress, s=s):
            return jacobian_spectrum(s, cache=cache, cancel=cancel, progress=progress)

        self._submit(JACOBIAN, jac_job)

    def _refresh_phase(self, s: Settings, view: AnalysisView, cache) -> None:
        assert isinstance(view, PhaseView)
        view.set_plain_note(phase_note(s))
        self._move_marker(s)
        key = (s.activation, view.w2_range, view.b2_range)
        if key != self._phase_key:
            self._phase_key = key
            act, w2, b2 = key

            def phase_job(cancel, progress, act=act, w2=w2, b2=b2):
                return phase_diagram(
                    act, sigma_w2_range=w2, sigma_b2_range=b2, resolution=RESOLUTION, cancel=cancel, progress=progress
                )

            self._submit(PHASE, phase_job)

        def point_job(cancel, progress, s=s):
            return point(s.activation, scale=s.scale, bias_std=s.bias_std)

        self._submit(PHASE_POINT, point_job)
        ckey = (s.activation, s.bias_std)
        if ckey not in self._critical:

            def crit_job(cancel, progress, ckey=ckey):
                sc = critical_scale(ckey[0], ckey[1])
                sd = divergence_scale(ckey[0], ckey[1])
                return ckey, (math.nan if sc is None else sc * sc, math.nan if sd is None else sd * sd)

            self._submit(PHASE_CRITICAL, crit_job)

    def _submit_spread(self) -> None:
        s = self.settings
        if s is None:
            return
        self._spread_stale = False
        engine = self.worker.engine
        relay = self._relay
        k = self.seeds
        gen = self.worker.latest_generation(SPREAD) + 1

        def spread_job(cancel, progress, s=s, k=k, gen=gen):
            def on_seed(partial) -> None:
                relay.partial.emit(gen, partial)  # queued: delivered on the GUI thread

            return spread(s, seeds=k, engine=engine, cancel=cancel, progress=progress, on_seed=on_seed)

        self._submit(SPREAD, spread_job)

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

    @Slot(int, object)
    def _on_spread_partial(self, gen: int, partial) -> None:
        if gen == self.worker.latest_generation(SPREAD):  # else stale: do not even schedule it
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
        name = {DIST: "distributions", JACOBIAN: "jacobian", PHASE: "phase"}.get(kind)
        if name is not None and name in self._views:
            self._views[name].set_progress(fraction)

    @Slot(str, str)
    def _on_error(self, kind: str, message: str) -> None:
        name = {DIST: "distributions", JACOBIAN: "jacobian", PHASE: "phase", PHASE_POINT: "phase"}.get(kind)
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

    # -- export helpers ----------------------------------------------------------------
    def _ask(self, name: str, ext: str, filters: str) -> str:
        s = self.settings or self.window.settings()
        default = f"depthlens_{name}_{s.activation}_{s.init}_s{s.scale:.3g}_L{s.depth}.{ext}"
        return self.window.ask_save_path(f"Export {TITLES.get(name, name)} as {ext.upper()}", default, filters)

    def _csv_text(self, name: str) -> str | None:
        if name == "spread":
            sp = self.band.spread if self.band is not None else None
            return spread_csv_text(sp) if sp is not None else None
        v = self._views.get(name)
        if isinstance(v, DistributionView) and v.dist is not None:
            return hist_csv_text(v.dist)
        if isinstance(v, PhaseView) and v.diagram is not None:
            return phase_csv_text(v.diagram, self.settings or self.window.settings())
        if isinstance(v, JacobianView) and v.spectrum is not None:
            return jacobian_csv_text(v.spectrum)
        return None

    def _write(self, what: str, path, produce: Callable, *, binary: bool = False) -> bool:
        try:
            data = produce()
            if binary:
                atomic_write(path, data)
            else:
                write_text(data, path)
        except Exception as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.window.show_error(f"Export {what} failed", f"Could not write {path}:\n{reason}")
            return False
        self.window.statusBar().showMessage(f"Saved {what}: {path}", 5000)
        return True


def attach(window) -> AnalysisDocks:
    """Add the analysis docks, spread toggle, menu entries and toolbar to `window`."""
    docks = AnalysisDocks(window)
    window.analysis = docks
    return docks
