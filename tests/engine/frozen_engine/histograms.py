"""Per-layer histograms of activations and gradients on symmetric-log (asinh) bins.

A value x is mapped to t(x) = asinh(x / linthresh) / ln 10, which is linear for
|x| << linthresh and close to sign(x) (log10|x/linthresh| + log10 2) beyond, so 1e-30
and 1e30 both get their own bins. Bins are uniform in t, `bins_per_decade` per decade,
symmetric about 0 with a central bin around 0 (exact zeros, e.g. dead relu units, land
there). Every finite entry is counted in some bin; inf, -inf and NaN are counted apart.

The pass is streamed with checkpoints (activations kept every ~sqrt(L) layers, the
rest recomputed in the backward pass), so memory stays O(sqrt(L) B n) at any depth. It
performs the same operations, in the same dtype, as `engine.propagate.run`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from depthlens.engine.config import Settings
from depthlens.engine.weights import WeightCache

from .propagate import INACTIVE_THRESHOLD, Cancelled, input_batch, layer_backward, layer_forward, output_grad

CancelCheck = Callable[[], bool]
Progress = Callable[[float], None]

QUANTITIES: tuple[str, ...] = ("activation", "gradient")
DEFAULT_LINTHRESH = 1e-30
DEFAULT_SPAN = 1e30
_LN10 = math.log(10.0)


@dataclass(frozen=True, slots=True)
class Histogram:
    """Histograms of one quantity for layers 0..L (L + 1 rows).

    `edges` (nbins + 1, value space, increasing, symmetric) and `edges_t` (the same in
    asinh-decade coordinates, finite: use these for a plot axis). `counts[l, i]` counts
    finite entries of layer l in bin i; bins are [edges[i], edges[i+1]) except that the
    outermost bins also take anything beyond the range when `max_abs` was given. `posinf`,
    `neginf` and `nan` count the non-finite entries per layer, so that
    counts.sum(axis=1) + posinf + neginf + nan == B * n. `inactive_fraction` is the share
    of saturated or dead units of each layer (NaN at row 0, the input).
    """

    quantity: str
    edges: np.ndarray
    edges_t: np.ndarray
    counts: np.ndarray
    posinf: np.ndarray
    neginf: np.ndarray
    nan: np.ndarray
    inactive_fraction: np.ndarray
    entries: int

    @property
    def shares(self) -> np.ndarray:
        """counts / (B n): the share of each layer's entries in each bin."""
        return self.counts / float(self.entries)

    @property
    def nonfinite(self) -> np.ndarray:
        """inf, -inf and NaN entries of each layer together."""
        return self.posinf + self.neginf + self.nan


@dataclass(frozen=True, slots=True)
class Distributions:
    """Histograms of activations a_0..a_L and of gradients g_0..g_L on the same bins."""

    settings: Settings
    linthresh: float
    bins_per_decade: int
    activation: Histogram
    gradient: Histogram

    def __getitem__(self, quantity: str) -> Histogram:
        """The histogram of "activation" or "gradient"."""
        if quantity not in QUANTITIES:
            raise KeyError(quantity)
        return self.activation if quantity == "activation" else self.gradient


def asinh_decades(x: np.ndarray, linthresh: float = DEFAULT_LINTHRESH) -> np.ndarray:
    """t(x) = asinh(x / linthresh) / ln 10 in float64, without overflow for any finite x."""
    ax = np.abs(np.asarray(x, dtype=np.float64))
    t = np.empty(ax.shape)
    big = ax >= linthresh
    with np.errstate(all="ignore"):
        r = linthresh / ax[big]
        # asinh(y) = ln y + ln(1 + sqrt(1 + 1/y^2)) for y >= 1
        t[big] = (np.log(ax[big]) - math.log(linthresh) + np.log1p(np.sqrt(1.0 + r * r))) / _LN10
        t[~big] = np.arcsinh(ax[~big] / linthresh) / _LN10
    return np.copysign(t, np.asarray(x, dtype=np.float64))


