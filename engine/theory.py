"""The theory's prediction of per-layer activation and gradient RMS.

Gaussian / orthogonal init (mean-field, infinite width): m_0 = 1,
v_l = s^2 m_{l-1} + bias_std^2, m_l = E[phi(sqrt(v_l) u)^2], G_L = 1,
G_{l-1} = s^2 E[phi'(sqrt(v_l) u)^2] G_l with u ~ N(0, 1).
Identity init with bias_std = 0: the exact elementwise recursion h_l = phi(s h_{l-1}).

Gaussian expectations use piecewise Gauss-Legendre quadrature split at the kink u = 0,
on a grid that is graded both in u and in x = sqrt(v) u, so that an integrand varying on
a scale of 1/sqrt(v) (huge v in an exploding net, tiny v in a vanishing one) is resolved.
Plain Gauss-Hermite is not accurate here (relu' and selu' jump at 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .activations import LEAKY_SLOPE, dphi, phi
from .config import Settings

_GL_NODES = 16
_U_MAX = 12.0  # P(|u| > 12) ~ 4e-33: negligible even against polynomial growth
_gl_x, _gl_w = np.polynomial.legendre.leggauss(_GL_NODES)
_U_GRID = np.unique(np.concatenate([np.geomspace(1e-4, 1.0, 9), np.arange(1.0, _U_MAX + 0.25, 0.5)]))
_X_GRID = np.geomspace(1e-6, 1e3, 28)  # breakpoints in x = sigma * u

# E[phi^2] / v and E[phi'^2] in closed form for the piecewise-linear activations.
CLOSED_FORMS: dict[str, tuple[float, float]] = {
    "linear": (1.0, 1.0),
    "relu": (0.5, 0.5),
    "leaky_relu": ((1 + LEAKY_SLOPE**2) / 2, (1 + LEAKY_SLOPE**2) / 2),
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


def gauss_expect(fn, v: float) -> float:
    """E[fn(sqrt(v) u)] for u ~ N(0, 1); `fn` is vectorised and may have a kink at 0."""
    if v == 0:
        return float(fn(np.zeros(1))[0])
    sigma = math.sqrt(v)
    u, w = half_line_nodes(sigma)
    x = sigma * u
    with np.errstate(all="ignore"):
        return float(np.dot(w, fn(x)) + np.dot(w, fn(-x)))


def moments(activation: str, v: float) -> tuple[float, float]:
    """(E[phi(z)^2], E[phi'(z)^2]) for z ~ N(0, v), to about 1e-10 relative."""
    if activation in CLOSED_FORMS:
        a, b = CLOSED_FORMS[activation]
        return a * v, b
    if not math.isfinite(v):
        return _limit_moments(activation, v)
    if v == 0:
        z = np.zeros(1)
        return float(phi(activation, z)[0] ** 2), float(dphi(activation, z)[0] ** 2)
    sigma = math.sqrt(v)
    u, w = half_line_nodes(sigma)
    x = np.concatenate([sigma * u, -sigma * u])
    ww = np.concatenate([w, w])
    with np.errstate(all="ignore"):
        p = phi(activation, x)
        d = dphi(activation, x)
        return float(np.dot(ww, p * p)), float(np.dot(ww, d * d))


def _limit_moments(activation: str, v: float) -> tuple[float, float]:
    # v = inf: phi^2 is unbounded for the relu-like ones, bounded for tanh/sigmoid.
    from .activations import SELU_LAMBDA

    bounded = {"tanh": (1.0, 0.0), "sigmoid": (0.5, 0.0)}
    if activation in bounded:
        return bounded[activation]
    d2 = {"gelu": 0.5, "swish": 0.5, "selu": SELU_LAMBDA**2 / 2}[activation]
    return math.inf, d2


@dataclass(frozen=True, slots=True)
class Theory:
    """Predicted activation and gradient RMS per layer 0..L; `note` says why if blank."""

    activation_rms: np.ndarray
    gradient_rms: np.ndarray
    chi: np.ndarray  # per-layer gradient factor s^2 E[phi'^2] (row 0 NaN)
    kind: str  # "mean-field", "exact" or "none"
    note: str

    @property
    def defined(self) -> bool:
        """True when a prediction exists for these settings."""
        return self.kind != "none"


def _grad_from_chi(chi: np.ndarray) -> np.ndarray:
    """sqrt(G_l) with G_l = prod_{k>l} chi_k, computed in logs (no spurious overflow)."""
    L = chi.size - 1
    with np.errstate(divide="ignore"):
        logc = np.log(chi[1:])
    logg = np.zeros(L + 1)
    # logg[l] = sum_{k=l+1}^{L} log chi_k
    logg[:L] = np.cumsum(logc[::-1])[::-1]
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(0.5 * logg)


@lru_cache(maxsize=64)
def _mean_field_layers(activation: str, scale: float, bias_std: float, depth: int):
    m = np.empty(depth + 1)
    chi = np.full(depth + 1, np.nan)
    m[0] = 1.0
    s2, b2 = scale * scale, bias_std * bias_std
    if activation in CLOSED_FORMS and bias_std == 0:
        c_act, c_der = CLOSED_FORMS[activation]
        # Exact: m_l = (s^2 c)^l, done in logs so it overflows only past float64.
        with np.errstate(over="ignore"):
            m[1:] = np.exp(np.arange(1, depth + 1) * math.log(s2 * c_act))
        chi[1:] = s2 * c_der
        return m, chi
    prev_v = None
    for layer in range(1, depth + 1):
        v = s2 * m[layer - 1] + b2
        if prev_v is not None and v == prev_v:
            # Reached the fixed point exactly: the rest of the layers repeat.
            m[layer:] = m[layer - 1]
            chi[layer:] = chi[layer - 1]
            break
        e_phi2, e_d2 = moments(activation, v)
        m[layer] = e_phi2
        chi[layer] = s2 * e_d2
        prev_v = v
    return m, chi


def mean_field(activation: str, scale: float, bias_std: float, depth: int) -> Theory:
    """Mean-field (infinite width) prediction for gaussian or orthogonal init."""
    m, chi = _mean_field_layers(activation, float(scale), float(bias_std), int(depth))
    return Theory(
        activation_rms=np.sqrt(m),
        gradient_rms=_grad_from_chi(chi),
        chi=chi.copy(),
        kind="mean-field",
        note="infinite-width mean-field prediction",
    )


def _input_nodes(kind: str) -> tuple[np.ndarray, np.ndarray]:
    if kind == "ones":
        return np.ones(1), np.ones(1)
    u, w = half_line_nodes(1.0)
    return np.concatenate([u, -u]), np.concatenate([w, w])


@lru_cache(maxsize=64)
def _identity_layers(activation: str, scale: float, input_kind: str, depth: int):
    x, w = _input_nodes(input_kind)
    act = np.empty(depth + 1)
    dlog = np.zeros((depth + 1, x.size))  # per-node derivative factors s*phi'(s h_{l-1})
    h = x.astype(np.float64)
    act[0] = math.sqrt(float(np.dot(w, h * h)))
    with np.errstate(all="ignore"):
        for layer in range(1, depth + 1):
            z = scale * h
            dlog[layer] = scale * dphi(activation, z)
            h = phi(activation, z)
            act[layer] = math.sqrt(float(np.dot(w, h * h)))
        # g_l per node = prod_{k>l} dlog[k]; reverse cumulative product.
        g = np.ones((depth + 1, x.size))
        for layer in range(depth, 0, -1):
            g[layer - 1] = g[layer] * dlog[layer]
        grad = np.sqrt(g * g @ w)
    chi = np.full(depth + 1, np.nan)
    with np.errstate(all="ignore"):
        chi[1:] = (dlog[1:] ** 2) @ w
    return act, grad, chi


def identity_exact(activation: str, scale: float, input_kind: str, depth: int) -> Theory:
    """Exact prediction for W = s*I, b = 0: every unit follows h_l = phi(s h_{l-1})."""
    act, grad, chi = _identity_layers(activation, float(scale), input_kind, int(depth))
    return Theory(act.copy(), grad.copy(), chi.copy(), "exact", "exact recursion h_l = phi(s h_{l-1})")


def predict(settings: Settings) -> Theory:
    """The theory's prediction for `settings`, or a blank one with the reason."""
    s = settings
    if s.init == "identity":
        if s.bias_std != 0:
            L = s.depth
            blank = np.full(L + 1, np.nan)
            return Theory(
                blank,
                blank.copy(),
                blank.copy(),
                "none",
                "no theory for identity init with a bias: each unit follows its own recursion",
            )
        return identity_exact(s.activation, s.scale, s.input, s.depth)
    return mean_field(s.activation, s.scale, s.bias_std, s.depth)
