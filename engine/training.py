"""Training a network full-batch on a task, step by step, through the one propagation loop.

`Trainer` starts from exactly the chart's weights and biases of `Settings` (scaled; s*I
for identity init), trains every W_l and b_l with `engine.optim` on the task of
`engine.tasks`, and records every step's statistics (`engine.train_history`). `run` is a
generator that yields after every `chunk` steps, so a caller can interleave, pause (stop
asking), change lr, momentum or clip (`configure`) and go on: the result equals an
uninterrupted run with the same schedule, bit for bit.

Loss: spirals mean_b softplus(-y_b y_hat_b) (an untrained net sits at ln 2), teacher
mean_b (y_hat_b - y_b)^2 / 2, with y_hat_b = r . a_L,b / sqrt(n). Step k evaluates loss_k,
the gradients and the statistics at the parameters theta_k, then applies the update.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from . import optim
from .config import Settings
from .propagate import Measured, backward, forward, nonfinite_fraction
from .stats import max_abs, rms_and_nonfinite
from .tasks import TaskData, make_task
from .train_config import MEMORY_LIMIT, TrainConfig
from .train_history import History
from .trainable import network
from .weights import WeightCache


class TooLarge(ValueError):
    """The parameters and optimiser state would exceed `MEMORY_LIMIT`."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """What a run yields after a chunk: steps done so far, the last step's loss and accuracy."""

    step: int
    loss: float
    accuracy: float
    diverged: str | None  # "diverged at step k", once it has
    done: bool  # the run asked for has ended (all steps, or diverged)


def memory_needed(settings: Settings, config: TrainConfig) -> int:
    """Bytes of parameters, their initial copies, gradients and optimiser state."""
    s = settings
    per_copy = s.depth * (s.width * s.width + s.width) * np.dtype(s.dtype).itemsize
    return per_copy * (3 + optim.state_copies(config.optimizer, config.momentum))


def check_memory(settings: Settings, config: TrainConfig) -> None:
    """Raise `TooLarge` with a one-line message beyond the 1 GiB limit."""
    need = memory_needed(settings, config)
    if need > MEMORY_LIMIT:
        raise TooLarge(
            f"training this network needs {need / 2**30:.2f} GiB for parameters, gradients and "
            f"optimiser state; the limit is {MEMORY_LIMIT / 2**30:.0f} GiB (lower depth or width, "
            "or use float32 or SGD without momentum)"
        )