def decades_to_value(t: np.ndarray, linthresh: float = DEFAULT_LINTHRESH) -> np.ndarray:
    """Inverse of `asinh_decades` (inf where the value exceeds float64)."""
    t = np.asarray(t, dtype=np.float64)
    a = np.abs(t) * _LN10
    with np.errstate(all="ignore"):
        small = a < 20
        # sinh(a) = exp(a)/2 * (1 - exp(-2a)), in logs for large a
        big_val = np.exp(np.log(linthresh) + a - math.log(2.0) + np.log1p(-np.exp(-2 * a)))
        val = np.where(small, linthresh * np.sinh(np.where(small, a, 0.0)), big_val)
    return np.copysign(val, t)


def bin_edges_t(bins_per_decade: int, half_bins: int) -> np.ndarray:
    """Edges in t: (k + 1/2) / bins_per_decade for k = -half_bins-1..half_bins."""
    k = np.arange(-half_bins - 1, half_bins + 1)
    return (k + 0.5) / bins_per_decade


def _check(cancel: CancelCheck | None, progress: Progress | None, done: float) -> None:
    if cancel is not None and cancel():
        raise Cancelled
    if progress is not None:
        progress(done)


class _Binner:
    """Counts per layer by bin index k = round(t * bpd) (0 = the central bin), range-free."""

    def __init__(self, linthresh: float, bpd: int, layers: int) -> None:
        self.linthresh = linthresh
        self.bpd = bpd
        self.rows: list[tuple[int, np.ndarray]] = [(0, np.zeros(1, np.int64))] * layers
        self.posinf = np.zeros(layers, dtype=np.int64)
        self.neginf = np.zeros(layers, dtype=np.int64)
        self.nan = np.zeros(layers, dtype=np.int64)

    def add(self, layer: int, x: np.ndarray) -> None:
        v = x.reshape(-1)
        finite = np.isfinite(v)
        if not finite.all():
            self.nan[layer] = int(np.count_nonzero(np.isnan(v)))
            self.posinf[layer] = int(np.count_nonzero(np.isposinf(v)))
            self.neginf[layer] = int(np.count_nonzero(np.isneginf(v)))
            v = v[finite]
        if v.size == 0:
            return
        idx = np.floor(asinh_decades(v, self.linthresh) * self.bpd + 0.5).astype(np.int64)
        lo = int(idx.min())
        self.rows[layer] = (lo, np.bincount(idx - lo))

    def extent(self) -> int:
        """Largest |k| with a non-zero count."""
        k = 0
        for lo, c in self.rows:
            nz = np.nonzero(c)[0]
            if nz.size:
                k = max(k, abs(lo + int(nz[0])), abs(lo + int(nz[-1])))
        return k

    def counts(self, half: int) -> np.ndarray:
        """(layers, 2 half + 1) counts; indices beyond +-half go to the outermost bins."""
        out = np.zeros((len(self.rows), 2 * half + 1), dtype=np.int64)
        for row, (lo, c) in enumerate(self.rows):
            k = np.arange(lo, lo + c.size)
            np.add.at(out[row], np.clip(k, -half, half) + half, c)
        return out


def _inactive_share(d: np.ndarray | None, activation: str) -> float:
    # Same rule as engine.propagate (relu: dead units; others: |phi'| <= 1e-3).
    if d is None:
        return 0.0
    if activation == "relu":
        bad = d.size - int(np.count_nonzero(d))
    elif activation in ("gelu", "swish"):
        bad = int(np.count_nonzero(np.abs(d) <= INACTIVE_THRESHOLD))
    else:
        bad = int(np.count_nonzero(d <= INACTIVE_THRESHOLD))
    return bad / d.size


class _Net:
    """One layer step of the network exactly as `engine.propagate.run` does it."""

    def __init__(self, settings: Settings, cache: WeightCache) -> None:
        self.s = settings
        self.cache = cache

    def step(self, a: np.ndarray, layer: int) -> tuple[np.ndarray, np.ndarray | None]:
        return layer_forward(self.s, self.cache, a, layer)

    def back(self, g: np.ndarray, d: np.ndarray | None, layer: int) -> np.ndarray:
        delta = g if d is None else g * d
        return layer_backward(self.s, self.cache, delta, layer)


