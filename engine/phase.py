"""Mean-field phase diagram: fixed point q*, chi_1 and the depth scale over (sigma_w^2, sigma_b^2).

For a deep net at infinite width the pre-activation variance follows the length map
v_l = sigma_w^2 E[phi(sqrt(v_{l-1}) u)^2] + sigma_b^2 (u ~ N(0, 1)). Its smallest stable
fixed point q* (`engine.fixed_point`, by root finding) sets

    chi_1 = sigma_w^2 E[phi'(sqrt(q*) u)^2],   xi = 1 / |ln chi_1|.

chi_1 < 1 is the ordered phase (gradients vanish), chi_1 > 1 the chaotic one (they explode),
chi_1 = 1 the critical line (Poole et al. 2016, Schoenholz et al. 2017). The depth scale xi
is the number of layers over which the squared gradient changes by a factor e: it is
-1/ln(chi_1) in the ordered phase (the usual definition), 1/ln(chi_1) in the chaotic phase
(the explosion depth), inf on the critical line and 0 when chi_1 = 0.

A third region: where no stable fixed point exists, q* is unbounded (q* = inf; chi_1 is
then its q -> inf limit). Its boundary, the divergence line, is where the stable fixed
point vanishes: for gelu and swish with a bias a saddle-node (q* jumps from a finite value
with chi_1 < 1 to infinity), for selu a blow-up in the chaotic phase. Where it coincides
with chi_1 -> 1 (relu-like activations; gelu and swish without bias, at sigma_w^2 = 4) it is
the critical point itself and is reported as such, not twice. A jump of q* is never a
chi_1 = 1 crossing: chi_1 crosses 1 only at a finite stable q* (or tends to 1 there).

Scalar functions (`fixed_point`, `point`, `critical_scale`, `divergence_scale`) use the
exact quadrature of `engine.gauss`; the grid (`phase_diagram`) uses its cached tables
(~1e-6), so that an 81 x 51 grid takes a tenth of a second or so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .config import RANGES
from .fixed_point import (
    LINEAR_FAMILY,
    Q_CEIL,
    Q_FLOOR,
    fixed_point,
    fixed_points,
    has_fixed_point,
    unstable_fixed_point,
)
from .fixed_point import check_activation as _check_activation
from .gauss import d2_at_zero, g_table, limit_moments, moments, phi0_squared, tables
from .jobs import Progress, Steps, drive

__all__ = [
    "LINEAR_FAMILY",
    "Q_CEIL",
    "Q_FLOOR",
    "PhaseDiagram",
    "PhasePoint",
    "chi_1",
    "chis",
    "critical_scale",
    "depth_scale",
    "divergence_scale",
    "fixed_point",
    "fixed_points",
    "phase_diagram",
    "point",
]

COINCIDE = 1e-6  # chi_1 within this of 1 where q* vanishes: the critical point itself



def depth_scale(chi_1: float | np.ndarray) -> np.ndarray:
    """xi = 1/|ln chi_1|: inf at chi_1 = 1, 0 at chi_1 = 0 (and for chi_1 = inf); NaN stays NaN."""
    chi = np.asarray(chi_1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = 1.0 / np.abs(np.log(chi))
    return np.where(chi == 1.0, np.inf, xi)


# --------------------------------------------------------------------------- scalar, exact


def _d2(activation: str, q: float) -> float:
    """E[phi'(sqrt(q) u)^2], with its limits at q = 0 and q = inf."""
    if q == 0.0:
        return d2_at_zero(activation)
    if math.isinf(q):
        return limit_moments(activation)[1]
    return moments(activation, q)[1]


def chi_1(activation: str, sigma_w2: float, sigma_b2: float, q_star: float | None = None) -> float:
    """chi_1 = sigma_w^2 E[phi'(sqrt(q*) u)^2] at the fixed point (computed if not given)."""
    _check_activation(activation)
    s2 = float(sigma_w2)
    if activation in LINEAR_FAMILY:
        return s2 * LINEAR_FAMILY[activation]
    q = fixed_point(activation, s2, sigma_b2) if q_star is None else float(q_star)
    return s2 * _d2(activation, q)


@dataclass(frozen=True, slots=True)
class PhasePoint:
    """Mean-field readout at one (sigma_w^2, sigma_b^2)."""

    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float
    chi_1: float
    xi: float
    q_unstable: float = math.nan  # the next fixed point above q* (unstable), inf if none
    q_start: float = math.nan  # a network's first variance v_1 = sigma_w^2 + sigma_b^2 (m_0 = 1)

    @property
    def runs_away(self) -> bool:
        """A network started at v_1 has no stable q* to reach, or starts above the unstable one."""
        return math.isinf(self.q_star) or self.q_start > self.q_unstable

    @property
    def phase(self) -> str:
        """The phase by chi_1: ordered (chi_1 < 1), critical (chi_1 = 1) or chaotic (chi_1 > 1).

        Within 1e-12 of 1 is critical (He init: sqrt(2)^2 / 2 = 1 + 2e-16).
        """
        if abs(self.chi_1 - 1) <= 1e-12:
            return "critical"
        return "ordered" if self.chi_1 < 1 else "chaotic"

    @property
    def region(self) -> str:
        """The phase diagram's region: "unbounded" where q* = inf, else `phase`."""
        return "unbounded" if math.isinf(self.q_star) else self.phase


def point(activation: str, *, scale: float, bias_std: float) -> PhasePoint:
    """q*, chi_1 and xi for weight scale s (sigma_w^2 = s^2) and bias std b (sigma_b^2 = b^2).

    xi comes from ln chi_1 = 2 ln s + ln E[phi'^2], so it stays right when s^2 underflows.
    """
    _check_activation(activation)
    s, b = float(scale), float(bias_std)
    s2, b2 = s * s, b * b
    q = fixed_point(activation, s2, b2)
    c = chi_1(activation, s2, b2, q)
    d2 = LINEAR_FAMILY[activation] if activation in LINEAR_FAMILY else _d2(activation, q)
    if s > 0 and d2 > 0:
        log_chi = 2.0 * math.log(s) + math.log(d2)
        xi = math.inf if c == 1.0 or log_chi == 0.0 else 1.0 / abs(log_chi)
    else:
        xi = float(depth_scale(c))
    qu = unstable_fixed_point(activation, s2, b2, q)
    return PhasePoint(activation, s2, b2, q, c, xi, qu, s2 + b2)


# --------------------------------------------------------------------------- vectorised


def chis(activation: str, sigma_w2, q_star) -> np.ndarray:
    """Vectorised chi_1 = sigma_w^2 E[phi'(sqrt(q*) u)^2] (table-based)."""
    s2 = np.asarray(sigma_w2, np.float64)
    q = np.asarray(q_star, np.float64)
    s2, q = np.broadcast_arrays(s2, q)
    return s2 * g_table(activation, q.ravel()).reshape(q.shape)


@dataclass(frozen=True, slots=True)
class PhaseDiagram:
    """chi_1, q* and xi on a grid; arrays are (len(sigma_b2), len(sigma_w2)): rows = bias.

    `critical_sigma_w2[j]` is the smallest sigma_w^2 in the grid's range where chi_1 crosses
    1 at a finite stable q* at sigma_b2[j] (NaN if it does not): the critical line.
    `divergence_sigma_w2[j]` is where the stable fixed point vanishes (q* jumps to or grows
    to infinity; NaN if not in the range, or where that is the critical point itself).
    q_star = inf marks the "q* unbounded" region.
    """

    activation: str
    sigma_w2: np.ndarray
    sigma_b2: np.ndarray
    q_star: np.ndarray
    chi_1: np.ndarray
    xi: np.ndarray
    critical_sigma_w2: np.ndarray
    divergence_sigma_w2: np.ndarray

    @property
    def unbounded(self) -> np.ndarray:
        """Boolean mask of the grid points without a stable fixed point."""
        return np.isinf(self.q_star)


CHUNK = 40_000  # grid points per step of `phase_diagram` between two cancellation checks


def phase_diagram(
    activation: str,
    *,
    sigma_w2_range: tuple[float, float] = (0.0, 4.0),
    sigma_b2_range: tuple[float, float] = (0.0, 0.5),
    resolution: tuple[int, int] = (41, 26),
) -> PhaseDiagram:
    """The mean-field phase diagram of `activation` on a regular grid (see `phase_diagram_steps`)."""
    steps = phase_diagram_steps(
        activation, sigma_w2_range=sigma_w2_range, sigma_b2_range=sigma_b2_range, resolution=resolution
    )
    return drive(steps)


def phase_diagram_steps(
    activation: str,
    *,
    sigma_w2_range: tuple[float, float] = (0.0, 4.0),
    sigma_b2_range: tuple[float, float] = (0.0, 0.5),
    resolution: tuple[int, int] = (41, 26),
) -> Steps[PhaseDiagram]:
    """The job of `phase_diagram`: yields `Progress` between stages and row blocks.

    `resolution` is (points along sigma_w^2, points along sigma_b^2), each from 2 to 2001.
    """
    _check_activation(activation)
    nw, nb = (int(r) for r in resolution)
    if not (2 <= nw <= 2001 and 2 <= nb <= 2001):
        raise ValueError(f"resolution must be two integers from 2 to 2001, got {resolution!r}")
    (w0, w1), (b0, b1) = sigma_w2_range, sigma_b2_range
    if not (0 <= w0 < w1 <= 1e4 and 0 <= b0 < b1 <= 1e4):
        raise ValueError("ranges must be 0 <= low < high <= 10000 for sigma_w2 and sigma_b2")

    yield Progress(0.0)
    sw = np.linspace(w0, w1, nw)
    sb = np.linspace(b0, b1, nb)
    if activation not in LINEAR_FAMILY:
        tables(activation)  # build (cached) before timing-sensitive work
    yield Progress(0.05)
    S2, B2 = np.meshgrid(sw, sb)
    q = np.empty(S2.shape)
    chi = np.empty(S2.shape)
    # Row blocks of about CHUNK points: a cancel (or Ctrl-C) is seen within a fraction of a
    # second even on a 2001 x 2001 grid.
    rows = max(1, CHUNK // nw)
    for start in range(0, nb, rows):
        block = slice(start, min(nb, start + rows))
        q[block] = fixed_points(activation, S2[block], B2[block])
        chi[block] = chis(activation, S2[block], q[block])
        yield Progress(0.05 + 0.85 * block.stop / nb)
    xi = depth_scale(chi)
    crit, div = _boundary_lines(activation, sw, sb, q, chi)
    yield Progress(1.0)
    return PhaseDiagram(activation, sw, sb, q, chi, xi, crit, div)


def _boundary_lines(activation: str, sw: np.ndarray, sb: np.ndarray, q: np.ndarray, chi: np.ndarray):
    """Per bias row: (critical sigma_w^2, divergence sigma_w^2), NaN where absent."""
    crit = np.full(sb.size, np.nan)
    div = np.full(sb.size, np.nan)
    if activation in LINEAR_FAMILY:
        w = 1.0 / LINEAR_FAMILY[activation]
        if sw[0] <= w <= sw[-1]:
            crit[:] = w
        return crit, div
    finite = np.isfinite(q)
    # The stable fixed point exists below some sigma_w^2 and not above (g grows with it).
    k = np.argmin(finite, axis=1)
    has_div = finite[:, 0] & ~finite.all(axis=1)
    rows = np.nonzero(has_div)[0]
    if rows.size:
        a, b = sw[k[rows] - 1].copy(), sw[k[rows]].copy()
        bb = sb[rows]
        for _ in range(36):  # 0.1 / 2^36 ~ 1e-12
            mid = 0.5 * (a + b)
            ok = has_fixed_point(activation, mid, bb)
            a, b = np.where(ok, mid, a), np.where(ok, b, mid)
        q_lo = fixed_points(activation, a, bb)
        if phi0_squared(activation) == 0.0:
            # Without a bias q* = 0 loses stability exactly at sigma_w^2 phi'(0)^2 = 1.
            w0 = 1.0 / d2_at_zero(activation)
            exact = (bb == 0) & (q_lo == 0) & (a <= w0) & (w0 <= b)
            a = np.where(exact, w0, a)
        div[rows] = a
        chi_lo = chis(activation, a, q_lo)
        last = chi[rows, k[rows] - 1]
        # chi_1 may still cross 1 between the last bounded grid point and s_d (finite q*) ...
        inside = (last - 1.0) * (chi_lo - 1.0) < 0
        inside &= ~(np.abs(chi_lo - 1.0) <= COINCIDE) | (chi_lo > 1.0)
        if inside.any():
            r = rows[inside]
            kk = k[r] - 1
            sw_cell = np.stack([sw[kk], a[inside]], axis=1)
            crit[r] = _refine_crossing(activation, sw_cell, sb[r], last[inside] - 1.0, chi_lo[inside] - 1.0)
        # ... or tend to 1 from below exactly where q* vanishes: the critical point itself.
        coincide = ~inside & (np.abs(chi_lo - 1.0) <= COINCIDE) & (last < 1.0)
        crit[rows[coincide]] = a[coincide]
        div[rows[coincide]] = np.nan
    # chi_1 - 1 changing sign between two finite neighbours (both in the bounded region).
    f = chi - 1.0
    lo, hi = f[:, :-1], f[:, 1:]
    both = finite[:, :-1] & finite[:, 1:]
    cross = both & ((lo == 0) | ((lo < 0) & (hi >= 0)) | ((lo > 0) & (hi <= 0)))
    rows = np.nonzero(cross.any(axis=1))[0]
    if rows.size:
        kc = np.argmax(cross[rows], axis=1)
        cells = np.stack([sw[kc], sw[kc + 1]], axis=1)
        crit[rows] = _refine_crossing(activation, cells, sb[rows], f[rows, kc], f[rows, kc + 1])
        if phi0_squared(activation) == 0.0:
            # Below 1/phi'(0)^2 without a bias, q* = 0 and chi_1 = sigma_w^2 phi'(0)^2: exact.
            w0 = 1.0 / d2_at_zero(activation)
            exact = (sb[rows] == 0) & (sw[kc] <= w0) & (w0 <= sw[kc + 1])
            crit[rows[exact]] = w0
    return crit, div


def _refine_crossing(activation, cells, bb, fa, fb) -> np.ndarray:
    """Modified regula falsi (Illinois) for chi_1 = 1 in cells[:, 0] .. cells[:, 1], per row."""
    a, b = cells[:, 0].copy(), cells[:, 1].copy()
    fa, fb = fa.copy(), fb.copy()
    ta, tb = fa.copy(), fb.copy()  # true values (fa, fb get halved by Illinois)
    # A zero at the right end is approached by bisection first: chi_1 may cross 1 inside
    # and touch it there.
    for _ in range(24):
        ill = (fa != 0) & (fb != 0)
        zb = (fb == 0) & (fa != 0)
        upd = ill | zb
        if not upd.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(ill, b - fb * (b - a) / (fb - fa), 0.5 * (a + b))
        c = np.where(np.isfinite(c), np.clip(c, np.minimum(a, b), np.maximum(a, b)), 0.5 * (a + b))
        c = np.where(upd, c, a)
        fc = chis(activation, c, fixed_points(activation, c, bb)) - 1.0
        rep_a = upd & (np.sign(fc) == np.sign(fa))
        rep_b = upd & ~rep_a
        a, ta = np.where(rep_a, c, a), np.where(rep_a, fc, ta)
        b, tb = np.where(rep_b, c, b), np.where(rep_b, fc, tb)
        fa = np.where(rep_a, fc, np.where(rep_b & ill, 0.5 * fa, fa))
        fb = np.where(rep_b, fc, np.where(rep_a & ill, 0.5 * fb, fb))
        if np.all(np.abs(b - a) <= 1e-12 * np.maximum(np.abs(b), 1e-300)):
            break
    return np.where(np.abs(tb) <= np.abs(ta), b, a)


# --------------------------------------------------------------------------- critical scale


def critical_scale(activation: str, bias_std: float, *, max_scale: float | None = None) -> float | None:
    """The weight scale s (sigma_w = s) where chi_1 crosses 1 at a finite stable q*.

    Searches s in (0, max_scale] (default: the largest allowed scale, 10) for the smallest
    such s; None if there is none (e.g. sigmoid, whose crossing lies near s^2 = 103, or gelu
    with a bias, whose q* jumps to infinity before chi_1 reaches 1: see `divergence_scale`).
    """
    return _scale_boundaries(activation, float(bias_std), _top(max_scale))[0]


def divergence_scale(activation: str, bias_std: float, *, max_scale: float | None = None) -> float | None:
    """The smallest weight scale s where the stable fixed point vanishes (q* -> inf).

    None if it stays in (0, max_scale], or if the vanishing is the critical point itself
    (chi_1 -> 1 there: relu-like activations, gelu and swish without a bias).
    """
    return _scale_boundaries(activation, float(bias_std), _top(max_scale))[1]


def _top(max_scale: float | None) -> float:
    return float(RANGES["scale"][1] if max_scale is None else max_scale)


@lru_cache(maxsize=256)
def _scale_boundaries(activation: str, bias_std: float, top: float) -> tuple[float | None, float | None]:
    _check_activation(activation)
    b2 = bias_std * bias_std
    if activation in LINEAR_FAMILY:
        s = math.sqrt(1.0 / LINEAR_FAMILY[activation])
        return (s if s <= top else None), None
    scales = np.linspace(0.0, top, 401)[1:]
    s2 = scales**2
    q = fixed_points(activation, s2, np.full_like(s2, b2))
    finite = np.isfinite(q)
    f = chis(activation, s2, q) - 1.0

    def exists(s: float) -> bool:
        return math.isfinite(fixed_point(activation, s * s, b2))

    s_d: float | None = None
    chi_d = math.nan  # chi_1 on the bounded side of s_d
    if not finite.all():
        k = int(np.argmin(finite))
        a = float(scales[k - 1]) if k > 0 else 0.0
        b = float(scales[k])
        if a > 0 and not exists(a):  # table and exact moments disagree at the grid point
            a = float(scales[k - 2]) if k > 1 else 0.0
        for _ in range(64):
            mid = 0.5 * (a + b)
            if not a < mid < b:
                break
            if exists(mid):
                a = mid
            else:
                b = mid
        s_d = _zero_loses_stability(activation, b2, a, b)
        chi_d = chi_1(activation, a * a, b2)
    s_c = _finite_crossing(activation, b2, scales, f, finite)
    if s_d is not None and s_c is None:
        k = int(np.argmin(finite))
        last = float(f[k - 1]) if k > 0 else -1.0  # chi_1 -> 0 as s -> 0
        lo = float(scales[k - 1]) if k > 0 else 0.0
        if last * (chi_d - 1.0) < 0 and (abs(chi_d - 1.0) > COINCIDE or chi_d > 1.0):
            # chi_1 crosses 1 between the last bounded grid point and s_d (finite q*).
            s_c = _bisect_chi(activation, b2, lo, s_d, last)
        elif last < 0 and abs(chi_d - 1.0) <= COINCIDE:
            return s_d, None  # chi_1 -> 1 from below where q* vanishes: the critical point
    return s_c, s_d


def _zero_loses_stability(activation: str, b2: float, a: float, b: float) -> float:
    """`a`, or exactly s = 1/phi'(0) if q* = 0 at `a` and that point lies in [a, b].

    Without a bias q* = 0 loses stability where s^2 phi'(0)^2 = 1; bisection on noisy
    moments only gets within ~1e-8 of it.
    """
    if b2 == 0.0 and fixed_point(activation, a * a, b2) == 0.0:
        exact = 1.0 / math.sqrt(d2_at_zero(activation))
        if a <= exact <= b:
            return exact
    return a


def _finite_crossing(activation: str, b2: float, scales: np.ndarray, f: np.ndarray, finite: np.ndarray) -> float | None:
    """The smallest s where chi_1 - 1 changes sign between two scales with a finite q*."""
    both = finite[:-1] & finite[1:]
    change = both & (np.sign(f[1:]) != np.sign(f[:-1]))
    if finite[0] and f[0] == 0:
        return float(scales[0])
    idx = np.nonzero(change)[0]
    if idx.size == 0:
        return None
    lo_i = int(idx[0])

    def g(s: float) -> float:
        return chi_1(activation, s * s, b2) - 1.0

    a, b = float(scales[lo_i]), float(scales[lo_i + 1])
    if b2 == 0.0 and phi0_squared(activation) == 0.0:
        # Below s0 = 1/phi'(0), q* = 0 and chi_1 = s^2 phi'(0)^2 < 1: chi_1 first reaches 1 at
        # s0 exactly (bisection on the noisy moments of a tiny q* only gets within ~1e-8).
        s0 = 1.0 / math.sqrt(d2_at_zero(activation))
        if a <= s0 <= b:
            return s0
    fa, fb = g(a), g(b)
    if fa == 0:
        return a
    if fb == 0:
        return b
    if np.sign(fa) == np.sign(fb):  # table and exact disagree right at a grid point: widen
        a = float(scales[max(lo_i - 1, 0)])
        b = float(scales[min(lo_i + 2, scales.size - 1)])
        fa = g(a)
    return _bisect_chi(activation, b2, a, b, fa)


def _bisect_chi(activation: str, b2: float, a: float, b: float, fa: float) -> float:
    """Bisection for chi_1(s) = 1 in [a, b], where chi_1 - 1 has the sign of `fa` at a."""

    def g(s: float) -> float:
        return chi_1(activation, s * s, b2) - 1.0

    if a == 0.0:
        fa = -1.0
    for _ in range(60):
        mid = 0.5 * (a + b)
        fm = g(mid)
        if fm == 0:
            return mid
        if np.sign(fm) == np.sign(fa):
            a, fa = mid, fm
        else:
            b = mid
        if b - a <= 1e-14 * b:
            break
    return 0.5 * (a + b)
