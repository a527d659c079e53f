"""The engine thread: one long-lived QThread running jobs, latest request wins.

Threading model
---------------
* `EngineWorker` lives on the GUI thread; `_Runner` lives on one QThread (moveToThread).
* Jobs are tagged by a *kind* ("chart", later "histogram", "jacobian", ...). Each kind has
  its own generation counter; `submit` bumps it and stores the job as the kind's only
  pending job (coalescing: an older pending job of that kind is simply overwritten, so
  dragging a slider never queues work).
* The runner drains pending jobs one at a time. A running job is cancelled between
  layers: its `cancel()` callable compares its generation with the kind's latest one
  (a plain int read, atomic under the GIL), so a newer request makes it raise
  `engine.Cancelled` within one layer.
* Strict by default (`interim_budget_s = 0`): a newer request cancels the running job and
  its result is dropped. Dragging stays live because the controls throttle requests to
  the engine's own pace (see `ControlPanel.set_throttle_ms`). Optionally, a superseded
  job expected to finish within `interim_budget_s` may complete and be shown as an
  *interim* result if nothing newer has been shown.
* Results cross back through queued signals (Qt queues them because sender and receiver
  live on different threads); the GUI side drops anything whose generation is stale.
  Widgets are never touched from the worker thread.
"""

from __future__ import annotations

import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine import Cancelled, Engine, Settings

JobFn = Callable[..., Any]  # fn(cancel=callable, progress=callable) -> result

CHART = "chart"

# Every QThread this module starts, so tests can check none is left running.
_THREADS: weakref.WeakSet[QThread] = weakref.WeakSet()

PROGRESS_DELAY_S = 0.1  # report progress only for jobs running longer than this
PROGRESS_EVERY_S = 0.05  # and then at most this often
# Superseded jobs expected to take at most this long may finish as "interim" results.
# 0 = strict latest-wins (the default): a newer request cancels the running job and its
# result is dropped; the controls' adaptive throttle keeps drags live instead.
INTERIM_BUDGET_S = 0.0


def live_threads() -> list[QThread]:
    """Engine threads that are still running (should be empty after every close)."""
    return [t for t in list(_THREADS) if t.isRunning()]


@dataclass(frozen=True, slots=True)
class Job:
    """One request: `fn(cancel=, progress=)` tagged with its kind and generation."""

    kind: str
    generation: int
    fn: JobFn
    seq: int = 0  # global submission order across kinds


class _Runner(QObject):
    """Lives on the worker thread; runs pending jobs until none is left."""

    finished = Signal(str, int, object)  # kind, generation, result
    failed = Signal(str, int, str)  # kind, generation, message
    progressed = Signal(str, int, float)  # kind, generation, fraction 0..1

    def __init__(self, owner: EngineWorker) -> None:
        super().__init__()
        self._owner = owner

    @Slot()
    def drain(self) -> None:
        """Run the latest pending job of each kind, newest requests first come."""
        owner = self._owner
        while True:
            job = owner._take_pending()
            if job is None:
                return
            self._run(job)

    def _run_foreground(self) -> None:
        # Called from inside a background job, between its steps (same thread): the
        # interactive jobs waiting meanwhile run now, so a long export never holds them up.
        owner = self._owner
        while True:
            job = owner._take_pending(foreground_only=True)
            if job is None:
                return
            self._run(job)

    def _run(self, job: Job) -> None:
        owner = self._owner
        if owner._stale(job):
            return
        t0 = time.perf_counter()
        last = [0.0]
        done = [0.0]  # fraction reported by the job so far
        interim = [False]
        background = job.kind in owner.background_kinds

        def cancel() -> bool:
            # Called between layers on this thread; reads the GUI thread's counter.
            if background and not owner._closed:
                self._run_foreground()
            if not owner._stale(job):
                return False
            if owner._closed:
                return True
            expected = (time.perf_counter() - t0) / done[0] if done[0] > 0 else float("inf")
            if expected <= owner.interim_budget_s:
                interim[0] = True  # nearly done: finish and show it while the newer one waits
                return False
            return True

        def progress(fraction: float) -> None:
            done[0] = fraction
            now = time.perf_counter()
            if now - t0 >= PROGRESS_DELAY_S and now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                self.progressed.emit(job.kind, job.generation, float(fraction))

        try:
            result = job.fn(cancel=cancel, progress=progress)
        except Cancelled:
            return
        except Exception as exc:  # an engine error must never kill the thread
            traceback.print_exc()
            self.failed.emit(job.kind, job.generation, f"{type(exc).__name__}: {exc}")
            return
        if not owner._stale(job) or (interim[0] and not owner._closed):
            self.finished.emit(job.kind, job.generation, result)


