"""The engine thread's scheduling policy, Qt-free: one home for every rate-control rule.

The request cycle, in five lines:
1. A view asks for a job of its *kind* (`submit`): the kind's generation goes up and the
   job replaces any job of that kind still waiting (coalescing: a drag never queues work).
2. The engine thread `take`s the waiting job whose kind was asked for longest ago.
3. A running job is *stale* once a newer generation of its kind exists; it is cancelled
   at its next checkpoint (between layers) and its result dropped.
4. A request that arrives while the chart job runs either waits for it (`hold`: when that
   job ends soon, judged from its size) or cancels it at once.
5. Results (and partial results) that come back are shown only if still the newest
   (`deliverable`).

Rate control: `Throttle` with `throttle_ms` (how often a dragged control may request),
`hold` (wait or cancel), `analysis_interval_s` (the analysis views' duty cycle),
`ProgressGate` (progress only of jobs that run long). Tested without Qt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from depthlens.engine import Settings
from depthlens.engine.cost import expected_seconds

HOLD_S = 0.15  # a running chart job this close to done is let finish before the next request
DRAG_HOLD_S = 0.5  # ... and this close while a slider is dragged (every frame shown)
THROTTLE_MIN_MS = 16  # a dragged control requests at most this often (one frame) ...
THROTTLE_MAX_MS = 300  # ... and at least this often, however slow the engine
THROTTLE_HEADROOM = 1.25  # requests no faster than the engine answers, with headroom
ANALYSIS_MIN_INTERVAL_S = 0.2  # the analysis views update at most this often while settings stream
ANALYSIS_DUTY = 0.35  # ... and keep the engine thread busy at most this share of the time
PROGRESS_DELAY_S = 0.1  # report progress only for jobs running longer than this
PROGRESS_EVERY_S = 0.05  # and then at most this often

T = TypeVar("T")
Clock = Callable[[], float]  # seconds, monotonic


@dataclass(frozen=True, slots=True)
class Job:
    """One request: `fn` tagged with its kind, generation and global submission order.

    `fn()` returns the result, or a job (`engine.jobs.Steps`) for the engine thread to drive.
    """

    kind: str
    generation: int
    fn: Callable[..., Any]
    seq: int = 0


class Scheduler:
    """Generations, coalescing and the order of kinds; thread-safe (one lock).

    `submit` and `close` are called on the GUI thread; `take` and `stale` on the engine
    thread. A generation is a plain int per kind, read under the lock.
    """

    def __init__(self, background_kinds: Iterable[str] = ()) -> None:
        self.background_kinds: set[str] = set(background_kinds)
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}
        self._pending: dict[str, Job] = {}
        self._seq = 0
        self._delivered: dict[str, int] = {}
        self._idle = True  # the engine thread has nothing to do and needs a wake-up
        self.closed = False

    def submit(self, kind: str, fn: Callable[..., Any]) -> tuple[Job | None, bool]:
        """Make `fn` the newest job of `kind` (an older waiting one is dropped).

        Returns (job, wake): `wake` is True when the engine thread is idle and must be
        woken (once; it then takes jobs until none is left). (None, False) once closed.
        """
        with self._lock:
            if self.closed:
                return None, False
            gen = self._latest.get(kind, 0) + 1
            self._latest[kind] = gen
            self._seq += 1
            job = Job(kind, gen, fn, self._seq)
            self._pending[kind] = job
            wake, self._idle = self._idle, False
            return job, wake

    def take(self, foreground_only: bool = False) -> Job | None:
        """The waiting job whose kind was asked for longest ago (None if nothing waits).

        `foreground_only` skips background kinds (a long export lets the others run
        between its steps).
        """
        with self._lock:
            kinds = [k for k in self._pending if not (foreground_only and k in self.background_kinds)]
            if not kinds:
                if not self._pending:
                    self._idle = True  # under the same lock as submit: no request is missed
                return None
            kind = min(kinds, key=lambda k: self._pending[k].seq)
            return self._pending.pop(kind)

    def has_pending(self) -> bool:
        """True while some job waits."""
        with self._lock:
            return bool(self._pending)

    def stale(self, job: Job) -> bool:
        """True once a newer request of the job's kind exists, or the scheduler closed."""
        with self._lock:
            return self.closed or self._latest.get(job.kind, 0) != job.generation

    def latest(self, kind: str) -> int:
        """The newest generation of `kind` (0 before any request)."""
        with self._lock:
            return self._latest.get(kind, 0)

    def deliverable(self, kind: str, generation: int, *, final: bool = True) -> bool:
        """True if a result of this generation is the newest to show (remembered if `final`).

        A partial result (`final=False`) is deliverable while its job's final result is
        not: it never outlives a newer request or its own final result.
        """
        with self._lock:
            if self.closed or generation != self._latest.get(kind, 0):
                return False
            if generation <= self._delivered.get(kind, 0):
                return False
            if final:
                self._delivered[kind] = generation
            return True

    def close(self) -> None:
        """Drop everything waiting and make every running job stale."""
        with self._lock:
            self.closed = True
            self._pending.clear()
            for kind in self._latest:
                self._latest[kind] += 1


