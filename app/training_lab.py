"""The training lab in the window: the Training dock, its views, Pin and the Init race.

`attach(window)` adds the Training panel (right) and three views (Loss curve, Update:data,
Decision boundary; tabbed at the bottom), a Training menu and the Space shortcut; it
returns the `TrainingLab` (also `window.training`).

Threading: the `Trainer` lives in a holder touched only inside engine-thread jobs. Training
runs as a chain of short generator jobs (kind `train`, each at most ~50 ms of steps; every
step is a checkpoint where a newer request stops it), so the chart and the views' jobs
interleave with it through the scheduler; each chunk returns a frozen `TrainSnapshot`. The GUI thread draws
snapshots and, while Train is on, asks for the next chunk after a pause that keeps to the
chosen steps per second (one single-shot timer, stopped on close). The Init race is a
background generator job (the interactive jobs run between its chunks); it yields a
`Partial` after each init, so the curves appear as they finish.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QStyle

from depthlens.engine import Progress, Settings, Steps, fileio
from depthlens.engine.theory import Theory, predict
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.train_export import layers_csv, run_config, steps_csv
from depthlens.engine.train_race import RaceRun, race_steps
from depthlens.engine.train_snapshot import TrainSnapshot, loss_text, snapshot
from depthlens.engine.training import TooLarge, Trainer
from depthlens.widgets.boundary_view import BoundaryView
from depthlens.widgets.dock_tabs import add_bottom_tab
from depthlens.widgets.loss_view import Curve, LossView
from depthlens.widgets.ratio_view import RatioView
from depthlens.widgets.training_panel import TrainingPanel
from depthlens.widgets.view_base import AnalysisView

from . import headless

TRAIN = "train"
RACE = "race"
TRAIN_EXPORT = "train_export"
# The readout's training line says what its other sentences (the chart's result) describe.
TRAINING_NOTE = "the bars show this step's network; the sentences below, the untrained one"
CHUNK_SECONDS = 0.05  # a chunk job returns after this much training (or its step count)
CHUNKS_PER_SECOND = 10
BOUNDARY_EVERY_S = 0.3
VIEWS_SHARE = 0.27  # the bottom row of the views (and the walkthrough beside them): the chart keeps the most
VIEWS_MIN_HEIGHT = 180


@dataclass(frozen=True, slots=True)
class TrainViewSpec:
    """One training view, declared once: its dock, its menu entry and what it draws."""

    name: str
    title: str
    tip: str
    widget: type[AnalysisView]


TRAIN_VIEWS: tuple[TrainViewSpec, ...] = (
    TrainViewSpec("loss", "Loss curve", "The training loss over steps (log scale); pinned and raced runs.", LossView),
    TrainViewSpec("ratio", "Update:data", "log10 RMS(ΔW)/RMS(W) per layer and step, with the 1e-3 guide.", RatioView),
    TrainViewSpec(
        "boundary", "Decision boundary", "The network's output over the spirals' plane, with the points.", BoundaryView
    ),
)


class _Holder:
    """The engine-thread side: the run and its theory (touched only inside jobs)."""

    def __init__(self) -> None:
        self.trainer: Trainer | None = None
        self.theory: Theory | None = None
        self.epoch = -1

    def ensure(self, settings: Settings, config: TrainConfig, cache: Any, epoch: int) -> Trainer:
        """The run for these settings and reset epoch (a new one when any differs)."""
        t = self.trainer
        if epoch != self.epoch or t is None or t.settings != settings or t.config.resets(config):
            t = self.trainer = None  # free the old run first
            t = self.trainer = Trainer(settings, config, cache)
            self.theory = predict(settings)
            self.epoch = epoch
        else:
            t.configure(config)
        return t


def run_label(settings: Settings, config: TrainConfig) -> str:
    """init, activation, depth and lr of a run, for a pinned curve's legend."""
    s = settings
    return f"{s.init} s={s.scale:.3g}, {s.activation}, L={s.depth}, {config.optimizer} lr={config.lr:.3g}"