def distributions(
    settings: Settings,
    *,
    cache: WeightCache | None = None,
    linthresh: float = DEFAULT_LINTHRESH,
    bins_per_decade: int = 4,
    max_abs: float | None = None,
    cancel: CancelCheck | None = None,
    progress: Progress | None = None,
) -> Distributions:
    """Histograms of every layer's activations and gradients (per-sample dLoss/da_l).

    Bins cover |x| up to `max_abs`; by default (None) up to max(1e30, the largest finite
    |entry| of any layer), so nothing falls outside and the default range always shows
    1e-30 .. 1e30. With an explicit `max_abs` entries beyond it land in the outermost bins
    (useful to keep the bins fixed while a slider moves). Pass the engine's `cache`
    (`Engine.cache`) to reuse drawn weights. `cancel` is checked between layers.
    """
    if not (isinstance(bins_per_decade, int) and 1 <= bins_per_decade <= 64):
        raise ValueError(f"bins_per_decade must be an integer from 1 to 64, got {bins_per_decade!r}")
    if not (math.isfinite(linthresh) and 0 < linthresh <= 1e300):
        raise ValueError(f"linthresh must be a positive finite number, got {linthresh!r}")
    if max_abs is not None and not (math.isfinite(max_abs) and max_abs > linthresh):
        raise ValueError(f"max_abs must be a finite number > linthresh, got {max_abs!r}")
    s = settings
    cache = cache if cache is not None else WeightCache()
    net = _Net(s, cache)
    L = s.depth
    every = max(1, math.isqrt(L))
    inactive = np.full(L + 1, np.nan)
    act_bins = _Binner(linthresh, bins_per_decade, L + 1)
    grad_bins = _Binner(linthresh, bins_per_decade, L + 1)
    checkpoints: dict[int, np.ndarray] = {}
    total = 3 * L
    a = input_batch(s)
    with np.errstate(all="ignore"):
        # Forward pass, keeping a_l every `every` layers for the backward pass.
        for layer in range(L + 1):
            if layer % every == 0:
                checkpoints[layer] = a.copy()
            act_bins.add(layer, a)
            if layer == L:
                break
            _check(cancel, progress, layer / total)
            a, d = net.step(a, layer + 1)
            inactive[layer + 1] = _inactive_share(d, s.activation)
        del a
        # Backward pass from g_L (the loss's readout), recomputing each segment from its checkpoint.
        g = output_grad(s)
        grad_bins.add(L, g)
        done = L
        top = L
        while top > 0:
            start = ((top - 1) // every) * every
            a_seg = checkpoints.pop(start)
            derivs: list[np.ndarray | None] = []
            for layer in range(start + 1, top + 1):
                _check(cancel, progress, done / total)
                done += 1
                a_seg, d = net.step(a_seg, layer)
                derivs.append(d)
            for layer in range(top, start, -1):
                _check(cancel, progress, done / total)
                done += 1
                g = net.back(g, derivs.pop(), layer)
                grad_bins.add(layer - 1, g)
            top = start
    _check(cancel, progress, 1.0)

    if max_abs is None:
        half = max(_half_bins(DEFAULT_SPAN, linthresh, bins_per_decade), act_bins.extent(), grad_bins.extent())
    else:
        half = _half_bins(float(max_abs), linthresh, bins_per_decade)
    edges_t = bin_edges_t(bins_per_decade, half)
    edges = decades_to_value(edges_t, linthresh)
    entries = s.batch * s.width

    def hist(name: str, b: _Binner) -> Histogram:
        return Histogram(
            quantity=name,
            edges=edges,
            edges_t=edges_t,
            counts=b.counts(half),
            posinf=b.posinf,
            neginf=b.neginf,
            nan=b.nan,
            inactive_fraction=inactive.copy(),
            entries=entries,
        )

    return Distributions(
        s, float(linthresh), bins_per_decade, hist("activation", act_bins), hist("gradient", grad_bins)
    )


def _max_finite(x: np.ndarray) -> float:
    ax = np.abs(x)
    fin = np.isfinite(ax)
    if fin.all():
        return float(ax.max()) if ax.size else 0.0
    return float(ax[fin].max()) if fin.any() else 0.0


def _half_bins(limit: float, linthresh: float, bpd: int) -> int:
    """Smallest K with the outer edge (K + 1/2)/bpd >= t(limit)."""
    t = float(asinh_decades(np.array([limit]), linthresh)[0])
    return max(1, math.ceil(t * bpd - 0.5))
