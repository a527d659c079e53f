"""Forward and backward pass of a deep fully connected network, with per-layer statistics.

a_0 = x; z_l = a_{l-1} W_l^T + b_l; a_l = phi(z_l). Loss = mean over samples of
sum_i r_bi a_L,bi, where the readout r is all ones (`loss="sum"`, the lecture's sum of the
outputs) or a fixed random matrix with unit-RMS rows (`loss="random"`). The per-sample
backward signal is g_L = r, g_{l-1} = (g_l * phi'(z_l)) W_l and
dLoss/dW_l = (1/B) sum_b (g_l * phi'(z_l))_b^T a_{l-1,b}. W_l = s * W0_l: the scale is
folded into the products so the cached W0_l never changes when the scale slider moves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from depthlens.engine.config import Settings
from depthlens.engine.stats import max_abs, rms_and_nonfinite
from depthlens.engine.weights import WeightCache, draw_input, draw_readout

from .activations import _forward

INACTIVE_THRESHOLD = 1e-3

CancelCheck = Callable[[], bool]
Progress = Callable[[float], None]


class Cancelled(Exception):
    """Raised between layers when the cancellation check returns True."""


@dataclass(frozen=True, slots=True)
class Measured:
    """Measured per-layer statistics, rows 0..L (row 0 is the input); float64 arrays."""

    activation_rms: np.ndarray
    activation_max_abs: np.ndarray
    gradient_rms: np.ndarray
    weight_grad_rms: np.ndarray  # NaN at row 0 (blank)
    inactive_fraction: np.ndarray  # NaN at row 0 (blank)
    nonfinite_fraction: np.ndarray  # share of inf/NaN entries of a_l and g_l together
    activation_nonfinite: np.ndarray  # share of inf/NaN entries of a_l alone
    gradient_nonfinite: np.ndarray  # share of inf/NaN entries of g_l alone


@dataclass(frozen=True, slots=True)
class Trace:
    """Full per-layer arrays (kept only on request): activations a_l and signals g_l."""

    activations: tuple[np.ndarray, ...]  # a_0..a_L, each B x n
    gradients: tuple[np.ndarray, ...]  # g_0..g_L, each B x n (per-sample dLoss/da_l)
    derivatives: tuple[np.ndarray, ...]  # phi'(z_l) for l = 1..L, each B x n
    weight_grads: tuple[np.ndarray, ...]  # dLoss/dW_l for l = 1..L, each n x n


class Workspace:
    """Reusable buffers for `run`, so repeated runs of one shape allocate nothing.

    Fresh arrays cost page faults on every layer; reusing them keeps the engine close to
    the bare matrix products. Not thread-safe: one workspace per engine thread.
    """

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._key: tuple = ()
        self.acts: list[np.ndarray] = []
        self.ders: list[np.ndarray] = []
        self.g: tuple[np.ndarray, np.ndarray] | None = None
        self.dw: np.ndarray | None = None

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
            self.acts, self.ders = [], []
            self.g = (np.empty((s.batch, s.width), s.dtype), np.empty((s.batch, s.width), s.dtype))
            self.dw = np.empty((s.width, s.width), s.dtype)
        while len(self.acts) < s.depth + 1:
            self.acts.append(np.empty((s.batch, s.width), s.dtype))
            self.ders.append(np.empty((s.batch, s.width), s.dtype))


def input_batch(settings: Settings) -> np.ndarray:
    """The input batch x of `settings` in its dtype."""
    return draw_input(settings.input, settings.seed, settings.batch, settings.width).astype(settings.dtype)


def output_grad(settings: Settings) -> np.ndarray:
    """g_L = dLoss/da_L per sample (B x n) in the settings' dtype: ones, or the random readout."""
    s = settings
    if s.loss == "sum":
        return np.ones((s.batch, s.width), dtype=s.dtype)
    return draw_readout(s.seed, s.batch, s.width).astype(s.dtype)


