"""The engine: one object owning the weight cache, computing `Result`s from `Settings`."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .config import Settings
from .jobs import Steps, drive, relayed
from .layers import layer as layer_of
from .memory import check_compute
from .propagate import Measured, Trace, Workspace, input_batch, output_grad, run, run_steps
from .theory import Theory, predict
from .weights import WeightCache

COLUMNS: tuple[str, ...] = (
    "layer",
    "activation_rms",
    "activation_max_abs",
    "gradient_rms",
    "weight_grad_rms",
    "inactive_fraction",
    "nonfinite_fraction",
    "theory_activation_rms",
    "theory_gradient_rms",
)


FORWARD_COLUMNS = frozenset({"activation_rms", "activation_max_abs", "inactive_fraction"})
# The backward columns, each with how many rows above g it waits: dLoss/dW_l comes with g_{l-1}.
BACKWARD_COLUMNS = {"gradient_rms": 0, "weight_grad_rms": 1, "nonfinite_fraction": 1}


@dataclass(frozen=True, slots=True)
class Result:
    """Everything the app draws for one network: measured rows 0..L and the theory."""

    settings: Settings
    measured: Measured
    theory: Theory
    seconds: float
    # A partial result of a running compute: (a, g) = rows 0..a-1 of the forward columns and
    # rows g..L of the gradient (g+1..L of dLoss/dW) are done; the rest is NaN, pending. None: complete.
    partial: tuple[int, int] | None = None

    @property
    def depth(self) -> int:
        """Number of layers L (there are L + 1 rows)."""
        return self.settings.depth

    def pending(self, name: str) -> np.ndarray | None:
        """Rows of column `name` a partial result has not computed yet (None: every row is done)."""
        if self.partial is None:
            return None
        rows = np.arange(self.depth + 1)
        done_forward, done_from = self.partial
        if name in BACKWARD_COLUMNS:
            return rows < done_from + BACKWARD_COLUMNS[name]
        if name in FORWARD_COLUMNS:
            return rows >= done_forward
        return None

    def column(self, name: str) -> np.ndarray:
        """One CSV column as a float64 array (NaN where blank)."""
        if name == "layer":
            return np.arange(self.depth + 1, dtype=np.float64)
        if name == "theory_activation_rms":
            return self.theory.activation_rms
        if name == "theory_gradient_rms":
            return self.theory.gradient_rms
        return getattr(self.measured, name)

    def first_nonfinite_layer(self, which: str = "activation") -> int | None:
        """The first layer whose activations (or `which="gradient"`: gradients) hold inf/NaN.

        Gradients flow backwards, so for them this is the *last* row counted from the
        output that overflowed, i.e. the highest layer index with inf/NaN.
        """
        if which == "gradient":
            bad = np.nonzero(self.measured.gradient_nonfinite > 0)[0]
            return int(bad[-1]) if bad.size else None
        bad = np.nonzero(self.measured.activation_nonfinite > 0)[0]
        return int(bad[0]) if bad.size else None

    def growth_factor(self, name: str = "activation_rms") -> float:
        """Geometric-mean ratio per layer of `name` between row 0 and the last finite row."""
        col = self.column(name)
        if name == "gradient_rms":
            col = col[::-1]
        good = np.isfinite(col) & (col > 0)
        idx = np.nonzero(good)[0]
        if idx.size < 2:
            return math.nan
        first, last = idx[0], idx[-1]
        return float(math.exp((math.log(col[last]) - math.log(col[first])) / (last - first)))

    def to_dict(self) -> dict[str, np.ndarray]:
        """The CSV's columns (`COLUMNS`, rows 0..L) as float64 arrays, copies: for notebooks."""
        return {name: np.array(self.column(name), dtype=np.float64) for name in COLUMNS}

    def to_frame(self):
        """The columns as a pandas DataFrame indexed by layer; pandas is imported only here."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Result.to_frame() needs pandas; Result.to_dict() gives numpy arrays") from exc
        cols = self.to_dict()
        layer = pd.Index(cols.pop("layer").astype(np.int64), name="layer")
        return pd.DataFrame(cols, index=layer)


@dataclass(frozen=True, slots=True)
class Network:
    """The exact parameters of a network, scaled as used: W (L,n,n), b (L,n), x (B,n).

    `output_grad` (B,n) is g_L = dLoss/da_L as the backward pass starts from it.
    """

    settings: Settings
    W: np.ndarray
    b: np.ndarray
    x: np.ndarray
    output_grad: np.ndarray


class Engine:
    """Computes results for settings, reusing drawn matrices across calls."""

    def __init__(self, budget_bytes: int | None = None) -> None:
        """`budget_bytes`: the weight cache's (None: `weights.auto_budget`, from the memory available)."""
        self.cache = WeightCache(budget_bytes)
        # Buffers reused by `compute`; an Engine is used by one thread at a time.
        self.workspace = Workspace()

    def compute(self, settings: Settings) -> Result:
        """Run the network and its theory."""
        return drive(self.compute_steps(settings))

    def compute_steps(self, settings: Settings, *, partials: bool = False) -> Steps[Result]:
        """The job of `compute`: yields `Progress` between layers, returns the `Result`.

        With `partials`, a compute that runs longer than `propagate.PARTIAL_FIRST_S` also
        yields `Partial(Result)`s as layers finish (forward bars first, then gradients), about
        every `propagate.PARTIAL_EVERY_S`, each with the theory line already complete.
        """
        t0 = time.perf_counter()
        check_compute(settings, self.cache, pooled=self.workspace.fits(settings))  # OutOfMemory, before any allocation
        theory: Theory | None = None

        def as_result(value: tuple) -> Result:  # a Partial's (done, Measured so far), with the theory line
            nonlocal theory
            theory = theory or predict(settings)
            done, measured_so_far = value
            return Result(settings, measured_so_far, theory, time.perf_counter() - t0, done)

        steps = run_steps(settings, self.cache, workspace=self.workspace, partials=partials)
        measured, _ = yield from relayed(steps, partial=as_result)
        return Result(settings, measured, theory or predict(settings), time.perf_counter() - t0)

    def trace(self, settings: Settings) -> Trace:
        """Full per-layer arrays (activations, gradients, derivatives, weight gradients)."""
        _, tr = run(settings, self.cache, keep=True)
        assert tr is not None
        return tr

    def layer_params(self, settings: Settings, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """(W_l, b_l) of `layer` (1..L) as used: scaled, in the settings' dtype."""
        return layer_of(settings, self.cache, layer).params()

    def network(self, settings: Settings) -> Network:
        """The network's parameters as used, in its dtype (in memory; see export.write_network_npz)."""
        s = settings
        n, L = s.width, s.depth
        dt = np.dtype(s.dtype)
        W = np.empty((L, n, n), dtype=dt)
        b = np.empty((L, n), dtype=dt)
        for layer in range(1, L + 1):
            W[layer - 1], b[layer - 1] = self.layer_params(s, layer)
        return Network(s, W, b, input_batch(s), output_grad(s))
