"""Gaussian expectations of the activations: E[phi^2], E[phi'^2] and the length map's slope.

For z ~ N(0, v): F(v) = E[phi(z)^2] (the length map is q -> s^2 F(q) + sigma_b^2),
G(v) = E[phi'(z)^2] (the gradient factor chi = s^2 G) and F'(v) = E[z phi(z) phi'(z)] / v
(Stein's lemma: the slope of the length map is s^2 F'(q), which decides stability).

Scalars use piecewise Gauss-Legendre quadrature split at the kink u = 0, on a grid graded
both in u and in x = sqrt(v) u, so that an integrand varying on a scale of 1/sqrt(v) (huge v
in an exploding net, tiny v in a vanishing one) is resolved; plain Gauss-Hermite is not
accurate here (relu' and selu' jump at 0). Arrays of v use cached tables of ln F and ln G on
a log grid of v with cubic interpolation (~1e-6 relative), for the phase diagram's grids.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from .activations import TABLE, dphi, phi

_GL_NODES = 16
_U_MAX = 12.0  # P(|u| > 12) ~ 4e-33: negligible even against polynomial growth
_gl_x, _gl_w = np.polynomial.legendre.leggauss(_GL_NODES)
_U_GRID = np.unique(np.concatenate([np.geomspace(1e-4, 1.0, 9), np.arange(1.0, _U_MAX + 0.25, 0.5)]))
_X_GRID = np.geomspace(1e-6, 1e3, 28)  # breakpoints in x = sigma * u
_TINY_V = 1e-24  # below this F'(v) is its v -> 0 limit to ~1e-24 relative

# E[phi^2] / v and E[phi'^2] in closed form for the piecewise-linear activations (the table's).
CLOSED_FORMS: dict[str, tuple[float, float]] = {
    name: act.closed_form for name, act in TABLE.items() if act.closed_form is not None
}


def half_line_nodes(sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes u > 0 and weights for integrating g(u) * pdf(u) over u in (0, U_MAX).

    Breakpoints are graded in u and in x = sigma * u, so features of g(sigma u) at
    x ~ 1 are resolved at any sigma.
    """
    xs = _X_GRID / sigma if sigma > 0 else np.empty(0)
    bps = np.unique(np.concatenate([[0.0], _U_GRID, xs[(xs > 0) & (xs < _U_MAX)]]))
    lo, hi = bps[:-1], bps[1:]
    half = 0.5 * (hi - lo)
    mid = 0.5 * (hi + lo)
    u = (mid[:, None] + half[:, None] * _gl_x[None, :]).ravel()
    w = (half[:, None] * _gl_w[None, :]).ravel()
    w = w * np.exp(-0.5 * u * u) / math.sqrt(2 * math.pi)
    return u, w


def gauss_expect(fn: Callable[[np.ndarray], np.ndarray], v: float) -> float:
    """E[fn(sqrt(v) u)] for u ~ N(0, 1); `fn` is vectorised and may have a kink at 0."""
    if v == 0:
        return float(fn(np.zeros(1))[0])
    sigma = math.sqrt(v)
    u, w = half_line_nodes(sigma)
    x = sigma * u
    with np.errstate(all="ignore"):
        return float(np.dot(w, fn(x)) + np.dot(w, fn(-x)))


def _nodes(v: float) -> tuple[np.ndarray, np.ndarray]:
    sigma = math.sqrt(v)
    u, w = half_line_nodes(sigma)
    return np.concatenate([sigma * u, -sigma * u]), np.concatenate([w, w])


def moments(activation: str, v: float) -> tuple[float, float]:
    """(E[phi(z)^2], E[phi'(z)^2]) for z ~ N(0, v), to about 1e-10 relative."""
    if activation in CLOSED_FORMS:
        a, b = CLOSED_FORMS[activation]
        return a * v, b
    if not math.isfinite(v):
        return limit_moments(activation)
    if v == 0:
        z = np.zeros(1)
        return float(phi(activation, z)[0] ** 2), float(dphi(activation, z)[0] ** 2)
    fast = grid_moments(activation, v)
    if fast is not None:
        return fast
    return adaptive_moments(activation, v)


