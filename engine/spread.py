"""Finite-width spread: the same network for K seeds, and percentiles of each layer's log-magnitude.

At finite width n the per-layer norms fluctuate from one draw of the weights to the next;
for relu nets the variance of the log-norm grows like L / n (Hanin & Rolnick 2018). The
band between the 10th and 90th percentile over seeds shows that spread around the bars.

Seeds are settings.seed + k for k = 0..K-1 (wrapping past 2^32 - 1 to 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import MAX_SEED, Settings
from .engine import Engine
from .jobs import Partial, Steps, drive, rescaled

SPREAD_QUANTITIES: tuple[str, ...] = ("activation_rms", "gradient_rms", "weight_grad_rms")
PERCENTILES: tuple[float, float, float] = (10.0, 50.0, 90.0)
MAX_SEEDS = 256


@dataclass(frozen=True, slots=True)
class Spread:
    """Per-seed log10 magnitudes and their 10/50/90% percentiles over seeds.

    `log10` has shape (K, Q, L + 1) for the K seeds done so far and the Q quantities of
    `quantities`; `p10`, `p50`, `p90` have shape (Q, L + 1). log10 of 0 is -inf and of
    inf is inf; NaN (a blank row, e.g. weight_grad_rms at row 0, or a NaN statistic) is
    left out of the percentiles, which are NaN only when every seed is NaN.
    """

    settings: Settings
    seeds: tuple[int, ...]
    quantities: tuple[str, ...]
    log10: np.ndarray
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray

    @property
    def complete(self) -> int:
        """How many seeds are in (K so far)."""
        return len(self.seeds)

    def band(self, quantity: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(p10, p50, p90) of log10 magnitude per layer for one quantity."""
        i = self.quantities.index(quantity)
        return self.p10[i], self.p50[i], self.p90[i]

    def width(self, quantity: str) -> np.ndarray:
        """p90 - p10 per layer (decades) for one quantity."""
        lo, _, hi = self.band(quantity)
        with np.errstate(invalid="ignore"):
            return hi - lo


def seed_list(settings: Settings, count: int) -> tuple[int, ...]:
    """The K seeds used: settings.seed + k, wrapping at 2^32."""
    return tuple((settings.seed + k) % (MAX_SEED + 1) for k in range(count))


def percentiles(values: np.ndarray, qs: tuple[float, ...] = PERCENTILES) -> np.ndarray:
    """Linear-interpolation percentiles along axis 0, ignoring NaN, safe with +-inf.

    Returns shape (len(qs),) + values.shape[1:]. Between -inf and a finite value the
    result is -inf; between a finite value and inf it is inf (never NaN from inf - inf).
    """
    v = np.sort(np.asarray(values, dtype=np.float64), axis=0)  # NaN sorts last
    k = v.shape[0]
    valid = np.sum(~np.isnan(v), axis=0)
    out = np.full((len(qs), *v.shape[1:]), np.nan)
    for j, q in enumerate(qs):
        pos = (valid - 1) * (q / 100.0)
        lo = np.clip(np.floor(pos).astype(np.int64), 0, k - 1)
        hi = np.clip(np.ceil(pos).astype(np.int64), 0, k - 1)
        frac = pos - np.floor(pos)
        a = np.take_along_axis(v, lo[None], axis=0)[0]
        b = np.take_along_axis(v, hi[None], axis=0)[0]
        with np.errstate(invalid="ignore"):
            r = a + frac * (b - a)
        r = np.where(frac == 0, a, r)
        r = np.where((frac > 0) & np.isneginf(a), -np.inf, r)
        r = np.where((frac > 0) & np.isposinf(b) & ~np.isneginf(a), np.inf, r)
        out[j] = np.where(valid > 0, r, np.nan)
    return out


def _make(settings: Settings, seeds: tuple[int, ...], logs: np.ndarray) -> Spread:
    p = percentiles(logs)
    return Spread(settings, seeds, SPREAD_QUANTITIES, logs, p[0], p[1], p[2])


def spread(
    settings: Settings,
    *,
    seeds: int = 8,
    engine: Engine | None = None,
) -> Spread:
    """Run the network for `seeds` seeds and return the per-layer percentile bands (see `spread_steps`)."""
    return drive(spread_steps(settings, seeds=seeds, engine=engine))


def spread_steps(settings: Settings, *, seeds: int = 8, engine: Engine | None = None) -> Steps[Spread]:
    """The job of `spread`: yields `Progress` between layers and a `Partial` after each seed.

    The partial is the `Spread` of the seeds done so far (so a GUI band can grow).
    Pass the GUI's `engine` to reuse its weight cache and buffers (from the thread that owns it).
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise ValueError(f"seeds must be an integer from 1 to {MAX_SEEDS}, got {seeds!r}")
    eng = engine if engine is not None else Engine()
    seed_values = seed_list(settings, seeds)
    L = settings.depth
    logs = np.empty((seeds, len(SPREAD_QUANTITIES), L + 1))
    result: Spread | None = None
    for k, seed in enumerate(seed_values):

        def overall(frac: float, k: int = k) -> float:  # of the whole job
            return (k + frac) / seeds

        res = yield from rescaled(eng.compute_steps(settings.replace(seed=seed)), overall)
        with np.errstate(divide="ignore", invalid="ignore"):
            for i, name in enumerate(SPREAD_QUANTITIES):
                logs[k, i] = np.log10(np.abs(getattr(res.measured, name)))
        result = _make(settings, seed_values[: k + 1], logs[: k + 1].copy())
        yield Partial(result)
    assert result is not None
    return result
