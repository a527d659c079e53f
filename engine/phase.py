"""Mean-field phase diagram: fixed point q*, chi_1 and the depth scale over (sigma_w^2, sigma_b^2).

For a deep net at infinite width the pre-activation variance follows
v_l = sigma_w^2 E[phi(sqrt(v_{l-1}) u)^2] + sigma_b^2 (u ~ N(0, 1)), started from the input
(m_0 = 1, so v_1 = sigma_w^2 + sigma_b^2, as in `engine.theory`). Its limit is the fixed point

    q* = lim v_l,   chi_1 = sigma_w^2 E[phi'(sqrt(q*) u)^2],   xi = 1 / |ln chi_1|.

chi_1 < 1 is the ordered phase (gradients vanish), chi_1 > 1 the chaotic one (they explode),
chi_1 = 1 the critical line (Poole et al. 2016, Schoenholz et al. 2017). The depth scale xi
is the number of layers over which the squared gradient changes by a factor e: it is
-1/ln(chi_1) in the ordered phase (the usual definition), 1/ln(chi_1) in the chaotic phase
(the explosion depth), inf on the critical line and 0 when chi_1 = 0.

Conventions: q* = inf when the variance grows without bound (e.g. relu with
sigma_w^2 / 2 >= 1 and a bias; for the smooth activations, once the bracket passes 1e12);
q* = 0 when it decays to zero (below 1e-30; e.g. tanh with sigma_b^2 = 0 and
sigma_w^2 <= 1). At q* = 0, E[phi'^2] is its v -> 0 limit (the mean of the one-sided
phi'(0)^2, which differ for selu). Where the recursion has several fixed points, q* is
the one reached from v_1 (the network's own input variance).

Scalar functions (`fixed_point`, `point`, `critical_scale`) use the accurate quadrature of
`engine.theory.moments`; the grid (`phase_diagram`) uses cached tables of the two Gaussian
moments on a log grid of v with cubic interpolation (agreeing to ~1e-6) so that a 41 x 26
grid takes a few milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .activations import dphi, phi
from .config import ACTIVATIONS, RANGES
from .propagate import Cancelled
from .theory import CLOSED_FORMS, _limit_moments, moments

# E[phi(sqrt(v) u)^2] = c v and E[phi'^2] = c for the piecewise-linear activations
# (the theory's closed forms).
LINEAR_FAMILY: dict[str, float] = {name: c for name, (c, _) in CLOSED_FORMS.items()}

Q_FLOOR = 1e-30  # a variance that decays below this is reported as q* = 0
Q_CEIL = 1e12  # a variance that grows beyond this is reported as q* = inf (the moments
# are accurate to ~1e-15 relative, so sigma_w^2 F(v) + sigma_b^2 - v is noise beyond ~1e12)
_TABLE_LO, _TABLE_HI, _TABLE_PER_DECADE = -14.0, 14.0, 32
_BISECT = 64

Progress = Callable[[float], None]
CancelCheck = Callable[[], bool]


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")


def depth_scale(chi_1: float | np.ndarray) -> np.ndarray:
    """xi = 1/|ln chi_1|: inf at chi_1 = 1, 0 at chi_1 = 0 (and for chi_1 = inf); NaN stays NaN."""
    chi = np.asarray(chi_1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = 1.0 / np.abs(np.log(chi))
    return np.where(chi == 1.0, np.inf, xi)


# --------------------------------------------------------------------------- scalar, exact


def _limit_d2(activation: str) -> float:
    """E[phi'^2] as v -> inf."""
    return _limit_moments(activation, math.inf)[1]


def _d2_at_zero(activation: str) -> float:
    """lim_{v -> 0} E[phi'(sqrt(v) u)^2]: the mean of the one-sided phi'(0)^2 (selu has a kink)."""
    d = dphi(activation, np.array([1e-200, -1e-200]))
    return float(0.5 * (d[0] ** 2 + d[1] ** 2))


def _linear_family_q(c: float, s2: float, b2: float) -> float:
    g = c * s2
    if g < 1.0:
        return b2 / (1.0 - g)
    if g == 1.0 and b2 == 0.0:
        return s2 + b2  # every variance is a fixed point: the first layer's stays
    return math.inf


def fixed_point(activation: str, sigma_w2: float, sigma_b2: float) -> float:
    """The fixed point q* of v = sigma_w^2 E[phi(sqrt(v) u)^2] + sigma_b^2 reached from v_1.

    Returns 0.0 when the variance decays to zero and inf when it grows without bound.
    Accurate to about 1e-13 relative (bracketing and bisection on the exact moments).
    """
    _check_activation(activation)
    s2, b2 = float(sigma_w2), float(sigma_b2)
    if not (s2 >= 0 and b2 >= 0 and math.isfinite(s2) and math.isfinite(b2)):
        raise ValueError(f"sigma_w2 and sigma_b2 must be finite and >= 0, got {s2!r}, {b2!r}")
    if activation in LINEAR_FAMILY:
        return _linear_family_q(LINEAR_FAMILY[activation], s2, b2)
    if s2 == 0.0:
        return b2

    def h(v: float) -> float:
        return s2 * moments(activation, v)[0] + b2 - v

    v1 = s2 + b2
    h1 = h(v1)
    if h1 == 0.0:
        return v1
    if h1 > 0:  # the recursion increases: the smallest root above v1
        lo, hi = v1, v1
        while True:
            hi = lo * 4.0
            if hi > Q_CEIL:
                return math.inf
            if h(hi) <= 0:
                break
            lo = hi
    else:  # it decreases: the largest root below v1
        hi, lo = v1, v1
        while True:
            lo = max(hi / 4.0, b2)
            if lo < Q_FLOOR:
                return 0.0
            hl = h(lo)
            if hl >= 0:
                if hl == 0:
                    return lo
                break
            if lo == b2:  # h(b2) = s2 F(b2) >= 0 always; guard against rounding
                return b2
            hi = lo
    # h(lo) > 0 > h(hi) (or h(hi) == 0): bisection in log space.
    for _ in range(200):
        mid = math.sqrt(lo * hi) if lo > 0 else 0.5 * hi
        if mid <= lo or mid >= hi:
            break
        if h(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 4e-16 * hi:
            break
    return 0.5 * (lo + hi)


def chi_1(activation: str, sigma_w2: float, sigma_b2: float, q_star: float | None = None) -> float:
    """chi_1 = sigma_w^2 E[phi'(sqrt(q*) u)^2] at the fixed point (computed if not given)."""
    _check_activation(activation)
    s2 = float(sigma_w2)
    if activation in LINEAR_FAMILY:
        return s2 * LINEAR_FAMILY[activation]
    q = fixed_point(activation, s2, sigma_b2) if q_star is None else float(q_star)
    if q == 0.0:
        return s2 * _d2_at_zero(activation)
    if math.isinf(q):
        return s2 * _limit_d2(activation)
    return s2 * moments(activation, q)[1]


@dataclass(frozen=True, slots=True)
class PhasePoint:
    """Mean-field readout at one (sigma_w^2, sigma_b^2)."""

    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float
    chi_1: float
    xi: float

    @property
    def phase(self) -> str:
        """The phase: ordered (chi_1 < 1), critical (chi_1 = 1) or chaotic (chi_1 > 1)."""
        if self.chi_1 < 1:
            return "ordered"
        return "critical" if self.chi_1 == 1 else "chaotic"


def point(activation: str, *, scale: float, bias_std: float) -> PhasePoint:
    """q*, chi_1 and xi for weight scale s (sigma_w^2 = s^2) and bias std b (sigma_b^2 = b^2)."""
    s2, b2 = float(scale) ** 2, float(bias_std) ** 2
    q = fixed_point(activation, s2, b2)
    c = chi_1(activation, s2, b2, q)
    return PhasePoint(activation, s2, b2, q, c, float(depth_scale(c)))


# --------------------------------------------------------------------------- vectorised


@lru_cache(maxsize=16)
def _tables(activation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """ln v nodes and ln E[phi^2], ln E[phi'^2] there; plus the values at v = 0."""
    n = round((_TABLE_HI - _TABLE_LO) * _TABLE_PER_DECADE) + 1
    x = np.linspace(_TABLE_LO, _TABLE_HI, n) * math.log(10.0)
    f = np.empty(n)
    g = np.empty(n)
    for i, lv in enumerate(x):
        f[i], g[i] = moments(activation, math.exp(lv))
    z = np.zeros(1)
    f0 = float(phi(activation, z)[0] ** 2)
    g0 = _d2_at_zero(activation)
    with np.errstate(divide="ignore"):
        return x, np.log(f), np.log(g), f0, g0


def _interp(x: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Cubic Lagrange interpolation on the uniform grid xs; linear extrapolation outside."""
    h = xs[1] - xs[0]
    n = xs.size
    t = (x - xs[0]) / h
    i = np.clip(np.floor(t).astype(np.int64), 1, n - 3)
    u = t - i
    y0, y1, y2, y3 = ys[i - 1], ys[i], ys[i + 1], ys[i + 2]
    out = (
        -y0 * u * (u - 1) * (u - 2) / 6
        + y1 * (u + 1) * (u - 1) * (u - 2) / 2
        - y2 * (u + 1) * u * (u - 2) / 2
        + y3 * (u + 1) * u * (u - 1) / 6
    )
    lo = t < 0
    if lo.any():
        out[lo] = ys[0] + (ys[1] - ys[0]) * t[lo]
    hi = t > n - 1
    if hi.any():
        out[hi] = ys[-1] + (ys[-1] - ys[-2]) * (t[hi] - (n - 1))
    return out


def _f_table(activation: str, v: np.ndarray) -> np.ndarray:
    """E[phi(sqrt(v) u)^2] for an array of v >= 0 (finite), from the tables."""
    xs, lf, _, f0, _ = _tables(activation)
    out = np.full(v.shape, f0)
    pos = v > 0
    if pos.any():
        out[pos] = np.exp(_interp(np.log(v[pos]), xs, lf))
    return out


def _g_table(activation: str, q: np.ndarray) -> np.ndarray:
    """E[phi'(sqrt(q) u)^2] for an array of q >= 0, inf allowed."""
    xs, _, lg, _, g0 = _tables(activation)
    out = np.full(q.shape, g0)
    inf = np.isinf(q)
    out[inf] = _limit_d2(activation)
    pos = (q > 0) & ~inf
    if pos.any():
        out[pos] = np.exp(_interp(np.log(q[pos]), xs, lg))
    return out


def fixed_points(activation: str, sigma_w2: np.ndarray, sigma_b2: np.ndarray) -> np.ndarray:
    """Vectorised `fixed_point` over broadcast arrays (table-based, ~1e-6 relative)."""
    _check_activation(activation)
    s2, b2 = np.broadcast_arrays(np.asarray(sigma_w2, np.float64), np.asarray(sigma_b2, np.float64))
    s2, b2 = s2.ravel().copy(), b2.ravel().copy()
    shape = np.broadcast_shapes(np.shape(sigma_w2), np.shape(sigma_b2))
    if activation in LINEAR_FAMILY:
        c = LINEAR_FAMILY[activation]
        g = c * s2
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(g < 1, b2 / (1 - g), np.inf)
        q = np.where((g == 1) & (b2 == 0), s2 + b2, q)
        return q.reshape(shape)

    def h(v: np.ndarray, s: np.ndarray, b: np.ndarray) -> np.ndarray:
        return s * _f_table(activation, v) + b - v

    q = np.empty(s2.size)
    v1 = s2 + b2
    h1 = h(v1, s2, b2)
    q[:] = v1
    done = (s2 == 0) | (h1 == 0)
    q[s2 == 0] = b2[s2 == 0]
    up = ~done & (h1 > 0)
    down = ~done & (h1 < 0)
    lo = np.zeros(s2.size)
    hi = np.zeros(s2.size)
    # Bracket by steps of 4x from v1, evaluated for all steps at once.
    steps = 4.0 ** np.arange(1, int(math.log(Q_CEIL / Q_FLOOR, 4)) + 2)
    if up.any():
        idx = np.nonzero(up)[0]
        cand = v1[idx, None] * steps[None, :]
        hv = h(cand.ravel(), np.repeat(s2[idx], steps.size), np.repeat(b2[idx], steps.size))
        hv = hv.reshape(cand.shape)
        neg = (hv <= 0) & (cand <= Q_CEIL)
        has = neg.any(axis=1)
        k = np.argmax(neg, axis=1)
        q[idx[~has]] = np.inf
        ok = idx[has]
        hi[ok] = cand[has, k[has]]
        lo[ok] = np.where(k[has] > 0, cand[has, np.maximum(k[has] - 1, 0)], v1[ok])
        done[idx[~has]] = True
    if down.any():
        idx = np.nonzero(down)[0]
        cand = np.maximum(v1[idx, None] / steps[None, :], b2[idx, None])
        hv = h(cand.ravel(), np.repeat(s2[idx], steps.size), np.repeat(b2[idx], steps.size))
        hv = hv.reshape(cand.shape)
        # h(b2) >= 0 always, so clamp rounding at the bias floor
        nonneg = (hv >= 0) | (cand == b2[idx, None])
        nonneg &= cand >= Q_FLOOR
        has = nonneg.any(axis=1)
        k = np.argmax(nonneg, axis=1)
        q[idx[~has]] = 0.0
        done[idx[~has]] = True
        ok = idx[has]
        lo[ok] = cand[has, k[has]]
        hi[ok] = np.where(k[has] > 0, cand[has, np.maximum(k[has] - 1, 0)], v1[ok])
    todo = np.nonzero(~done)[0]
    if todo.size:
        a, b = lo[todo], hi[todo]
        s, bb = s2[todo], b2[todo]
        for _ in range(_BISECT):
            mid = np.where(a > 0, np.sqrt(a * b), 0.5 * b)
            pos = h(mid, s, bb) > 0
            a = np.where(pos, mid, a)
            b = np.where(pos, b, mid)
        q[todo] = 0.5 * (a + b)
    return q.reshape(shape)


def chis(activation: str, sigma_w2: np.ndarray, q_star: np.ndarray) -> np.ndarray:
    """Vectorised chi_1 = sigma_w^2 E[phi'(sqrt(q*) u)^2] (table-based)."""
    s2 = np.asarray(sigma_w2, np.float64)
    if activation in LINEAR_FAMILY:
        return np.broadcast_to(s2 * LINEAR_FAMILY[activation], np.broadcast_shapes(s2.shape, np.shape(q_star))).copy()
    q = np.asarray(q_star, np.float64)
    s2, q = np.broadcast_arrays(s2, q)
    return s2 * _g_table(activation, q.ravel()).reshape(q.shape)


@dataclass(frozen=True, slots=True)
class PhaseDiagram:
    """chi_1, q* and xi on a grid; arrays are (len(sigma_b2), len(sigma_w2)): rows = bias.

    `critical_sigma_w2[j]` is the smallest sigma_w^2 in the grid's range where chi_1 crosses
    1 at sigma_b2[j] (NaN if it does not), i.e. the critical line.
    """

    activation: str
    sigma_w2: np.ndarray
    sigma_b2: np.ndarray
    q_star: np.ndarray
    chi_1: np.ndarray
    xi: np.ndarray
    critical_sigma_w2: np.ndarray


def phase_diagram(
    activation: str,
    *,
    sigma_w2_range: tuple[float, float] = (0.0, 4.0),
    sigma_b2_range: tuple[float, float] = (0.0, 0.5),
    resolution: tuple[int, int] = (41, 26),
    cancel: CancelCheck | None = None,
    progress: Progress | None = None,
) -> PhaseDiagram:
    """The mean-field phase diagram of `activation` on a regular grid.

    `resolution` is (points along sigma_w^2, points along sigma_b^2), each from 2 to 2001.
    `cancel` is checked (raising `Cancelled`) and `progress` called between stages.
    """
    _check_activation(activation)
    nw, nb = (int(r) for r in resolution)
    if not (2 <= nw <= 2001 and 2 <= nb <= 2001):
        raise ValueError(f"resolution must be two integers from 2 to 2001, got {resolution!r}")
    (w0, w1), (b0, b1) = sigma_w2_range, sigma_b2_range
    if not (0 <= w0 < w1 <= 1e4 and 0 <= b0 < b1 <= 1e4):
        raise ValueError("ranges must be 0 <= low < high <= 10000 for sigma_w2 and sigma_b2")

    def check(done: float) -> None:
        if cancel is not None and cancel():
            raise Cancelled
        if progress is not None:
            progress(done)

    check(0.0)
    sw = np.linspace(w0, w1, nw)
    sb = np.linspace(b0, b1, nb)
    if activation not in LINEAR_FAMILY:
        _tables(activation)  # build (cached) before timing-sensitive work
    check(0.3)
    S2, B2 = np.meshgrid(sw, sb)
    q = fixed_points(activation, S2, B2)
    check(0.7)
    chi = chis(activation, S2, q)
    xi = depth_scale(chi)
    crit = _critical_line(activation, sw, sb, chi)
    check(1.0)
    return PhaseDiagram(activation, sw, sb, q, chi, xi, crit)


def _critical_line(activation: str, sw: np.ndarray, sb: np.ndarray, chi: np.ndarray) -> np.ndarray:
    """For each bias row, the first sigma_w^2 where chi_1 - 1 changes sign, refined by bisection."""
    out = np.full(sb.size, np.nan)
    if activation in LINEAR_FAMILY:
        w = 1.0 / LINEAR_FAMILY[activation]
        if sw[0] <= w <= sw[-1]:
            out[:] = w
        return out
    f = chi - 1.0
    lo, hi = f[:, :-1], f[:, 1:]
    cross = (lo == 0) | ((lo < 0) & (hi >= 0)) | ((lo > 0) & (hi <= 0))
    rows = np.nonzero(cross.any(axis=1))[0]
    if rows.size == 0:
        return out
    k = np.argmax(cross[rows], axis=1)
    a, b = sw[k].copy(), sw[k + 1].copy()
    fa, fb = f[rows, k].copy(), f[rows, k + 1].copy()
    ta, tb = fa.copy(), fb.copy()  # true values (fa, fb get halved by Illinois)
    bb = sb[rows]
    # Modified regula falsi (Illinois): superlinear and keeps the bracket. A zero at the
    # right end is approached by bisection first: chi_1 may cross 1 inside and touch it there.
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
    out[rows] = np.where(np.abs(tb) <= np.abs(ta), b, a)
    return out


# --------------------------------------------------------------------------- critical scale


def critical_scale(activation: str, bias_std: float, *, max_scale: float | None = None) -> float | None:
    """The weight scale s (sigma_w = s) where chi_1 = 1 for `activation` and `bias_std`.

    Searches s in (0, max_scale] (default: the largest allowed scale, 10) for the smallest s
    where chi_1 - 1 changes sign; None if it never does. Where q* jumps (e.g. between 0 and
    inf for gelu), the crossing can be that jump.
    """
    _check_activation(activation)
    top = float(RANGES["scale"][1] if max_scale is None else max_scale)
    b2 = float(bias_std) ** 2
    if activation in LINEAR_FAMILY:
        s = math.sqrt(1.0 / LINEAR_FAMILY[activation])
        return s if s <= top else None
    scales = np.linspace(0.0, top, 401)[1:]
    s2 = scales**2
    f = chis(activation, s2, fixed_points(activation, s2, np.full_like(s2, b2))) - 1.0
    idx = np.nonzero(np.sign(f[1:]) != np.sign(f[:-1]))[0]
    if f[0] == 0:
        lo_i = 0
    elif idx.size:
        lo_i = int(idx[0])
    else:
        return None

    def g(s: float) -> float:
        return chi_1(activation, s * s, b2) - 1.0

    a, b = float(scales[lo_i]), float(scales[min(lo_i + 1, scales.size - 1)])
    fa, fb = g(a), g(b)
    if fa == 0:
        return a
    if fb == 0:
        return b
    if np.sign(fa) == np.sign(fb):  # table and exact disagree right at a grid point: widen
        a = float(scales[max(lo_i - 1, 0)])
        b = float(scales[min(lo_i + 2, scales.size - 1)])
        fa = g(a)
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
