"""The one propagation loop (forward and backward through a list of layers) and the main pass's statistics.

a_0 = x; a_l = layer_l(a_{l-1}) (for the affine kinds z_l = a_{l-1} W_l^T + b_l,
a_l = phi(z_l); see `engine.layers`). Loss = mean over samples of sum_i r_bi a_L,bi, where
the readout r is all ones (`loss="sum"`, the lecture's sum of the outputs) or a fixed
random matrix with unit-RMS rows (`loss="random"`). The per-sample backward signal starts
from g_L = r; each layer maps g_l to g_{l-1} and reports dLoss/dW_l. `run` (the chart),
`engine.histograms` and `engine.jacobian` all step through `forward` and `backward`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .config import Settings
from .jobs import Partial, Progress, Steps, drive, time_left
from .layers import Layer, WeightGrad, network
from .stats import max_abs, rms_and_nonfinite
from .weights import WeightCache, draw_input, draw_readout


@dataclass(frozen=True, slots=True)
class Measured:
    """Measured per-layer statistics, rows 0..L (row 0 is the input); float64 arrays."""

    activation_rms: np.ndarray
    activation_max_abs: np.ndarray
    gradient_rms: np.ndarray
    weight_grad_rms: np.ndarray  # NaN at row 0 (blank)
    inactive_fraction: np.ndarray  # NaN at row 0 (blank)
    nonfinite_fraction: np.ndarray  # share of inf/NaN entries of a_l, g_l and dLoss/dW_l together
    activation_nonfinite: np.ndarray  # share of inf/NaN entries of a_l alone
    gradient_nonfinite: np.ndarray  # share of inf/NaN entries of g_l alone


@dataclass(frozen=True, slots=True)
class Trace:
    """Full per-layer arrays (kept only on request): activations a_l and signals g_l."""

    activations: tuple[np.ndarray, ...]  # a_0..a_L, each B x n
    gradients: tuple[np.ndarray, ...]  # g_0..g_L, each B x n (per-sample dLoss/da_l)
    derivatives: tuple[np.ndarray, ...]  # phi'(z_l) for l = 1..L, each B x n
    weight_grads: tuple[np.ndarray, ...]  # dLoss/dW_l for l = 1..L, each n x n


@dataclass(slots=True)
class _Forward:
    """A finished forward pass kept in a workspace: layer l's context and output, its statistics."""

    key: Settings
    ctxs: list[Any]  # layers 1..depth
    outputs: list[np.ndarray]  # a_1..a_depth (in the workspace's buffers)
    act_rms: np.ndarray  # rows 0..depth, as in `Measured`
    act_max: np.ndarray
    inactive: np.ndarray
    nonfinite_a: np.ndarray


def forward_key(settings: Settings) -> Settings | None:
    """What a forward pass depends on besides the depth, or None when it depends on the depth too.

    Layer l's weights, bias and input never depend on L, except through a skip scaled by
    alpha / sqrt(L).
    """
    s = settings
    if s.residual > 0 and s.residual_scaling == "sqrt_depth":
        return None
    return dataclasses.replace(s, depth=1)


class Workspace:
    """Reusable buffers for `run`, so repeated runs of one shape allocate nothing.

    Fresh arrays cost page faults on every layer; reusing them keeps the engine close to
    the bare matrix products. It also keeps the last finished forward pass: a run that
    differs in depth only starts from it (a depth drag computes only the new layers
    forward; the backward pass is always redone). Not thread-safe: one workspace per
    engine thread.
    """

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._key: tuple = ()
        self.acts: list[np.ndarray] = []
        self.ders: list[np.ndarray] = []
        self.g: tuple[np.ndarray, np.ndarray] | None = None
        self.dw: np.ndarray | None = None
        self._forward: _Forward | None = None
        self.reused_layers = 0  # how many layers the last run took from the one before (tests, benchmarks)

    def take_forward(self, settings: Settings) -> _Forward | None:
        """The kept forward pass if `settings` can start from it; forgotten here either way.

        A run that starts overwrites the buffers: until its own forward pass is done (it
        may be cancelled half-way) nothing in them is kept.
        """
        kept, self._forward = self._forward, None
        key = forward_key(settings)
        if kept is None or key is None or kept.key != key:
            return None
        return kept

    def forget_forward(self) -> None:
        """Drop the kept forward pass: the next run computes every layer (benchmarks time that)."""
        self._forward = None

    def keep_forward(self, forward: _Forward) -> None:
        """Keep a finished forward pass for the next run."""
        self._forward = forward

    def fits(self, settings: Settings) -> bool:
        """True if buffers for `settings` stay within the byte limit."""
        s = settings
        item = np.dtype(s.dtype).itemsize
        need = (2 * (s.depth + 1) * s.batch * s.width + s.width * s.width) * item
        return need <= self.max_bytes

    def prepare(self, settings: Settings) -> None:
        """Make sure buffers exist for `settings` (grows, never shrinks within a shape)."""
        s = settings
        key = (s.batch, s.width, s.dtype)
        if key != self._key:
            self._key = key
            self._forward = None
            self.acts, self.ders = [], []
            self.g = (np.empty((s.batch, s.width), s.dtype), np.empty((s.batch, s.width), s.dtype))
            self.dw = np.empty((s.width, s.width), s.dtype)
        while len(self.acts) < s.depth + 1:
            self.acts.append(np.empty((s.batch, s.width), s.dtype))
            self.ders.append(np.empty((s.batch, s.width), s.dtype))