def adaptive_moments(activation: str, v: float) -> tuple[float, float]:
    """`moments` by the quadrature graded for this v (the reference of the fixed-grid path)."""
    x, ww = _nodes(v)
    with np.errstate(all="ignore"):
        p = phi(activation, x)
        d = dphi(activation, x)
        return float(np.dot(ww, p * p)), float(np.dot(ww, d * d))


# --------------------------------------------------------------------------- the fixed grid
# The mean-field recursion asks for one v per layer, each different: grading a new set of
# nodes per v costs ~40 us. Instead phi^2 and phi'^2 are tabulated once per activation at
# Gauss-Legendre nodes on a geometric grid in x = sqrt(v) u (4 intervals a decade over the
# whole range), and for a given v only the Gaussian weight changes: E[g(z)] is
# sum_i w_i g(x_i) exp(-x_i^2 / 2v) / sqrt(2 pi v) over the intervals between 1e-3 sigma and
# 13 sigma, plus the head [0, 1e-3 sigma] where exp(-x^2 / 2v) = 1 - x^2 / 2v to 1e-13,
# taken from running sums of the tabulated values (exact at any v, since those sums follow
# phi's own features). A geometric grid is scale-free, so every v within its range is
# resolved alike; outside it `adaptive_moments` answers.

_FG_PER_DECADE = 4
_FG_LO, _FG_HI = -20, 52  # log10 of the first and last breakpoint in x (x^2 phi^2 sums stay finite)
_FG_HEAD, _FG_TAIL = 1e-3, 13.0  # the weighted window, in units of sigma
_FG_SIGMA = (10.0 ** (_FG_LO + 1), 10.0 ** (_FG_HI - 2))  # sigmas whose window lies inside the grid
_FG_LOG_HEAD, _FG_LOG_TAIL = math.log10(_FG_HEAD), math.log10(_FG_TAIL)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class _Grid:
    """One activation's tabulated values: x^2 and [w g_F, w g_G] per node, head sums per breakpoint.

    g_F(x) = phi(x)^2 + phi(-x)^2 and g_G(x) = phi'(x)^2 + phi'(-x)^2 (both half-lines at once);
    head[j] = (sum w g_F, sum w g_G, sum w x^2 g_F, sum w x^2 g_G) over the nodes below breakpoint j.
    """

    __slots__ = ("head", "wg", "x2")

    def __init__(self, activation: str) -> None:
        k = (_FG_HI - _FG_LO) * _FG_PER_DECADE
        bps = np.concatenate([[0.0], 10.0 ** (_FG_LO + np.arange(k + 1) / _FG_PER_DECADE)])
        lo, hi = bps[:-1], bps[1:]
        half, mid = 0.5 * (hi - lo), 0.5 * (hi + lo)
        x = (mid[:, None] + half[:, None] * _gl_x[None, :]).ravel()
        w = (half[:, None] * _gl_w[None, :]).ravel()
        with np.errstate(all="ignore"):
            p, q = phi(activation, x), phi(activation, -x)
            d, e = dphi(activation, x), dphi(activation, -x)
            wg = np.column_stack([w * (p * p + q * q), w * (d * d + e * e)])
            self.x2 = x * x
            per = np.concatenate([wg, wg * self.x2[:, None]], axis=1).reshape(-1, _GL_NODES, 4).sum(axis=1)
        self.wg = np.ascontiguousarray(wg)
        self.head = [(0.0, 0.0, 0.0, 0.0), *map(tuple, np.cumsum(per, axis=0).tolist())]


_GRIDS: dict[str, _Grid] = {}


def _grid(activation: str) -> _Grid:
    g = _GRIDS.get(activation)
    if g is None:  # two threads may both build it: the same values, one kept
        g = _GRIDS.setdefault(activation, _Grid(activation))
    return g


def grid_moments(activation: str, v: float) -> tuple[float, float] | None:
    """(E[phi^2], E[phi'^2]) at v from the fixed grid, or None outside its range."""
    sigma = math.sqrt(v)
    if not _FG_SIGMA[0] <= sigma <= _FG_SIGMA[1]:
        return None
    grid = _GRIDS.get(activation) or _grid(activation)
    ls = math.log10(sigma) - _FG_LO
    # Breakpoint j >= 1 is 10^(LO + (j - 1) / PER_DECADE); node block i spans breakpoints i..i+1.
    j0 = 1 + math.floor((ls + _FG_LOG_HEAD) * _FG_PER_DECADE)
    j1 = 1 + math.ceil((ls + _FG_LOG_TAIL) * _FG_PER_DECADE)
    t = np.multiply(grid.x2[j0 * _GL_NODES : j1 * _GL_NODES], -0.5 / v)
    np.exp(t, out=t)
    f, g = (t @ grid.wg[j0 * _GL_NODES : j1 * _GL_NODES]).tolist()
    hf, hg, hf2, hg2 = grid.head[j0]
    inv = 0.5 / v
    c = _INV_SQRT_2PI / sigma
    return (f + hf - hf2 * inv) * c, (g + hg - hg2 * inv) * c