class EngineWorker(QObject):
    """GUI-side handle of the engine thread.

    Signals carry only results that are still the latest of their kind.
    """

    result_ready = Signal(str, object)  # kind, result
    error = Signal(str, str)  # kind, message
    progress = Signal(str, float)  # kind, fraction (only for jobs running > 100 ms)
    busy_changed = Signal(bool)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None, engine: Engine | None = None) -> None:
        super().__init__(parent)
        # Used only on the worker thread (inside jobs): the weight cache is not shared.
        self.engine = engine or Engine()
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}  # kind -> newest generation (written on GUI thread)
        self._pending: dict[str, Job] = {}  # kind -> the one job waiting to run
        self._seq = 0  # submission counter across kinds (generations are per kind)
        self._running: set[str] = set()  # kinds whose latest job has not finished (GUI side)
        self._shown: dict[str, int] = {}  # kind -> generation of the newest delivered result
        self.interim_budget_s = INTERIM_BUDGET_S
        # Kinds that yield to the others between their steps (long file exports).
        self.background_kinds: set[str] = set()
        self._wake_posted = False
        self._closed = False
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
        self._thread.finished.connect(self._runner.deleteLater)
        _THREADS.add(self._thread)
        self._thread.start()

    # -- GUI thread API -------------------------------------------------------------
    def submit(self, kind: str, fn: JobFn) -> int:
        """Request `fn(cancel=, progress=)` as the newest job of `kind`; return its generation.

        An older job of the same kind still waiting is dropped; one already running is
        cancelled at its next layer boundary.
        """
        if self._closed:
            return -1
        with self._lock:
            gen = self._latest.get(kind, 0) + 1
            self._latest[kind] = gen
            self._seq += 1
            self._pending[kind] = Job(kind, gen, fn, self._seq)
            post = not self._wake_posted
            self._wake_posted = True
        was_busy = bool(self._running)
        self._running.add(kind)
        if not was_busy:
            self.busy_changed.emit(True)
        if post:
            self._wake.emit()
        return gen

    def compute(self, settings: Settings, kind: str = CHART) -> int:
        """Request `engine.compute(settings)` as the newest chart job."""
        engine = self.engine

        def job(cancel, progress):
            return engine.compute(settings, cancel=cancel, progress=progress)

        return self.submit(kind, job)

    def latest_generation(self, kind: str = CHART) -> int:
        """The generation of the newest request of `kind` (0 if none yet)."""
        return self._latest.get(kind, 0)

    def is_running(self, kind: str) -> bool:
        """True while the newest request of `kind` has not delivered its answer."""
        return kind in self._running

    def is_busy(self) -> bool:
        """True while some kind's newest request has not delivered its answer."""
        return bool(self._running)

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Cancel everything, stop the thread and wait for it; True if it stopped."""
        if self._closed:
            return not self._thread.isRunning()
        self._closed = True
        with self._lock:
            self._pending.clear()
            for kind in self._latest:
                self._latest[kind] += 1  # makes the running job's cancel() true
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        if not stopped:
            # A job stuck outside its cancellable loop: wait longer rather than let Qt
            # destroy a running thread (which aborts the process).
            stopped = self._thread.wait(10 * timeout_ms)
        self._running.clear()
        return stopped

    # -- called from the worker thread (under the lock) -------------------------------
    def _take_pending(self, foreground_only: bool = False) -> Job | None:
        with self._lock:
            kinds = [k for k in self._pending if not (foreground_only and k in self.background_kinds)]
            if not kinds:
                if not self._pending:
                    self._wake_posted = False
                return None
            # The oldest-requested kind first, so one busy kind cannot starve another.
            kind = min(kinds, key=lambda k: self._pending[k].seq)
            return self._pending.pop(kind)

    def _stale(self, job: Job) -> bool:
        return self._closed or self._latest.get(job.kind, 0) != job.generation

    # -- GUI thread slots --------------------------------------------------------------
    def _done(self, kind: str) -> None:
        self._running.discard(kind)
        if not self._running:
            self.busy_changed.emit(False)

    @Slot(str, int, object)
    def _on_finished(self, kind: str, gen: int, result: object) -> None:
        if self._closed or gen <= self._shown.get(kind, 0):
            return  # stale: something newer is already shown
        self._shown[kind] = gen
        if gen == self._latest.get(kind):
            self._done(kind)
        # else: an interim result (see the module docstring); the newest is still coming.
        self.result_ready.emit(kind, result)

    @Slot(str, int, str)
    def _on_failed(self, kind: str, gen: int, message: str) -> None:
        if self._closed or gen != self._latest.get(kind):
            return
        self._done(kind)
        self.error.emit(kind, message)

    @Slot(str, int, float)
    def _on_progress(self, kind: str, gen: int, fraction: float) -> None:
        if not self._closed and gen == self._latest.get(kind):
            self.progress.emit(kind, fraction)