def input_batch(settings: Settings) -> np.ndarray:
    """The input batch x of `settings` in its dtype (a new array)."""
    return _input(settings.input, settings.seed, settings.batch, settings.width, settings.dtype).copy()


def output_grad(settings: Settings) -> np.ndarray:
    """g_L = dLoss/da_L per sample (B x n) in the settings' dtype: ones, or the random readout (a new array)."""
    s = settings
    return _readout(s.loss, s.seed, s.batch, s.width, s.dtype).copy()


# A run reads x and r without writing them, so repeated runs of one net (every slider move
# but seed, batch, width, input, loss and dtype) share one read-only copy instead of drawing
# B x n normals again (~2 ms at 256 x 256). Thread-safe: at worst two threads draw it twice.
@lru_cache(maxsize=4)
def _input(kind: str, seed: int, batch: int, width: int, dtype: str) -> np.ndarray:
    return _frozen(draw_input(kind, seed, batch, width).astype(dtype))


@lru_cache(maxsize=4)
def _readout(loss: str, seed: int, batch: int, width: int, dtype: str) -> np.ndarray:
    if loss == "sum":
        return _frozen(np.ones((batch, width), dtype=dtype))
    return _frozen(draw_readout(seed, batch, width).astype(dtype))


def _frozen(x: np.ndarray) -> np.ndarray:
    x.flags.writeable = False
    return x


def forward(
    net: Sequence[Layer],
    a: np.ndarray,
    *,
    out: Sequence[np.ndarray] | None = None,
    d_out: Sequence[np.ndarray] | None = None,
    weight_grad: bool = True,
) -> Iterator[tuple[Layer, np.ndarray, Any]]:
    """Run `net` from `a`, yielding (layer, its output, its ctx) layer by layer.

    Lazy: `net[i]` runs when item i is asked for, so a caller's checkpoints fall between
    layers. `out[i]`, `d_out[i]` are optional buffers of `net[i]`. Without `weight_grad` the
    contexts keep only what the input gradient needs.
    """
    for i, layer in enumerate(net):
        a, ctx = layer.forward(
            a, None if out is None else out[i], None if d_out is None else d_out[i], weight_grad=weight_grad
        )
        yield layer, a, ctx


def backward(
    net: Sequence[Layer],
    ctxs: list[Any],
    g: np.ndarray,
    *,
    keep: bool = False,
    weight_grad: bool = True,
    out: tuple[np.ndarray, np.ndarray] | None = None,
    dw_out: np.ndarray | None = None,
) -> Iterator[tuple[np.ndarray, WeightGrad | None]]:
    """Back through `net` from g (at its output), last layer first: yields (g at its input, weight gradient).

    `ctxs[i]` is `net[i]`'s forward context; without `keep` each is released once used and
    `g` may be overwritten. Lazy, like `forward`. `out` is a pair of
    buffers the signal ping-pongs between (a new g must not alias the last one).
    """
    for i in range(len(net) - 1, -1, -1):
        ctx = ctxs[i]
        if not keep:
            ctxs[i] = None  # free what the rest of the pass no longer needs
        buf = None if out is None else (out[1] if g is out[0] else out[0])
        g, grad = net[i].backward(g, ctx, keep=keep, weight_grad=weight_grad, out=buf, dw_out=dw_out)
        yield g, grad


def run(
    settings: Settings,
    cache: WeightCache,
    *,
    keep: bool = False,
    workspace: Workspace | None = None,
) -> tuple[Measured, Trace | None]:
    """Run the forward and backward pass; return statistics (and the full trace if `keep`)."""
    return drive(run_steps(settings, cache, keep=keep, workspace=workspace))