def hold(
    running: Settings | None,
    calibration: tuple[Settings, float] | None,
    elapsed_s: float,
    dragging: bool,
) -> bool:
    """True if a new chart request should wait for the running job, False to cancel it.

    Wait only if the running job will end soon, judged from its own size scaled by the
    last measured run (`calibration` = (settings, seconds)): a one-layer net followed by
    a 1000-layer one never makes the next request wait for the long one.
    """
    if running is None:
        return False
    left = expected_seconds(running, calibration) - elapsed_s
    return left <= (DRAG_HOLD_S if dragging else HOLD_S)


def throttle_ms(last_seconds: float) -> int:
    """The interval between requests of a dragged control: the engine's pace, capped."""
    return int(min(THROTTLE_MAX_MS, max(THROTTLE_MIN_MS, round(1000 * THROTTLE_HEADROOM * last_seconds))))


def analysis_interval_s(job_seconds: Iterable[float]) -> float:
    """How long the analysis views wait between updates: their busy time over the duty share."""
    return max(ANALYSIS_MIN_INTERVAL_S, sum(job_seconds) / ANALYSIS_DUTY)


class ProgressGate:
    """Whether a running job's progress is worth showing now.

    Only a job that has run longer than `delay_s` reports, and then at most every
    `every_s`: short jobs never flash a progress bar, long ones do not flood the GUI.
    """

    def __init__(self, delay_s: float, every_s: float, clock: Clock = time.perf_counter) -> None:
        self._clock = clock
        self._start = clock()
        self._last = -float("inf")
        self.delay_s = delay_s
        self.every_s = every_s

    def due(self) -> bool:
        """True (and remembered) if a progress report may go out now."""
        now = self._clock()
        if now - self._start < self.delay_s or now - self._last < self.every_s:
            return False
        self._last = now
        return True


_NOTHING: Any = object()


class Throttle(Generic[T]):
    """A dragged control's rate: the first change at once, then the latest every interval.

    `offer(value)` returns True when the value goes out now; otherwise it is kept (a newer
    one replaces it) and `wait_ms()` says when `due()` will hand it out. The interval
    follows the engine (`set_interval_ms(throttle_ms(seconds))`). The Qt side is one
    single-shot timer started for `wait_ms()`.
    """

    def __init__(self, interval_ms: int = THROTTLE_MIN_MS, clock: Clock = time.perf_counter) -> None:
        self._clock = clock
        self.interval_ms = THROTTLE_MIN_MS
        self.set_interval_ms(interval_ms)
        self._until = -float("inf")  # the end of the interval opened by the last value sent
        self._pending: T = _NOTHING

    def set_interval_ms(self, ms: int) -> None:
        """Send at most one value per `ms` (never below one frame, THROTTLE_MIN_MS)."""
        self.interval_ms = max(THROTTLE_MIN_MS, int(ms))

    def offer(self, value: T) -> bool:
        """A new value: True if it is to be sent now, False if it waits for `due`."""
        now = self._clock()
        if self._pending is _NOTHING and now >= self._until:
            self._sent(now)
            return True
        self._pending = value
        return False

    def pending(self) -> bool:
        """True while a value waits."""
        return self._pending is not _NOTHING

    def wait_ms(self) -> int:
        """How long until the waiting value is due (at least 1 ms; 0 if nothing waits)."""
        if self._pending is _NOTHING:
            return 0
        return max(1, round(1000 * (self._until - self._clock())))

    def due(self) -> T:
        """Hand out the waiting value (the interval is over, or a flush): a new interval opens.

        Raises LookupError if nothing waits.
        """
        if self._pending is _NOTHING:
            raise LookupError("no value waits")
        value, self._pending = self._pending, _NOTHING
        self._sent(self._clock())
        return value

    def reset(self) -> None:
        """Drop the waiting value and close the interval (the next value goes out at once)."""
        self._pending = _NOTHING
        self._until = -float("inf")

    def _sent(self, now: float) -> None:
        self._until = now + self.interval_ms / 1000
