"""Fixed points of the mean-field length map f(q) = s^2 E[phi(sqrt(q) u)^2] + sigma_b^2.

q* is the smallest *stable* fixed point, found by root finding on g(q) = f(q) - q, never by
iterating f: near a saddle-node the iteration converges ever more slowly, and stopping it
there mistakes a finite q* for a jump to infinity. f is increasing, so the smallest root
where g goes from positive to non-positive has 0 <= f'(q*) <= 1 (< 1 except at a tangency),
and from any q_0 below the next (unstable) root the recursion converges to it.

Roots are bracketed on a log grid of q from Q_FLOOR to Q_CEIL (8 points per decade),
including dips of g between two grid points (two roots close together near a saddle-node),
then solved: by bisection on the tabulated moments for arrays (~1e-6 relative), by the
Illinois method on the exact moments for scalars (~1e-13 relative).

Conventions: q* = 0 when q = 0 is a stable fixed point (sigma_b = 0 and phi(0) = 0 with
s^2 phi'(0)^2 < 1; at = 1 when f bends below the diagonal, as for tanh and selu). q* = inf
when no stable fixed point exists below Q_CEIL = 1e12: the variance grows without bound
(beyond 1e12 the moments' ~1e-15 relative accuracy no longer resolves f(q) - q). The
piecewise-linear activations use closed forms.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .config import ACTIVATIONS
from .gauss import CLOSED_FORMS, d2_at_zero, f_table, moments, phi0_squared

Q_FLOOR = 1e-30  # the grid's lowest q; a smaller root is still found (bracket [0, Q_FLOOR])
Q_CEIL = 1e12
_PER_DECADE = 8
_QGRID = np.geomspace(Q_FLOOR, Q_CEIL, round(math.log10(Q_CEIL / Q_FLOOR)) * _PER_DECADE + 1)
_NEAR = 1e-4  # a table value of g within this * q of 0 is re-decided on the exact moments
_NOISE = 1e-13  # |g(q)| below this * q is rounding of the exact moments, not a sign
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0

# E[phi(sqrt(v) u)^2] = c v for the piecewise-linear activations.
LINEAR_FAMILY: dict[str, float] = {name: c for name, (c, _) in CLOSED_FORMS.items()}


def check_activation(activation: str) -> None:
    """Raise ValueError unless `activation` is one of `ACTIVATIONS`."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")


def _check_numbers(s2: float, b2: float) -> None:
    if not (s2 >= 0 and b2 >= 0 and math.isfinite(s2) and math.isfinite(b2)):
        raise ValueError(f"sigma_w2 and sigma_b2 must be finite and >= 0, got {s2!r}, {b2!r}")


def linear_family_q(c: float, s2: float, b2: float) -> float:
    """q* for E[phi^2] = c q: sigma_b^2 / (1 - c s^2), inf when c s^2 >= 1 (with a bias).

    c s^2 within 1e-12 of 1 counts as 1 (He init: sqrt(2)^2 = 2 + 4e-16).
    """
    g = c * s2
    if abs(g - 1.0) <= 1e-12:
        return s2 + b2 if b2 == 0.0 else math.inf  # no bias: every variance is fixed, the first stays
    if g < 1.0:
        return b2 / (1.0 - g)
    return math.inf


@lru_cache(maxsize=16)
def _f_grid(activation: str) -> np.ndarray:
    return f_table(activation, _QGRID)


@lru_cache(maxsize=16)
def _bends_down_at_zero(activation: str) -> bool:
    """At s^2 phi'(0)^2 = 1 without bias: True if f(q) < q just above 0 (q = 0 attracts)."""
    d2 = d2_at_zero(activation)
    if phi0_squared(activation) != 0.0 or d2 == 0.0:
        return False
    q = 1e-6
    return moments(activation, q)[0] / d2 - q < 0


def _zero_is_stable(activation: str, s2, b2) -> np.ndarray:
    """q = 0 is a fixed point (no bias, phi(0) = 0) that attracts from above (vectorised)."""
    s2, b2 = np.asarray(s2, np.float64), np.asarray(b2, np.float64)
    fixed = (b2 == 0.0) & ((phi0_squared(activation) == 0.0) | (s2 == 0.0))
    slope = s2 * d2_at_zero(activation)
    # Within 1e-12 of 1 a positive root would lie below ~1e-12, where f(q) - q is rounding
    # noise of the moments: the sign of the next order (f bending down) decides.
    return fixed & ((slope < 1.0) | ((slope <= 1.0 + 1e-12) & _bends_down_at_zero(activation)))