class TrainingLab(QObject):
    """Training dock, views, pins and race of one `MainWindow`."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.worker = window.worker
        self.panel = TrainingPanel()
        self.config = self.panel.config()
        self.snapshot: TrainSnapshot | None = None
        self.pins: list[Curve] = []
        self.race_curves: list[Curve] = []
        self.race_runs: list[RaceRun] = []
        self.message = ""
        self._holder = _Holder()
        self._epoch = 0  # Reset makes a new run: jobs carry the epoch they belong to
        self._chart_trained = False  # the chart shows a training step's bars (not the network's own)
        self._target = 0  # the step the newest request trains up to
        self._asked_at = 0.0
        self._last_boundary = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._next_chunk)
        self._stopped = False

        dock = QDockWidget("Training", window)
        dock.setObjectName("training")
        dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        dock.hide()
        self.dock = dock
        self.docks: dict[str, QDockWidget] = {"panel": dock}
        first: QDockWidget | None = None
        for spec in TRAIN_VIEWS:
            # The docks exist from the start (a saved window layout names them); their views
            # are built when first shown or asked for (`views`): ~60 ms less at start-up.
            d = QDockWidget(spec.title, window)
            d.setObjectName(f"train_{spec.name}")
            d.setToolTip(spec.tip)
            first = add_bottom_tab(window, d, first)
            self.docks[spec.name] = d
            d.visibilityChanged.connect(lambda on, name=spec.name: self._on_dock_shown(name, on))
        self.views = _LazyViews(self._build_view)
        self.docks["boundary"].visibilityChanged.connect(self._on_boundary_shown)

        menu = window.menuBar().addMenu("&Training")
        show = QAction("Training lab", self)
        show.setToolTip("Show the Training panel and its loss curve.")
        show.triggered.connect(self.show)
        menu.addAction(show)
        for name in ("panel", *self.views):
            menu.addAction(self.docks[name].toggleViewAction())
        self.toggle_action = QAction("Train / Pause", window)
        self.toggle_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.toggle_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.toggle_action.triggered.connect(lambda: self.set_running(not self.panel.running()))
        window.addAction(self.toggle_action)
        menu.addAction(self.toggle_action)

        p = self.panel
        p.train_toggled.connect(self.set_running)
        p.step_requested.connect(self.step)
        p.reset_requested.connect(self.reset)
        p.pin_requested.connect(self.pin)
        p.clear_pins_requested.connect(self.clear_pins)
        p.race_requested.connect(self.start_race)
        p.config_changed.connect(self.set_config)
        window.add_job_handler(TRAIN, self._on_snapshot)
        window.add_job_handler(RACE, self._on_race)
        for spec in TRAIN_VIEWS:
            window.add_job_handler(f"{TRAIN_EXPORT}_{spec.name}", self._on_exported)
        self.worker.background_kinds.add(RACE)
        self.worker.partial_ready.connect(self._on_partial)
        window.state.settings_changed.connect(self._on_network_changed)
        window.state.theme_changed.connect(self._apply_theme)

    def _on_dock_shown(self, name: str, on: bool) -> None:
        if on:
            self.views[name]  # built now, if not yet

    def _build_view(self, name: str) -> AnalysisView:
        spec = next(spec for spec in TRAIN_VIEWS if spec.name == name)
        view = spec.widget(theme=self.window.theme_name)
        self.docks[name].setWidget(view)
        view.export_png_requested.connect(lambda: self.export_png(name))
        view.export_svg_requested.connect(lambda: self.export_svg(name))
        view.svg_button.show()
        view.export_csv_requested.connect(lambda: self.export_csv(name))
        return view

    # -- public API --------------------------------------------------------------------
    def show(self) -> None:
        """Show the Training panel and the loss curve."""
        if self.dock.isHidden() and not self.dock.isFloating():
            self._place_panel()
        self.dock.show()
        self.dock.raise_()  # its tab, when it shares the controls' column
        self.docks["loss"].show()
        self.docks["loss"].raise_()
        height = max(VIEWS_MIN_HEIGHT, round(VIEWS_SHARE * self.window.height()))
        self.window.resizeDocks([self.docks["loss"]], [height], Qt.Orientation.Vertical)

    def hide(self) -> None:
        """Pause training and hide the Training panel and its views."""
        self.set_running(False)
        for dock in self.docks.values():
            dock.hide()
        self._untab_panel()

    def _untab_panel(self) -> None:
        """A hidden panel leaves the controls' tab group (splitting a tabbed dock only adds a tab)."""
        w = self.window
        if self.dock.isHidden() and self.dock in w.tabifiedDockWidgets(w.controls_dock):
            w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
            self.dock.hide()

    def shown(self) -> bool:
        """True while the Training panel or one of its views is shown."""
        return any(d.isVisible() for d in self.docks.values())

    def _place_panel(self) -> None:
        """Right of the chart when the window has the width, else a tab beside the network controls.

        Beside the controls' column and the chart's least width, a third column would make the
        window wider than a 1024 px screen (its right part, the panel's buttons, off screen).
        """
        w = self.window
        separator = w.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent)
        need = w.minimumSizeHint().width() + self.dock.minimumSizeHint().width() + separator
        right = Qt.DockWidgetArea.RightDockWidgetArea
        if need > w.width() and not w.controls_dock.isFloating():
            w.tabifyDockWidget(w.controls_dock, self.dock)
        elif w.dockWidgetArea(self.dock) != right:
            w.addDockWidget(right, self.dock)

    def running(self) -> bool:
        """True while Train is on."""
        return self.panel.running()

    def set_running(self, on: bool) -> None:
        """Train (True) or pause (False)."""
        self.panel.set_running(on)
        if on and not self._stopped:
            self._next_chunk()
        else:
            self._timer.stop()

    def step(self) -> None:
        """One training step (pauses a running training first); quick clicks add up."""
        self.set_running(False)
        self._target += 1
        self._submit(self._target)

    def reset(self) -> None:
        """Back to step 0 of the current network and training settings.

        A chart showing a trained step goes back to the untrained network (a step-0
        snapshot has no result of its own).
        """
        self._epoch += 1
        self._target = 0
        if self._chart_trained:
            self._chart_trained = False
            self.window.request_compute()
        if self.dock.isVisible() or self.running():
            self._submit(0)
        else:  # hidden: nothing to draw; the next Train or Step starts the new run
            self.snapshot = None
            self.panel.show_status("Step 0")
        self._show_in_readout(None)

    def set_config(self, config: TrainConfig) -> None:
        """New training settings: lr, momentum, clip apply from the next step; the rest resets."""
        resets = self.config.resets(config)
        self.config = config
        if resets:
            self.reset()

    def use_config(self, config: TrainConfig) -> None:
        """Show and use `config` (a walkthrough step's), and show the lab."""
        self.panel.set_config(config)
        self.set_config(config)
        self.show()

    def pin(self) -> None:
        """Keep the current run's loss curve."""
        snap = self.snapshot
        if snap is None or snap.result is None:
            self.window.statusBar().showMessage("Nothing to pin yet: train first", 3000)
            return
        s = snap.result.settings
        self.pins.append(Curve(run_label(s, snap.config), snap.steps, snap.losses))
        self._draw_others()

    def clear_pins(self) -> None:
        """Forget pinned curves and the race."""
        self.pins.clear()
        self.race_curves.clear()
        self._draw_others()

    def start_race(self, steps: int = 1000) -> int:
        """Train the current network from the race's inits for `steps` steps (background job)."""
        settings, config, cache = self.window.settings(), self.config, self.worker.engine.cache

        def job():
            return race_steps(settings, config, steps, cache=cache)

        self.show()
        self.views["loss"].status.setText(f"Init race: training {settings.depth} layers from each init…")
        return self.worker.submit(RACE, job)

    def stop(self) -> None:
        """Stop asking for chunks (window closing)."""
        self._stopped = True
        self._timer.stop()

    # -- jobs --------------------------------------------------------------------------
    def _next_chunk(self) -> None:
        if self._stopped or not self.running():
            return
        self._target += max(1, round(self.panel.steps_per_second() / CHUNKS_PER_SECOND))
        self._submit(self._target, timed=True)

    def _submit(self, target: int, timed: bool = False) -> int:
        """Ask for the run trained up to step `target` (a timed chunk may stop short).

        Targets are absolute, so a request that replaces or cancels an older one loses no
        step and takes none twice.
        """
        if self._stopped:
            return -1
        settings, config, cache, holder = self.window.settings(), self.config, self.worker.engine.cache, self._holder
        epoch = self._epoch
        want_boundary = self._boundary_due()

        def job() -> Steps[TrainSnapshot | str]:
            # A generator job: each step is a checkpoint (a newer request stops it there,
            # between two steps, so the run stays consistent).
            try:
                t = holder.ensure(settings, config, cache, epoch)
            except TooLarge as exc:
                return str(exc)
            t0, first = time.perf_counter(), t.step
            while t.step < target and t.diverged is None:
                t.step_once()
                yield Progress((t.step - first) / max(1, target - first))
                if timed and time.perf_counter() - t0 > CHUNK_SECONDS:
                    break
            assert holder.theory is not None
            return snapshot(t, holder.theory, with_boundary=want_boundary)

        self._asked_at = time.perf_counter()
        return self.worker.submit(TRAIN, job)

    def _boundary_due(self) -> bool:
        if not self.docks["boundary"].isVisible() or self.config.task != "spirals":
            return False
        now = time.perf_counter()
        if now - self._last_boundary < BOUNDARY_EVERY_S:
            return False
        self._last_boundary = now
        return True

    def _on_boundary_shown(self, on: bool) -> None:
        if on and not self.running():
            self._last_boundary = 0.0
            self._submit(self._target)

    # -- results (GUI thread) ----------------------------------------------------------
    def _on_snapshot(self, result: object) -> None:
        if isinstance(result, str):  # too large to train
            self.message = result
            self.set_running(False)
            self.panel.show_status(result)
            return
        assert isinstance(result, TrainSnapshot)
        snap = self.snapshot = result
        self._target = snap.step  # the newest request's answer: where the run is
        self.message = snap.diverged or ""
        if snap.result is not None:
            self.window.chart.set_result(snap.result, animate=False)
            self._chart_trained = True
        acc = "" if math.isnan(snap.accuracy) else f", accuracy {100 * snap.accuracy:.1f} %"
        line = f"Step {snap.step}: loss {loss_text(snap.loss)}{acc}" if snap.step else "Step 0"
        if snap.diverged:
            line += f" — {snap.diverged}"
        if snap.stride > 1:
            line += f" (history: every {snap.stride}th step kept)"
        self.panel.show_status(line, snap.learning)
        self._show_in_readout(snap)
        # The views follow one per event-loop pass (the window's pacer), each with its own
        # repaint: painted together with the chart they held the window ~50 ms at a time.
        label = run_label(self.window.settings(), snap.config)
        pacer = self.window.pacer
        pacer.post("train-loss", lambda: self._show_loss(label, snap))
        pacer.post("train-ratio", lambda: self._show_ratio(snap))
        if snap.boundary is not None or snap.config.task != "spirals":
            pacer.post("train-boundary", lambda: self._show_boundary(snap))
        if snap.diverged:
            self.set_running(False)
        elif self.running():
            left = 1.0 / CHUNKS_PER_SECOND - (time.perf_counter() - self._asked_at)
            self._timer.start(max(0, round(1000 * left)))

    def _show_loss(self, label: str, snap: TrainSnapshot) -> None:
        loss_view = self.views["loss"]
        assert isinstance(loss_view, LossView)
        loss_view.set_current(Curve(label, snap.steps, snap.losses) if snap.steps.size else None)

    def _show_ratio(self, snap: TrainSnapshot) -> None:
        ratio_view = self.views["ratio"]
        assert isinstance(ratio_view, RatioView)
        ratio_view.set_snapshot(snap)

    def _show_boundary(self, snap: TrainSnapshot) -> None:
        boundary_view = self.views["boundary"]
        assert isinstance(boundary_view, BoundaryView)
        boundary_view.set_boundary(snap.boundary)

    def _show_in_readout(self, snap: TrainSnapshot | None) -> None:
        """The main readout says which layers are learning while the chart shows a training step."""
        line = None
        if snap is not None and snap.step and snap.result is not None:
            line = f"Training, step {snap.step} ({TRAINING_NOTE}): {snap.learning}"
        if self.window.readout.set_training(line):
            self.window.readout_area.refit()

    def _on_partial(self, kind: str, value: object) -> None:
        if kind == RACE and isinstance(value, list):  # the inits finished so far
            self._show_race(value, done=False)

    def _on_race(self, result: object) -> None:
        assert isinstance(result, list)
        self._show_race(result, done=True)

    def _show_race(self, result: list, done: bool) -> None:
        self.race_runs = result
        self.race_curves = [Curve(f"{r.label}: {loss_text(r.final)}", _steps_of(r), r.losses) for r in result]
        self._draw_others()
        if result:
            r0 = result[0]
            what = f"loss after {r0.losses.size} steps" if done else f"{len(result)} inits done, training the next…"
            self.views["loss"].status.setText(f"Init race: {r0.settings.depth} layers, {what}")

    def _draw_others(self) -> None:
        view = self.views["loss"]
        assert isinstance(view, LossView)
        view.set_others([*self.pins, *self.race_curves])

    def _on_network_changed(self, _settings: Settings) -> None:
        self.reset()

    def _apply_theme(self, name: str) -> None:
        for view in self.views.built():  # one built later takes the theme then
            view.set_theme(name)

    # -- exports -----------------------------------------------------------------------
    def export_png(self, name: str, path: str | None = None) -> bool:
        """Save view `name`'s plot as PNG (asks for a path when none is given)."""
        return self._export_plot(name, "PNG", path)

    def export_svg(self, name: str, path: str | None = None) -> bool:
        """Save view `name`'s plot as SVG (asks for a path when none is given)."""
        return self._export_plot(name, "SVG", path)

    def _export_plot(self, name: str, kind: str, path: str | None) -> bool:
        view = self.views[name]
        ext = kind.lower()
        path = path or self.window.ask_save_path(
            f"Save view as {kind}", f"depthlens_train_{name}.{ext}", f"{kind} (*.{ext})"
        )
        if not path:
            return False
        try:
            fileio.write_bytes(path, plot_bytes(view, kind))
        except OSError as exc:
            self.window.show_error("Export failed", f"Could not save {path}: {exc}")
            return False
        return True

    def export_csv(self, name: str, path: str | None = None) -> int:
        """Write the run's CSV (steps for the loss view, layers otherwise) on the engine thread."""
        layers = name != "loss"
        default = "depthlens_train_layers.csv" if layers else "depthlens_train.csv"
        path = path or self.window.ask_save_path("Save training CSV", default, "CSV (*.csv)")
        if not path:
            return -1
        holder = self._holder

        def job(path=str(path)):
            t = holder.trainer
            if t is None:
                return ("", "nothing trained yet")
            t.finish()
            meta = run_config(t, steps=t.step)
            text = layers_csv(t, meta) if layers else steps_csv(t, meta)
            try:
                fileio.write_bytes(path, text.encode("utf-8"))
            except OSError as exc:
                return (path, str(exc))
            return (path, "")

        return self.worker.submit(f"{TRAIN_EXPORT}_{name}", job)

    def _on_exported(self, result: object) -> None:
        assert isinstance(result, tuple)
        path, error = str(result[0]), str(result[1])
        if error:
            self.window.show_error("Export failed", f"Could not save the training CSV: {error}")
        else:
            self.window.statusBar().showMessage(f"Saved {path}", 5000)