def length_slope(activation: str, v: float) -> float:
    """F'(v) = d E[phi(sqrt(v) u)^2] / dv = E[z phi(z) phi'(z)] / v (Stein's lemma), v >= 0.

    The length map q -> s^2 F(q) + sigma_b^2 has slope s^2 F'(q): a fixed point is stable
    when that is below 1. At v = 0 it is the mean of the one-sided phi'(0)^2.
    """
    if activation in CLOSED_FORMS:
        return CLOSED_FORMS[activation][0]
    if math.isinf(v):
        return TABLE[activation].limit[1]
    if v < _TINY_V:
        return d2_at_zero(activation)
    x, ww = _nodes(v)
    with np.errstate(all="ignore"):
        return float(np.dot(ww, x * phi(activation, x) * dphi(activation, x))) / v


def limit_moments(activation: str) -> tuple[float, float]:
    """(E[phi^2], E[phi'^2]) as v -> inf (unbounded E[phi^2] but for tanh and sigmoid)."""
    return TABLE[activation].limit


@lru_cache(maxsize=16)
def d2_at_zero(activation: str) -> float:
    """lim_{v -> 0} E[phi'(sqrt(v) u)^2]: the mean of the one-sided phi'(0)^2 (selu has a kink)."""
    d = dphi(activation, np.array([1e-200, -1e-200]))
    return float(0.5 * (d[0] ** 2 + d[1] ** 2))


@lru_cache(maxsize=16)
def phi0_squared(activation: str) -> float:
    """phi(0)^2 = F(0): 0 for every activation but sigmoid (1/4)."""
    return float(phi(activation, np.zeros(1))[0] ** 2)


# --------------------------------------------------------------------------- tables

_TABLE_LO, _TABLE_HI, _TABLE_PER_DECADE = -14.0, 14.0, 32


@lru_cache(maxsize=16)
def tables(activation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """ln v nodes and ln E[phi^2], ln E[phi'^2] there; plus F(0) and G(0+)."""
    n = round((_TABLE_HI - _TABLE_LO) * _TABLE_PER_DECADE) + 1
    x = np.linspace(_TABLE_LO, _TABLE_HI, n) * math.log(10.0)
    f = np.empty(n)
    g = np.empty(n)
    for i, lv in enumerate(x):
        f[i], g[i] = moments(activation, math.exp(lv))
    with np.errstate(divide="ignore"):
        return x, np.log(f), np.log(g), phi0_squared(activation), d2_at_zero(activation)


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


def f_table(activation: str, v: np.ndarray) -> np.ndarray:
    """E[phi(sqrt(v) u)^2] for an array of finite v >= 0, from the tables."""
    v = np.asarray(v, dtype=np.float64)
    if activation in CLOSED_FORMS:
        return CLOSED_FORMS[activation][0] * v
    xs, lf, _, f0, _ = tables(activation)
    out = np.full(v.shape, f0)
    pos = v > 0
    if pos.any():
        out[pos] = np.exp(_interp(np.log(v[pos]), xs, lf))
    return out


def g_table(activation: str, q: np.ndarray) -> np.ndarray:
    """E[phi'(sqrt(q) u)^2] for an array of q >= 0, inf allowed, from the tables."""
    q = np.asarray(q, dtype=np.float64)
    if activation in CLOSED_FORMS:
        return np.full(q.shape, CLOSED_FORMS[activation][1])
    xs, _, lg, _, g0 = tables(activation)
    out = np.full(q.shape, g0)
    inf = np.isinf(q)
    out[inf] = limit_moments(activation)[1]
    pos = (q > 0) & ~inf
    if pos.any():
        out[pos] = np.exp(_interp(np.log(q[pos]), xs, lg))
    return out