# --------------------------------------------------------------------------- arrays (tables)


def _g_tab(activation: str, q: np.ndarray, s2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    return s2 * f_table(activation, q) + b2 - q


def _golden_min(activation, a, b, s2, b2, iters: int = 32):
    """Vectorised golden-section minimum of g over [a, b] (in ln q): (q_min, g_min)."""
    la, lb = np.log(a), np.log(b)
    c = lb - _GOLDEN * (lb - la)
    d = la + _GOLDEN * (lb - la)
    gc = _g_tab(activation, np.exp(c), s2, b2)
    gd = _g_tab(activation, np.exp(d), s2, b2)
    for _ in range(iters):
        left = gc < gd  # the minimum lies in [a, d]: drop (d, b]; else drop [a, c)
        lb = np.where(left, d, lb)
        la = np.where(left, la, c)
        c_new = np.where(left, lb - _GOLDEN * (lb - la), d)
        d_new = np.where(left, c, la + _GOLDEN * (lb - la))
        g_new = _g_tab(activation, np.exp(np.where(left, c_new, d_new)), s2, b2)
        gc, gd = np.where(left, g_new, gd), np.where(left, gc, g_new)
        c, d = c_new, d_new
    q = np.exp(0.5 * (la + lb))
    return q, _g_tab(activation, q, s2, b2)


def _dips(G: np.ndarray) -> np.ndarray:
    """Interior grid points (columns 1..K-2) where g has a positive discrete minimum that can reach 0.

    f is increasing, so g' >= -1 and g falls by less than the grid spacing (0.34 q) between
    neighbours: a minimum above 0.4 q cannot dip to 0 (this drops rounding plateaus).
    """
    mid = G[:, 1:-1]
    return (mid <= G[:, :-2]) & (mid < G[:, 2:]) & (mid > 0) & (mid <= 0.4 * _QGRID[1:-1])


def _brackets(activation: str, s2: np.ndarray, b2: np.ndarray):
    """Per point: (zero, lo, hi): q* = 0, or q* in [lo, hi] with g(lo) > 0 >= g(hi), or none (hi = inf)."""
    n = s2.size
    zero = _zero_is_stable(activation, s2, b2)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    todo = np.nonzero(~zero)[0]
    if todo.size == 0:
        return zero, lo, hi
    S, B = s2[todo, None], b2[todo, None]
    G = S * _f_grid(activation)[None, :] + B - _QGRID[None, :]
    K = _QGRID.size
    nonpos = G <= 0
    first = np.where(nonpos.any(axis=1), np.argmax(nonpos, axis=1), K)
    # Positive discrete minima before the first non-positive point: g may dip below 0 between
    # two grid points (a stable and an unstable root close together near a saddle-node).
    dip = np.zeros_like(nonpos)
    dip[:, 1:-1] = _dips(G)
    dip &= np.arange(K)[None, :] < first[:, None]
    found = np.zeros(todo.size, bool)
    active = dip.any(axis=1)
    while active.any():
        rows = np.nonzero(active)[0]
        j = np.argmax(dip[rows], axis=1)
        qm, gm = _golden_min(activation, _QGRID[j - 1], _QGRID[j + 1], s2[todo[rows]], b2[todo[rows]])
        hit = gm <= 0
        lo[todo[rows[hit]]] = _QGRID[j[hit] - 1]
        hi[todo[rows[hit]]] = qm[hit]
        found[rows[hit]] = True
        dip[rows, j] = False
        active = dip.any(axis=1) & ~found
    rest = np.nonzero(~found & (first < K))[0]
    k = first[rest]
    lo[todo[rest]] = np.where(k > 0, _QGRID[np.maximum(k - 1, 0)], 0.0)
    hi[todo[rest]] = _QGRID[k]
    return zero, lo, hi


def has_fixed_point(activation: str, sigma_w2, sigma_b2) -> np.ndarray:
    """Vectorised: does a stable fixed point exist (q* < inf)? Tabulated moments."""
    shape = np.broadcast_shapes(np.shape(sigma_w2), np.shape(sigma_b2))
    s2, b2 = (np.broadcast_to(np.asarray(a, np.float64), shape).ravel().copy() for a in (sigma_w2, sigma_b2))
    if activation in LINEAR_FAMILY:
        return np.isfinite(fixed_points(activation, s2, b2)).reshape(shape)
    zero, _, hi = _brackets(activation, s2, b2)
    return (zero | np.isfinite(hi)).reshape(shape)


def fixed_points(activation: str, sigma_w2, sigma_b2) -> np.ndarray:
    """Vectorised `fixed_point` over broadcast arrays (tabulated moments, ~1e-6 relative)."""
    check_activation(activation)
    shape = np.broadcast_shapes(np.shape(sigma_w2), np.shape(sigma_b2))
    s2, b2 = (np.broadcast_to(np.asarray(a, np.float64), shape).ravel().copy() for a in (sigma_w2, sigma_b2))
    if activation in LINEAR_FAMILY:
        c = LINEAR_FAMILY[activation]
        return np.array([linear_family_q(c, a, b) for a, b in zip(s2, b2, strict=True)]).reshape(shape)
    zero, lo, hi = _brackets(activation, s2, b2)
    q = np.where(zero, 0.0, np.inf)
    todo = np.nonzero(~zero & np.isfinite(hi))[0]
    if todo.size:
        a, b = lo[todo], hi[todo]
        s, bb = s2[todo], b2[todo]
        for _ in range(64):
            mid = np.where(a > 0, np.sqrt(a * b), 0.5 * b)
            pos = _g_tab(activation, mid, s, bb) > 0
            a = np.where(pos, mid, a)
            b = np.where(pos, b, mid)
        q[todo] = np.where(a > 0, np.sqrt(a * b), 0.5 * b)
    return q.reshape(shape)


# --------------------------------------------------------------------------- scalars (exact)


def _illinois(g, lo: float, hi: float, glo: float, ghi: float) -> float:
    """Root of g in [lo, hi] (g(lo) > 0 >= g(hi), lo > 0) by Illinois steps in ln q."""
    if ghi == 0.0:
        return hi
    a, b, fa, fb = math.log(lo), math.log(hi), glo, ghi
    side = 0
    for _ in range(200):
        c = b - fb * (b - a) / (fb - fa)
        if not (min(a, b) < c < max(a, b)):
            c = 0.5 * (a + b)
        qc = math.exp(c)
        fc = g(qc)
        if abs(fc) <= 1e-15 * qc:
            return qc
        if fc > 0:  # same sign as g(lo)
            a, fa = c, fc
            if side == -1:
                fb *= 0.5
            side = -1
        else:
            b, fb = c, fc
            if side == 1:
                fa *= 0.5
            side = 1
        if abs(b - a) <= 1e-15:
            break
    return math.exp(b) if abs(fb) <= abs(fa) else math.exp(a)


def _exact_root(activation: str, s2: float, b2: float, lo: float, hi: float) -> float | None:
    """The smallest root where g goes + to - in [lo, hi] on the exact moments, or None."""

    def g(q: float) -> float:
        return s2 * moments(activation, q)[0] + b2 - q

    def noise(q: float) -> float:
        return _NOISE * q  # |g| below this is rounding of the moments, not a sign

    glo, ghi = g(lo), g(hi)
    if glo <= noise(lo):
        return None  # no sign here: the root (if any) belongs to an earlier candidate
    if -noise(hi) < ghi <= 0.0:
        return hi  # g(hi) is zero to the moments' rounding: the root is hi (e.g. selu's q* = 1 at s = 1)
    if not ghi <= -noise(hi):
        # A dip between lo and hi? Golden section on the exact g.
        a, b = math.log(lo) if lo > 0 else math.log(hi) - 80.0, math.log(hi)
        c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
        gc, gd = g(math.exp(c)), g(math.exp(d))
        for _ in range(60):
            if gc < gd:
                b, d, gd = d, c, gc
                c = b - _GOLDEN * (b - a)
                gc = g(math.exp(c))
            else:
                a, c, gc = c, d, gd
                d = a + _GOLDEN * (b - a)
                gd = g(math.exp(d))
            if min(gc, gd) <= -noise(math.exp(min(c, d))):
                break
        qm, gm = (math.exp(c), gc) if gc <= gd else (math.exp(d), gd)
        if gm > -noise(qm):
            return None
        hi, ghi = qm, gm
    if lo == 0.0:  # step down geometrically to a positive lower end (g(0) > 0 here)
        lo = hi
        while True:
            lo *= 1e-4
            if lo < 1e-300:
                return 0.0
            glo = g(lo)
            if glo > noise(lo):
                break
            hi, ghi = lo, glo
    return _illinois(g, lo, hi, glo, ghi)


def fixed_point(activation: str, sigma_w2: float, sigma_b2: float) -> float:
    """The smallest stable fixed point q* of q = sigma_w^2 E[phi(sqrt(q) u)^2] + sigma_b^2.

    0.0 when q = 0 is stable, inf when no stable fixed point exists (the variance grows
    without bound). Accurate to about 1e-13 relative (exact moments).
    """
    check_activation(activation)
    s2, b2 = float(sigma_w2), float(sigma_b2)
    _check_numbers(s2, b2)
    if activation in LINEAR_FAMILY:
        return linear_family_q(LINEAR_FAMILY[activation], s2, b2)
    if s2 == 0.0:
        return b2
    if bool(_zero_is_stable(activation, s2, b2)):
        return 0.0
    for lo, hi in _candidates(activation, s2, b2):
        q = _exact_root(activation, s2, b2, lo, hi)
        if q is not None:
            return q
    return math.inf


def _candidates(activation: str, s2: float, b2: float) -> list[tuple[float, float]]:
    """Grid intervals, in increasing q, where the exact g may reach 0 from above."""
    G = s2 * _f_grid(activation) + b2 - _QGRID
    K = _QGRID.size
    near = np.abs(G) <= _NEAR * _QGRID
    for k in np.nonzero(near)[0]:  # where the table cannot be trusted with the sign
        G[k] = s2 * moments(activation, float(_QGRID[k]))[0] + b2 - _QGRID[k]
    down = np.zeros(K, bool)
    down[0] = G[0] <= 0
    down[1:] = (G[1:] <= 0) & (G[:-1] > 0)
    dip = np.zeros(K, bool)
    dip[1:-1] = _dips(G[None, :])[0]
    for j in np.nonzero(dip)[0]:
        # Keep a dip only if g's tabulated minimum inside it comes near 0.
        one = np.ones(1)
        qm, gm = _golden_min(activation, _QGRID[j - 1] * one, _QGRID[j + 1] * one, s2 * one, b2 * one)
        dip[j] = bool(gm[0] <= _NEAR * qm[0])
    out = []
    for k in np.nonzero(down | dip)[0]:
        lo = float(_QGRID[k - 1]) if k > 0 else 0.0
        hi = float(_QGRID[k]) if down[k] else float(_QGRID[k + 1])
        out.append((lo, hi))
    return out


def unstable_fixed_point(activation: str, sigma_w2: float, sigma_b2: float, q_star: float) -> float:
    """The next fixed point above a finite q* (where g goes - to +), or inf if there is none.

    A recursion started above it runs away from q* (the variance grows without bound).
    """
    s2, b2 = float(sigma_w2), float(sigma_b2)
    if not math.isfinite(q_star):
        return math.inf
    if activation in LINEAR_FAMILY:
        return math.inf  # g is linear: at most one root
    G = s2 * _f_grid(activation) + b2 - _QGRID
    above = np.nonzero((_QGRID > q_star * (1 + 1e-6)) & (G > 0))[0]
    if above.size == 0:
        return math.inf

    def minus_g(q: float) -> float:
        return q - s2 * moments(activation, q)[0] - b2

    k = int(above[0])
    lo = max(float(_QGRID[k - 1]), q_star * (1 + 1e-6)) if k > 0 else q_star * (1 + 1e-6)
    hi = float(_QGRID[k])
    glo, ghi = minus_g(lo), minus_g(hi)
    if not (glo > 0 >= ghi):
        return hi  # table and exact moments disagree right at the root: the grid point
    return _illinois(minus_g, lo, hi, glo, ghi)