def plot_bytes(view: AnalysisView, kind: str) -> bytes:
    """A view's plot (its graphics, without the caption and buttons) as PNG or SVG bytes.

    The SVG keeps pyqtgraph's clip paths: a zoomed-in view must not draw beyond its axes.
    """
    from pyqtgraph.exporters import ImageExporter, SVGExporter

    if kind == "SVG":
        data = SVGExporter(view.graphics.ci).export(toBytes=True)
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    exporter = ImageExporter(view.graphics.ci)
    exporter.parameters()["width"] = max(16, view.graphics.width())
    return headless.image_png_bytes(exporter.export(toBytes=True))


def _steps_of(run: RaceRun) -> np.ndarray:
    return np.arange(run.losses.size, dtype=np.float64)


def attach(window) -> TrainingLab:
    """Add the training lab to `window` (also `window.training`)."""
    lab = TrainingLab(window)
    window.training = lab
    return lab


class _LazyViews(Mapping[str, AnalysisView]):
    """The lab's views by name, each built by `build(name)` when first asked for."""

    def __init__(self, build: Callable[[str], AnalysisView]) -> None:
        self._build = build
        self._built: dict[str, AnalysisView] = {}

    def __getitem__(self, name: str) -> AnalysisView:
        view = self._built.get(name)
        if view is None:
            if name not in _VIEW_NAMES:
                raise KeyError(name)
            view = self._built[name] = self._build(name)
        return view

    def __iter__(self) -> Iterator[str]:
        return iter(_VIEW_NAMES)

    def __len__(self) -> int:
        return len(_VIEW_NAMES)

    def built(self) -> list[AnalysisView]:
        """The views built so far."""
        return list(self._built.values())


_VIEW_NAMES = tuple(spec.name for spec in TRAIN_VIEWS)