def run_steps(
    settings: Settings,
    cache: WeightCache,
    *,
    keep: bool = False,
    workspace: Workspace | None = None,
    partials: bool = False,
) -> Steps[tuple[Measured, Trace | None]]:
    """The job of `run`: yields `Progress` before each layer (forward, then backward) and at the end.

    inf/NaN never raise: they are counted. A `workspace` (ignored with `keep`) lets
    repeated runs reuse their buffers. With `partials`, a run past `PARTIAL_FIRST_S` also
    yields `Partial(((a, g), Measured))` between layers, about every `PARTIAL_EVERY_S`: rows
    0..a-1 of the forward statistics and rows g..L of the backward ones are done, the rest NaN.
    """
    s = settings
    L, n, B = s.depth, s.width, s.batch
    size = B * n

    act_rms = np.empty(L + 1)
    act_max = np.empty(L + 1)
    grad_rms = np.empty(L + 1)
    wgrad_rms = np.full(L + 1, np.nan)
    inactive = np.full(L + 1, np.nan)
    nonfinite_a = np.zeros(L + 1)
    nonfinite_g = np.zeros(L + 1)
    nonfinite_w = np.zeros(L + 1)  # entries of dLoss/dW_l (row 0 has none)
    entries_w = np.zeros(L + 1)

    net = network(s, cache)
    ws = workspace if (workspace is not None and not keep and workspace.fits(s)) else None
    kept = None
    if ws is not None:
        ws.prepare(s)
        kept = ws.take_forward(s)
    a = _input(s.input, s.seed, B, n, s.dtype)
    if keep:
        a = a.copy()  # the trace is the caller's to keep and change
    acts = [a]
    act_rms[0], nonfinite_a[0] = rms_and_nonfinite(a)
    act_max[0] = max_abs(a)
    ctxs: list[Any] = []
    outputs: list[np.ndarray] = []
    # Layers 1..reused come from the last run's forward pass (the same settings but the
    # depth): the same arrays and statistics a fresh run would compute, bit for bit.
    reused = min(L, len(kept.ctxs)) if kept is not None else 0
    if kept is not None and reused:
        rows = slice(1, reused + 1)
        act_rms[rows], act_max[rows] = kept.act_rms[rows], kept.act_max[rows]
        inactive[rows], nonfinite_a[rows] = kept.inactive[rows], kept.nonfinite_a[rows]
        ctxs, outputs = list(kept.ctxs[:reused]), list(kept.outputs[:reused])
        a = outputs[-1]
    if ws is not None:
        ws.reused_layers = reused

    clock = _PartialClock() if partials else None

    def so_far(done: tuple[int, int]) -> Partial:
        a_rows, g_from = done
        f, b, w = slice(a_rows, None), slice(None, g_from), slice(None, g_from + 1)  # dLoss/dW_l comes with g_{l-1}
        cols = {}
        for name, arr, rows in (
            ("act_rms", act_rms, f), ("act_max", act_max, f), ("inactive", inactive, f), ("bad_a", nonfinite_a, f),
            ("grad_rms", grad_rms, b), ("wgrad", wgrad_rms, w), ("bad_g", nonfinite_g, b), ("bad_w", nonfinite_w, w),
            ("entries", entries_w, w),
        ):  # fmt: skip
            cols[name] = arr.copy()
            cols[name][rows] = np.nan
        return Partial((done, _measured(cols, size)))

    with np.errstate(all="ignore"):
        steps = forward(
            net[reused:],
            a,
            out=ws.acts[reused + 1 :] if ws is not None else None,
            d_out=ws.ders[reused + 1 :] if ws is not None else None,
        )
        for row in range(reused + 1, L + 1):
            yield Progress(0.5 * (row - 1) / L)
            # The backward pass costs about twice the forward: a third of the time is forward.
            if clock is not None and clock.due((row - 1) / (3 * L)):
                yield so_far((row, L + 1))
            layer, a, ctx = next(steps)
            act_rms[row], nonfinite_a[row] = rms_and_nonfinite(a)
            act_max[row] = float(a.max()) if layer.nonneg else max_abs(a)
            inactive[row] = layer.inactive(ctx) / size
            ctxs.append(ctx)
            if ws is not None:
                outputs.append(a)
            if keep:
                acts.append(a)
        del a
        if ws is not None:
            key = forward_key(s)
            if kept is not None and len(kept.ctxs) > L:
                ws.keep_forward(kept)  # a shallower run: the deeper pass stays (its buffers are untouched)
            elif key is not None:
                stats = (act_rms.copy(), act_max.copy(), inactive.copy(), nonfinite_a.copy())
                ws.keep_forward(_Forward(key, list(ctxs), outputs, *stats))

        # Backward pass, from g_L = r (ones for the sum loss) down to g_0.
        g = _readout(s.loss, s.seed, B, n, s.dtype)
        if ws is not None:
            assert ws.g is not None
            np.copyto(ws.g[0], g)
            g = ws.g[0]
        else:
            g = g.copy()  # the backward pass forms delta in g
        grads = [g]
        wgrads: list[np.ndarray] = []
        grad_rms[L], nonfinite_g[L] = rms_and_nonfinite(g)
        derivs = [layer.derivative(ctx) for layer, ctx in zip(net, ctxs, strict=True)] if keep else []
        back = backward(
            net,
            ctxs,
            g,
            keep=keep,
            out=ws.g if ws is not None else None,
            dw_out=ws.dw if ws is not None else None,
        )
        for row in range(L - 1, -1, -1):
            yield Progress(0.5 + 0.5 * (L - 1 - row) / L)
            if clock is not None and clock.due((1 + 2 * (L - 1 - row) / L) / 3):
                yield so_far((L + 1, row + 1))
            g, grad = next(back)
            if grad is not None:
                wgrad_rms[row + 1], nonfinite_w[row + 1], entries_w[row + 1] = grad.rms, grad.nonfinite, grad.entries
                if keep:
                    assert grad.array is not None
                    wgrads.append(grad.array)
            grad_rms[row], nonfinite_g[row] = rms_and_nonfinite(g)
            if keep:
                grads.append(g)
        yield Progress(1.0)

    measured = _measured(
        {
            "act_rms": act_rms, "act_max": act_max, "inactive": inactive, "bad_a": nonfinite_a,
            "grad_rms": grad_rms, "wgrad": wgrad_rms, "bad_g": nonfinite_g, "bad_w": nonfinite_w, "entries": entries_w,
        },
        size,
    )  # fmt: skip
    trace = None
    if keep:
        dt = np.dtype(s.dtype)
        trace = Trace(
            activations=tuple(acts),
            gradients=tuple(reversed(grads)),
            derivatives=tuple((np.ones((B, n), dt) if d is None else d.astype(dt)) for d in derivs),
            weight_grads=tuple(reversed(wgrads)),
        )
    return measured, trace


