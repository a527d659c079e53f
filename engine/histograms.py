"""Per-layer histograms of activations and gradients on symmetric-log (asinh) bins.

A value x is mapped to t(x) = asinh(x / linthresh) / ln 10, which is linear for
|x| << linthresh and close to sign(x) (log10|x/linthresh| + log10 2) beyond, so 1e-30
and 1e30 both get their own bins. Bins are uniform in t, `bins_per_decade` per decade,
symmetric about 0 with a central bin around 0 (exact zeros, e.g. dead relu units, land
there). Every finite entry is counted in some bin; inf, -inf and NaN are counted apart.

The pass is streamed with checkpoints (activations kept every ~sqrt(L) layers, the
rest recomputed in the backward pass), so memory stays O(sqrt(L) B n) at any depth. It
steps through the same layers and loop, in the same dtype, as `engine.propagate.run`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import Settings
from .jobs import Progress, Steps, drive
from .layers import network
from .propagate import backward, forward, input_batch, output_grad
from .weights import WeightCache

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


def distributions(
    settings: Settings,
    *,
    cache: WeightCache | None = None,
    linthresh: float = DEFAULT_LINTHRESH,
    bins_per_decade: int = 4,
    max_abs: float | None = None,
) -> Distributions:
    """Histograms of every layer's activations and gradients (per-sample dLoss/da_l).

    See `distributions_steps` (the same as a job) for the options.
    """
    steps = distributions_steps(
        settings, cache=cache, linthresh=linthresh, bins_per_decade=bins_per_decade, max_abs=max_abs
    )
    return drive(steps)


def distributions_steps(
    settings: Settings,
    *,
    cache: WeightCache | None = None,
    linthresh: float = DEFAULT_LINTHRESH,
    bins_per_decade: int = 4,
    max_abs: float | None = None,
) -> Steps[Distributions]:
    """The job of `distributions`: yields `Progress` before every layer step, returns the histograms.

    Bins cover |x| up to `max_abs`; by default (None) up to max(1e30, the largest finite
    |entry| of any layer), so nothing falls outside and the default range always shows
    1e-30 .. 1e30. With an explicit `max_abs` entries beyond it land in the outermost bins
    (useful to keep the bins fixed while a slider moves). Pass the engine's `cache`
    (`Engine.cache`) to reuse drawn weights.
    """
    if not (isinstance(bins_per_decade, int) and 1 <= bins_per_decade <= 64):
        raise ValueError(f"bins_per_decade must be an integer from 1 to 64, got {bins_per_decade!r}")
    if not (math.isfinite(linthresh) and 0 < linthresh <= 1e300):
        raise ValueError(f"linthresh must be a positive finite number, got {linthresh!r}")
    if max_abs is not None and not (math.isfinite(max_abs) and max_abs > linthresh):
        raise ValueError(f"max_abs must be a finite number > linthresh, got {max_abs!r}")
    s = settings
    net = network(s, cache if cache is not None else WeightCache())
    L = s.depth
    every = max(1, math.isqrt(L))
    inactive = np.full(L + 1, np.nan)
    act_bins = _Binner(linthresh, bins_per_decade, L + 1)
    grad_bins = _Binner(linthresh, bins_per_decade, L + 1)
    total = 3 * L  # every layer step of the three passes is one checkpoint
    ticks = (Progress(done / total) for done in itertools.count())

    x = input_batch(s)
    checkpoints: dict[int, np.ndarray] = {0: x.copy()}
    act_bins.add(0, x)
    with np.errstate(all="ignore"):
        # Forward pass, keeping a_l every `every` layers for the backward pass.
        fwd = forward(net, x, weight_grad=False)
        for row in range(1, L + 1):
            yield next(ticks)
            layer, a, ctx = next(fwd)
            if row % every == 0 and row < L:
                checkpoints[row] = a.copy()
            act_bins.add(row, a)
            inactive[row] = layer.inactive(ctx) / a.size
        del x, a
        # Backward pass from g_L (the loss's readout), recomputing each segment from its checkpoint.
        g = output_grad(s)
        grad_bins.add(L, g)
        top = L
        while top > 0:
            start = ((top - 1) // every) * every
            seg = net[start:top]
            fwd = forward(seg, checkpoints.pop(start), weight_grad=False)
            ctxs: list[Any] = []
            for _ in seg:
                yield next(ticks)
                ctxs.append(next(fwd)[2])
            back = backward(seg, ctxs, g, weight_grad=False)
            for row in range(top - 1, start - 1, -1):
                yield next(ticks)
                g, _ = next(back)
                grad_bins.add(row, g)
            top = start
    yield Progress(1.0)

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


def _half_bins(limit: float, linthresh: float, bpd: int) -> int:
    """Smallest K with the outer edge (K + 1/2)/bpd >= t(limit)."""
    t = float(asinh_decades(np.array([limit]), linthresh)[0])
    return max(1, math.ceil(t * bpd - 0.5))