def loss_and_grad(task: TaskData, y_hat: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(loss, accuracy, dloss_b/dy_hat_b per sample) in float64 from y_hat (B)."""
    y = task.y
    yh = y_hat.astype(np.float64)
    with np.errstate(all="ignore"):
        if task.classification:
            t = -y * yh
            loss = float(np.mean(np.logaddexp(0.0, t)))
            dl = -y * (0.5 * (1.0 + np.tanh(0.5 * t)))  # -y sigmoid(-y y_hat)
            acc = float(np.mean(y * yh > 0))
        else:
            diff = yh - y
            loss = float(np.mean(0.5 * diff * diff))
            dl = diff
            acc = math.nan
    return loss, acc, dl


@dataclass(slots=True)
class _Step:
    """One optimiser step in progress: its lr and what each layer's update measured."""

    lr: float
    ratio: np.ndarray  # update:data RMS ratio per layer
    dist: np.ndarray  # RMS distance from the initial W per layer, before the step
    finite: bool = True  # every parameter still finite


class Trainer:
    """One training run of `settings` (the network) with `config` (task, optimiser)."""

    def __init__(
        self,
        settings: Settings,
        config: TrainConfig | None = None,
        cache: WeightCache | None = None,
        *,
        every: int = 1,
        capacity: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        config = config or TrainConfig()
        check_memory(settings, config)
        s = settings
        self.settings, self.config, self._clock = s, config, clock
        dt = np.dtype(s.dtype)
        self.task = make_task(config.task, s.seed, s.width, s.batch, config.noise)
        self.x = self.task.x.astype(dt)
        self._readout = (self.task.readout / math.sqrt(s.width)).astype(dt)
        # `net` is what the passes run through (blocks for residual / normalised networks),
        # `layers` the trained affine parts whose W and b the optimiser updates.
        self.net, self.layers = network(s, cache if cache is not None else WeightCache())
        self.w0 = [lay.w.copy() for lay in self.layers]
        self.b0 = [lay.b.copy() for lay in self.layers]
        L, n, B = s.depth, s.width, s.batch
        # Every layer's b and dLoss/db are rows of one array each, so that one optimiser
        # update steps all the biases (the same elementwise rule: the same numbers).
        self._b = np.stack([lay.b for lay in self.layers]) if L else np.empty((0, n), dt)
        self._db = np.zeros_like(self._b)
        for i, lay in enumerate(self.layers):
            lay.b, lay.db = self._b[i], self._db[i]
        self.optimizer = optim.make(config.optimizer, [*(lay.w for lay in self.layers), self._b], config.momentum)
        self._acts = [np.empty((B, n), dt) for _ in range(L)]
        self._ders = [np.empty((B, n), dt) for _ in range(L)]
        self._g = (np.empty((B, n), dt), np.empty((B, n), dt))
        self._uw = np.empty((n, n), dt)
        self._ub = np.empty((L, n), dt)
        self._w_rms = np.array([rms_and_nonfinite(w)[0] for w in self.w0])
        self._w0_rms = self._w_rms.copy()
        self.history = History(L, every, capacity)
        self.step = 0
        self.seconds = 0.0
        self.diverged: str | None = None
        self.last_loss = math.nan
        self.last_accuracy = math.nan
        self._current: Measured | None = None
        self._rows: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ settings

    def configure(self, config: TrainConfig) -> None:
        """Change lr, momentum or clip mid-run (anything else needs a new Trainer)."""
        if self.config.resets(config):
            raise ValueError("task, noise and optimizer changes start a new run")
        self.config = config
        if isinstance(self.optimizer, optim.SGD):
            self.optimizer.momentum = config.momentum

    # ------------------------------------------------------------------ the step

    def output(self, a0: np.ndarray) -> np.ndarray:
        """y_hat for the rows of a0 (forward only, the current parameters)."""
        a = np.asarray(a0, dtype=self.x.dtype)
        with np.errstate(all="ignore"):
            for lay in self.net:
                a, _ = lay.forward(a)
            return np.asarray(a @ self._readout)

    def _forward(self) -> tuple[np.ndarray, list, dict[str, np.ndarray]]:
        L, size = self.settings.depth, self.x.size
        act_rms, act_max = np.empty(L + 1), np.empty(L + 1)
        bad_a, inactive = np.zeros(L + 1), np.full(L + 1, np.nan)
        a = self.x
        act_rms[0], bad_a[0] = rms_and_nonfinite(a)
        act_max[0] = max_abs(a)
        ctxs = []
        for row, (lay, a_l, ctx) in enumerate(forward(self.net, self.x, out=self._acts, d_out=self._ders), 1):
            a = a_l
            act_rms[row], bad_a[row] = rms_and_nonfinite(a)
            act_max[row] = float(a.max()) if lay.nonneg else max_abs(a)  # NaN propagates through max
            inactive[row] = lay.inactive(ctx) / size
            ctxs.append(ctx)
        rows = {"activation_rms": act_rms, "activation_max_abs": act_max, "bad_a": bad_a, "inactive": inactive}
        return a, ctxs, rows

    def _backward(self, ctxs: list, dl: np.ndarray, rows: dict[str, np.ndarray], step: _Step | None = None) -> None:
        """Back through the net; with `step`, each layer's optimiser step as soon as its gradients exist.

        A layer's W and b are no longer needed once its backward pass has run (the layers below
        it need only their own), so updating it there touches W and dLoss/dW while they are
        still in cache. The numbers are those of a separate pass: the same operations per layer.
        """
        L = self.settings.depth
        g = self._g[0]
        np.multiply(dl.astype(g.dtype)[:, None], self._readout[None, :], out=g)
        grad_rms, bad_g = np.empty(L + 1), np.zeros(L + 1)
        wgrad, bad_w, entries = np.full(L + 1, np.nan), np.zeros(L + 1), np.zeros(L + 1)
        grad_rms[L], bad_g[L] = rms_and_nonfinite(g)
        back = backward(self.net, ctxs, g, out=self._g)
        for row, (g, grad) in zip(range(L - 1, -1, -1), back, strict=True):
            assert grad is not None
            wgrad[row + 1], bad_w[row + 1], entries[row + 1] = grad.rms, grad.nonfinite, grad.entries
            grad_rms[row], bad_g[row] = rms_and_nonfinite(g)
            if step is not None:
                self._update_layer(row, step)
        rows.update(gradient_rms=grad_rms, bad_g=bad_g, weight_grad_rms=wgrad, bad_w=bad_w, entries=entries)

    def _clip(self, wgrad_rms: np.ndarray) -> None:
        max_norm = self.config.clip
        if max_norm <= 0:
            return
        n2 = self.settings.width * self.settings.width
        norms = []
        for row, lay in enumerate(self.layers, 1):
            norms.append(float(wgrad_rms[row]) * math.sqrt(n2))
            norms.append(rms_and_nonfinite(lay.db)[0] * math.sqrt(lay.db.size))
        coef = optim.clip_factor(optim.total_norm(norms), max_norm)
        if not coef >= 1.0:  # also NaN: torch multiplies by it
            with np.errstate(all="ignore"):
                for lay in self.layers:
                    c = lay.dw.dtype.type(coef)
                    lay.dw *= c
                    lay.db *= c

    def _update(self, lr: float) -> _Step:
        """Apply one optimiser step to every layer (after clipping, which needs all gradients first)."""
        step = self._begin_step(lr)
        for i in range(len(self.layers)):
            self._update_layer(i, step)
        self._update_biases(step)
        return step

    def _begin_step(self, lr: float) -> _Step:
        L = self.settings.depth
        self.optimizer.begin()
        return _Step(lr, np.full(L, np.nan), np.full(L, np.nan))

    def _update_layer(self, i: int, step: _Step) -> None:
        """Layer i's W step into `step`: update:data ratio, distance before it, finiteness.

        The caller holds `np.errstate(all="ignore")`.
        """
        lay = self.layers[i]
        np.subtract(lay.w, self.w0[i], out=self._uw)
        step.dist[i] = rms_and_nonfinite(self._uw)[0] / self._w0_rms[i]
        u = self.optimizer.update(i, lay.dw, step.lr, self._uw)
        step.ratio[i] = rms_and_nonfinite(u)[0] / self._w_rms[i]
        lay.w -= u
        self._w_rms[i], bad = rms_and_nonfinite(lay.w)
        step.finite = step.finite and bad == 0

    def _update_biases(self, step: _Step) -> None:
        """Every layer's b step at once (they are rows of one array)."""
        self._b -= self.optimizer.update(len(self.layers), self._db, step.lr, self._ub)
        step.finite = step.finite and rms_and_nonfinite(self._b)[1] == 0

    def evaluate(self) -> tuple[float, float]:
        """(loss, accuracy) at the current parameters, without a step."""
        loss, acc, _ = loss_and_grad(self.task, self.output(self.x))
        return loss, acc

    def gradients(self) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """(loss, [(dLoss/dW_l, dLoss/db_l)]) at the current parameters (copies), without a step."""
        with np.errstate(all="ignore"):
            a_out, ctxs, rows = self._forward()
            loss, _, dl = loss_and_grad(self.task, a_out @ self._readout)
            self._backward(ctxs, dl, rows)
        return loss, [(lay.dw.copy(), lay.db.copy()) for lay in self.layers]

    def step_once(self, lr: float | None = None) -> bool:
        """One full-batch step at `lr` (default: the config's); False once the run has diverged."""
        if self.diverged is not None:
            return False
        lr = self.config.lr if lr is None else lr
        t0 = self._clock()
        k = self.step
        with np.errstate(all="ignore"):
            a_out, ctxs, rows = self._forward()
            loss, acc, dl = loss_and_grad(self.task, a_out @ self._readout)
            L = self.settings.depth
            ratio = dist = np.full(L, np.nan)
            if math.isfinite(loss):
                if self.config.clip > 0:  # the clip factor needs every gradient before any step
                    self._backward(ctxs, dl, rows)
                    self._clip(rows["weight_grad_rms"])
                    step = self._update(lr)
                else:
                    step = self._begin_step(lr)
                    self._backward(ctxs, dl, rows, step)
                    self._update_biases(step)
                ratio, dist, finite = step.ratio, step.dist, step.finite
            else:
                finite = False
                rows.update(
                    gradient_rms=np.full(L + 1, np.nan),
                    bad_g=np.zeros(L + 1),
                    weight_grad_rms=np.full(L + 1, np.nan),
                    bad_w=np.zeros(L + 1),
                    entries=np.zeros(L + 1),
                )
        self.seconds += self._clock() - t0
        if not finite:
            self.diverged = f"diverged at step {k}"
        self.last_loss, self.last_accuracy = loss, acc
        self._rows = {**rows, "update_ratio": ratio, "distance": dist}
        self._current = None
        self.history.add_loss(loss)
        if self.history.wants(k) or not finite:
            self._record(k)
        self.step = k + 1
        return finite

    def _record(self, k: int) -> None:
        r = self._rows
        scalars = {
            "loss": self.last_loss,
            "accuracy": self.last_accuracy,
            "seconds": self.seconds,
            "diverged": 0.0 if self.diverged is None else 1.0,
        }
        layers = {
            "activation_rms": r["activation_rms"],
            "gradient_rms": r["gradient_rms"],
            "weight_grad_rms": r["weight_grad_rms"][1:],
            "update_ratio": r["update_ratio"],
            "distance": r["distance"],
        }
        self.history.record(k, scalars, layers)

    def finish(self) -> None:
        """Record the last step taken (if the stride skipped it), e.g. before writing a CSV."""
        if self.step > 0 and self._rows:
            self._record(self.step - 1)

    def run(self, steps: int, chunk: int = 1, lr_at: Callable[[int], float] | None = None) -> Iterator[Chunk]:
        """Take up to `steps` steps, yielding a `Chunk` after every `chunk` steps and at the end.

        `lr_at(k)` gives step k's learning rate (default: the config's at that moment).
        Stopping early (closing the generator) leaves the run consistent after the last step.
        """
        chunk = max(1, int(chunk))
        taken = 0
        while taken < steps and self.diverged is None:
            n = min(chunk, steps - taken)
            for _ in range(n):
                if not self.step_once(None if lr_at is None else lr_at(self.step)):
                    break
            taken += n
            done = taken >= steps or self.diverged is not None
            yield Chunk(self.step, self.last_loss, self.last_accuracy, self.diverged, done)

    # ------------------------------------------------------------------ what it shows

    def measured(self) -> Measured | None:
        """The last step's per-layer statistics, as the chart draws them (None before a step)."""
        if self._current is None and self._rows:
            r = self._rows
            size = self.x.size
            self._current = Measured(
                activation_rms=r["activation_rms"].copy(),
                activation_max_abs=r["activation_max_abs"].copy(),
                gradient_rms=r["gradient_rms"].copy(),
                weight_grad_rms=r["weight_grad_rms"].copy(),
                inactive_fraction=r["inactive"].copy(),
                nonfinite_fraction=nonfinite_fraction(r["bad_a"], r["bad_g"], r["bad_w"], size, r["entries"]),
                activation_nonfinite=r["bad_a"] / size,
                gradient_nonfinite=r["bad_g"] / size,
            )
        return self._current

    @property
    def update_ratio(self) -> np.ndarray:
        """The last step's update:data ratio per layer (NaN before a step)."""
        return self._rows.get("update_ratio", np.full(self.settings.depth, np.nan)).copy()

    def params(self) -> tuple[np.ndarray, np.ndarray]:
        """(W (L,n,n), b (L,n)) now, copied."""
        return np.stack([lay.w for lay in self.layers]), np.stack([lay.b for lay in self.layers])

    def initial_params(self) -> tuple[np.ndarray, np.ndarray]:
        """(W0 (L,n,n), b0 (L,n)) at step 0, copied."""
        return np.stack(self.w0), np.stack(self.b0)