def layer_forward(
    settings: Settings,
    cache: WeightCache,
    a: np.ndarray,
    layer: int,
    *,
    weight: np.ndarray | None = None,
    out: np.ndarray | None = None,
    d_out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One layer exactly as the engine runs it: (phi(z), phi'(z)) with z = s (a W0^T) + b.

    `weight` is the layer's unscaled matrix if the caller holds it; `out`/`d_out` are
    optional buffers. The caller holds `np.errstate(all="ignore")` (overflow is data).
    """
    s = settings
    dt = np.dtype(s.dtype)
    scale = dt.type(s.scale)
    if s.init == "identity":
        z = np.multiply(a, scale, out=out)
    else:
        w0 = weight if weight is not None else cache.matrix(s.init, s.seed, s.width, layer, s.dtype)
        z = np.matmul(a, w0.T, out=out)
        z *= scale
    if s.bias_std > 0:
        z += cache.bias(s.seed, s.width, layer, s.dtype) * dt.type(s.bias_std)
    # linear' = 1 whatever z is (NaN included): the backward pass stays exact there.
    bad = None if s.activation == "linear" else nan_mask(z)
    a, d = _forward(s.activation, z, d_out)
    if bad is not None:
        d = _nan_where(d, bad, a)
    return a, d


def nan_mask(x: np.ndarray) -> np.ndarray | None:
    """Where `x` is NaN, or None when no entry is (one BLAS dot, no temporary)."""
    v = x.reshape(-1)
    ss = float(np.dot(v, v))  # NaN exactly when some entry is NaN (squares never cancel)
    if ss == ss:
        return None
    mask = np.isnan(x)
    return mask if mask.any() else None


def _nan_where(d: np.ndarray | None, bad: np.ndarray, a: np.ndarray) -> np.ndarray:
    """phi'(z) with NaN where z is NaN: there is no honest derivative there.

    (relu'(NaN) taken as 0 reported exact-zero gradients below an overflow.) At z = +-inf
    the derivative keeps its limit: an overflowed z keeps its sign, so relu'(-inf) = 0 is
    the true value. Not used for linear, whose derivative is 1 everywhere. A relu mask
    becomes a float array.
    """
    if d is None:
        d = np.ones(a.shape, dtype=a.dtype)
    elif d.dtype == np.bool_:
        d = d.astype(a.dtype)
    d[bad] = np.nan
    return d


def layer_backward(
    settings: Settings,
    cache: WeightCache,
    delta: np.ndarray,
    layer: int,
    *,
    weight: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """g_{l-1} = delta W_l = s (delta W0_l), with delta = g_l * phi'(z_l)."""
    s = settings
    scale = np.dtype(s.dtype).type(s.scale)
    if s.init == "identity":
        return np.multiply(delta, scale, out=out)
    w0 = weight if weight is not None else cache.matrix(s.init, s.seed, s.width, layer, s.dtype)
    g = np.matmul(delta, w0, out=out)
    g *= scale
    return g


def _inactive_count(d: np.ndarray | None, activation: str) -> int:
    if d is None:
        return 0
    if activation == "relu":  # d is a 0/1 mask
        return d.size - int(np.count_nonzero(d))
    if activation in ("gelu", "swish"):  # derivatives that can be negative
        return int(np.count_nonzero(np.abs(d) <= INACTIVE_THRESHOLD))
    return int(np.count_nonzero(d <= INACTIVE_THRESHOLD))


def run(
    settings: Settings,
    cache: WeightCache,
    *,
    cancel: CancelCheck | None = None,
    progress: Progress | None = None,
    keep: bool = False,
    workspace: Workspace | None = None,
) -> tuple[Measured, Trace | None]:
    """Run the forward and backward pass; return statistics (and the full trace if `keep`).

    `cancel` is checked and `progress(fraction)` called between layers; `Cancelled` is
    raised when `cancel()` is true. inf/NaN never raise: they are counted. A `workspace`
    (ignored with `keep`) lets repeated runs reuse their buffers.
    """
    s = settings
    L, n, B = s.depth, s.width, s.batch
    dt = np.dtype(s.dtype)
    identity = s.init == "identity"
    nonneg = s.activation in ("relu", "sigmoid")  # outputs >= 0: max|a| = max a
    size = B * n

    act_rms = np.empty(L + 1)
    act_max = np.empty(L + 1)
    grad_rms = np.empty(L + 1)
    wgrad_rms = np.full(L + 1, np.nan)
    inactive = np.full(L + 1, np.nan)
    nonfinite_a = np.zeros(L + 1)
    nonfinite_g = np.zeros(L + 1)
    nonfinite_w = np.zeros(L + 1)  # entries of dLoss/dW_l (row 0 has none)

    # Hold this run's matrices for the backward pass when they fit the cache's budget
    # anyway (saves a locked cache lookup per layer); otherwise fetch (or redraw) again.
    held: dict[int, np.ndarray] | None = {} if L * n * n * dt.itemsize <= cache.budget_bytes else None

    def matrix(layer: int) -> np.ndarray:
        if held is not None:
            w = held.get(layer)
            if w is None:
                w = held[layer] = cache.matrix(s.init, s.seed, n, layer, s.dtype)
            return w
        return cache.matrix(s.init, s.seed, n, layer, s.dtype)

    def check(done: float) -> None:
        if cancel is not None and cancel():
            raise Cancelled
        if progress is not None:
            progress(done)

    ws = workspace if (workspace is not None and not keep and workspace.fits(s)) else None
    if ws is not None:
        ws.prepare(s)
    a = input_batch(s)
    acts: list[np.ndarray | None] = [a]
    derivs: list[np.ndarray | None] = []
    act_rms[0], nonfinite_a[0] = rms_and_nonfinite(a)
    act_max[0] = max_abs(a)

    with np.errstate(all="ignore"):
        # Forward pass: keep a_{l-1} (for dW_l) and phi'(z_l) (for the backward pass).
        for layer in range(1, L + 1):
            check(0.5 * (layer - 1) / L)
            a, d = layer_forward(
                s,
                cache,
                a,
                layer,
                weight=None if identity else matrix(layer),
                out=ws.acts[layer] if ws is not None else None,
                d_out=ws.ders[layer] if ws is not None else None,
            )
            act_rms[layer], nonfinite_a[layer] = rms_and_nonfinite(a)
            act_max[layer] = float(a.max()) if nonneg else max_abs(a)
            inactive[layer] = _inactive_count(d, s.activation) / size
            acts.append(a)
            derivs.append(d)

        # Backward pass, from g_L = r (ones for the sum loss) down to g_0.
        g_out = output_grad(s)
        if ws is not None:
            assert ws.g is not None
            g_bufs = ws.g
            g = g_bufs[0]
            np.copyto(g, g_out)
        else:
            g = g_out
        grads: list[np.ndarray] = [g] if keep else []
        wgrads: list[np.ndarray] = []
        grad_rms[L], nonfinite_g[L] = rms_and_nonfinite(g)
        for layer in range(L, 0, -1):
            check(0.5 + 0.5 * (L - layer) / L)
            d = derivs[layer - 1]
            # delta = g * phi'(z); g is not needed afterwards, so multiply in place
            # (unless the trace keeps it).
            if d is None:
                delta = g
            elif keep:
                delta = g * d
            else:
                delta = np.multiply(g, d, out=g)
            a_prev = acts[layer - 1]
            assert a_prev is not None
            dw = np.matmul(delta.T, a_prev, out=ws.dw if ws is not None else None)
            wgrad_rms[layer], nonfinite_w[layer] = rms_and_nonfinite(dw)
            wgrad_rms[layer] /= B
            if keep:
                dw /= dt.type(B)
                wgrads.append(dw)
            else:
                # Free what the rest of the backward pass no longer needs.
                acts[layer] = None
                derivs[layer - 1] = None
            # Ping-pong between two buffers: the new g must not alias delta.
            out = (g_bufs[1] if delta is g_bufs[0] else g_bufs[0]) if ws is not None else None
            g = layer_backward(s, cache, delta, layer, weight=None if identity else matrix(layer), out=out)
            grad_rms[layer - 1], nonfinite_g[layer - 1] = rms_and_nonfinite(g)
            if keep:
                grads.append(g)
        check(1.0)

    measured = Measured(
        activation_rms=act_rms,
        activation_max_abs=act_max,
        gradient_rms=grad_rms,
        weight_grad_rms=wgrad_rms,
        inactive_fraction=inactive,
        nonfinite_fraction=nonfinite_fraction(nonfinite_a, nonfinite_g, nonfinite_w, size, n * n),
        activation_nonfinite=nonfinite_a / size,
        gradient_nonfinite=nonfinite_g / size,
    )
    trace = None
    if keep:
        full_d = tuple((np.ones((B, n), dt) if d is None else d.astype(dt)) for d in derivs)
        trace = Trace(
            activations=tuple(x for x in acts if x is not None),
            gradients=tuple(reversed(grads)),
            derivatives=full_d,
            weight_grads=tuple(reversed(wgrads)),
        )
    return measured, trace


def nonfinite_fraction(a: np.ndarray, g: np.ndarray, w: np.ndarray, size: int, wsize: int) -> np.ndarray:
    """Share of inf/NaN among the entries of a_l, g_l and dLoss/dW_l (row 0: a_0 and g_0 only)."""
    total = np.full(a.shape, 2.0 * size + wsize)
    total[0] = 2.0 * size
    return (a + g + w) / total


def timed_run(settings: Settings, cache: WeightCache, **kw) -> tuple[Measured, float]:
    """`run` and its wall time in seconds (for the status bar and benchmarks)."""
    t0 = time.perf_counter()
    m, _ = run(settings, cache, **kw)
    return m, time.perf_counter() - t0