PARTIAL_FIRST_S = 0.05  # a run longer than this shows its first layers (within 150 ms of the request)
PARTIAL_EVERY_S = 0.12  # and then more of them this often


PARTIAL_NOT_BEFORE_END_S = 0.06  # no partial when the end is this close: the result itself comes first


class _PartialClock:
    """When a running compute should show what it has: first after PARTIAL_FIRST_S, then every PARTIAL_EVERY_S.

    Not when, at the pace so far, the compute ends within PARTIAL_NOT_BEFORE_END_S: a net of
    ~100 ms would draw its bars twice (a deep one costs the GUI ~10 ms each) for no gain.
    """

    __slots__ = ("_next", "_t0")

    def __init__(self) -> None:
        self._t0 = time.perf_counter()
        self._next = self._t0 + PARTIAL_FIRST_S

    def due(self, fraction: float = 0.0) -> bool:
        """`fraction`: how much of the run is done (0..1), to tell how soon it ends."""
        now = time.perf_counter()
        if now < self._next:
            return False
        elapsed = now - self._t0
        if fraction > 0 and time_left(elapsed, fraction) < PARTIAL_NOT_BEFORE_END_S:
            return False
        self._next = now + PARTIAL_EVERY_S
        return True


def _measured(c: dict[str, np.ndarray], size: int) -> Measured:
    return Measured(
        activation_rms=c["act_rms"],
        activation_max_abs=c["act_max"],
        gradient_rms=c["grad_rms"],
        weight_grad_rms=c["wgrad"],
        inactive_fraction=c["inactive"],
        nonfinite_fraction=nonfinite_fraction(c["bad_a"], c["bad_g"], c["bad_w"], size, c["entries"]),
        activation_nonfinite=c["bad_a"] / size,
        gradient_nonfinite=c["bad_g"] / size,
    )


def nonfinite_fraction(a: np.ndarray, g: np.ndarray, w: np.ndarray, size: int, w_entries: np.ndarray) -> np.ndarray:
    """Share of inf/NaN among the entries of a_l, g_l and dLoss/dW_l (`w_entries` of them; none at row 0)."""
    return (a + g + w) / (2.0 * size + w_entries)
