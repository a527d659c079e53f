"""The engine thread: one long-lived QThread running jobs, latest request wins.

Threading model
---------------
* `EngineWorker` lives on the GUI thread; `_Runner` lives on one QThread (moveToThread).
* The policy (generations per kind, coalescing, which kind runs next, staleness) is the
  Qt-free `app.scheduler.Scheduler`; this module is the thin Qt bridge around it.
* A job is `fn()`: it returns its result, or a generator (`engine.jobs`) that yields
  `Progress` and `Partial` at its checkpoints (between layers, rows, seeds) and returns
  its result. The runner drives it (`engine.jobs.drive`): at each checkpoint it asks the
  scheduler whether a newer request of the kind exists and, if so, stops the job there
  (`Cancelled` raised inside it); otherwise it sends the progress (only of jobs running
  longer than PROGRESS_DELAY_S) or the partial result on.
* Results, partial results and progress cross back through queued signals (sender and
  receiver live on different threads); the GUI side passes on only those still the
  newest of their kind (`Scheduler.deliverable`). Widgets are never touched from the
  worker thread.
* A job that raises is reported by `error` and the thread runs on. Under the test suite
  (strict mode, `depthlens.strict`) its traceback is recorded instead of printed and the
  failure is raised again when it reaches the GUI thread, so the test fails.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, cast

from PySide6.QtCore import QObject, QThread, Signal, Slot

from depthlens.engine import Cancelled, Engine, Settings, Steps, drive
from depthlens.engine.memory import OutOfMemory

from . import scheduler as policy
from . import strict
from .scheduler import Job, Scheduler

TOO_LARGE = "Too large for this machine: "  # an `OutOfMemory` refusal's message starts so

JobFn = Callable[[], Any]  # fn() -> the result, or a job (engine.jobs.Steps) to drive
CHART = "chart"


class _Runner(QObject):
    """Lives on the worker thread; runs pending jobs until none is left."""

    finished = Signal(str, int, object)  # kind, generation, result
    failed = Signal(str, int, str)  # kind, generation, message
    progressed = Signal(str, int, float)  # kind, generation, fraction 0..1
    partial = Signal(str, int, object)  # kind, generation, partial result

    def __init__(self, owner: EngineWorker) -> None:
        super().__init__()
        self._owner = owner

    @Slot()
    def drain(self) -> None:
        """Run the waiting jobs, the kind asked for longest ago first, until none is left."""
        while (job := self._owner.scheduler.take()) is not None:
            self._run(job)

    def _run_foreground(self) -> None:
        # Called from inside a background job, between its steps (same thread): the
        # interactive jobs waiting meanwhile run now, so a long export never holds them up.
        while (job := self._owner.scheduler.take(foreground_only=True)) is not None:
            self._run(job)

    def _run(self, job: Job) -> None:
        scheduler = self._owner.scheduler
        if scheduler.stale(job):
            return
        gate = policy.ProgressGate(policy.PROGRESS_DELAY_S, policy.PROGRESS_EVERY_S)
        background = job.kind in scheduler.background_kinds

        def cancel() -> bool:
            # Asked at each checkpoint of the job, on this thread.
            if background and not scheduler.closed:
                self._run_foreground()
            return scheduler.stale(job)

        def progress(fraction: float) -> None:
            if gate.due():
                self.progressed.emit(job.kind, job.generation, float(fraction))

        def partial(value: object) -> None:
            self.partial.emit(job.kind, job.generation, value)

        try:
            out = job.fn()
            if inspect.isgenerator(out):
                out = drive(cast("Steps[object]", out), cancel=cancel, progress=progress, partial=partial)
            result = out
        except Cancelled:
            return
        except OutOfMemory as exc:  # refused before it allocated: the user's choice to change, not a fault
            self.failed.emit(job.kind, job.generation, f"{TOO_LARGE}{exc}")
            return
        except Exception as exc:  # an engine error must never kill the thread (tests: it fails them)
            strict.survive(f"engine job {job.kind!r}", reraise=False)  # prints it (strict mode: records it)
            self.failed.emit(job.kind, job.generation, f"{type(exc).__name__}: {exc}")
            return
        if not scheduler.stale(job):
            self.finished.emit(job.kind, job.generation, result)


class EngineWorker(QObject):
    """GUI-side handle of the engine thread.

    Signals carry only results that are still the latest of their kind.
    """

    result_ready = Signal(str, object)  # kind, result
    partial_ready = Signal(str, object)  # kind, partial result (a job's `Partial` yields)
    error = Signal(str, str)  # kind, message
    progress = Signal(str, float)  # kind, fraction (only for jobs running > 100 ms)
    busy_changed = Signal(bool)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None, engine: Engine | None = None) -> None:
        super().__init__(parent)
        # Used only on the worker thread (inside jobs): the weight cache is not shared.
        self.engine = engine or Engine()
        self.scheduler = Scheduler()
        # Kinds that yield to the others between their steps (long file exports).
        self.background_kinds = self.scheduler.background_kinds
        self._running: set[str] = set()  # kinds whose latest job has not answered (GUI side)
        self._thread = QThread()
        self._thread.setObjectName("depthlens-engine")
        self._runner = _Runner(self)
        self._runner.moveToThread(self._thread)
        # Queued connections: the runner's slots run on the worker thread, and its
        # signals are delivered to this object's slots on the GUI thread.
        self._wake.connect(self._runner.drain)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._runner.progressed.connect(self._on_progress)
        self._runner.partial.connect(self._on_partial)
        self._thread.finished.connect(self._runner.deleteLater)
        self._thread.start()

    # -- GUI thread API -------------------------------------------------------------
    def submit(self, kind: str, fn: JobFn) -> int:
        """Request `fn()` as the newest job of `kind`; return its generation.

        `fn` returns the result, or a generator of `Progress`/`Partial` checkpoints that
        returns it (`engine.jobs`). An older job of the same kind still waiting is dropped;
        one already running is stopped at its next checkpoint. -1 after `shutdown`.
        """
        job, wake = self.scheduler.submit(kind, fn)
        if job is None:
            return -1
        was_busy = bool(self._running)
        self._running.add(kind)
        if not was_busy:
            self.busy_changed.emit(True)
        if wake:
            self._wake.emit()
        return job.generation

    def compute(self, settings: Settings, kind: str = CHART) -> int:
        """Request `engine.compute(settings)` as the newest chart job (a long one shows its layers as they finish)."""
        engine = self.engine
        return self.submit(kind, lambda: engine.compute_steps(settings, partials=True))

    def latest_generation(self, kind: str = CHART) -> int:
        """The generation of the newest request of `kind` (0 if none yet)."""
        return self.scheduler.latest(kind)

    def is_running(self, kind: str) -> bool:
        """True while the newest request of `kind` has not delivered its answer."""
        return kind in self._running

    def is_busy(self) -> bool:
        """True while some kind's newest request has not delivered its answer."""
        return bool(self._running)

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Cancel everything, stop the thread and wait for it; True if it stopped."""
        if self.scheduler.closed:
            return not self._thread.isRunning()
        self.scheduler.close()  # makes the running job stale: stopped at its next checkpoint
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        if not stopped:
            # A job stuck outside its cancellable loop: wait longer rather than let Qt
            # destroy a running thread (which aborts the process).
            stopped = self._thread.wait(10 * timeout_ms)
        self._running.clear()
        return stopped

    # -- GUI thread slots --------------------------------------------------------------
    def _done(self, kind: str) -> None:
        self._running.discard(kind)
        if not self._running:
            self.busy_changed.emit(False)

    @Slot(str, int, object)
    def _on_finished(self, kind: str, gen: int, result: object) -> None:
        if not self.scheduler.deliverable(kind, gen):
            return  # stale: something newer was asked for
        self._done(kind)
        self.result_ready.emit(kind, result)

    @Slot(str, int, str)
    def _on_failed(self, kind: str, gen: int, message: str) -> None:
        if self.scheduler.closed or gen != self.scheduler.latest(kind):
            return
        self._done(kind)
        self.error.emit(kind, message)
        if strict.enabled() and not message.startswith(TOO_LARGE):  # under the test suite a failed job fails the test
            raise strict.StrictError(f"engine job {kind!r} failed: {message}")

    @Slot(str, int, object)
    def _on_partial(self, kind: str, gen: int, value: object) -> None:
        if self.scheduler.deliverable(kind, gen, final=False):
            self.partial_ready.emit(kind, value)

    @Slot(str, int, float)
    def _on_progress(self, kind: str, gen: int, fraction: float) -> None:
        if not self.scheduler.closed and gen == self.scheduler.latest(kind):
            self.progress.emit(kind, fraction)
