"""The theory line of residual and layer-normalised nets (batch norm: none, with the reason).

Mean-field, gaussian/orthogonal init, infinite width; x_l = x_{l-1} + alpha phi(zhat_l)
(alpha = a / sqrt(L) when scaled; a plain normalised net is x_l = phi(zhat_l)).
p_l = E[x_l^2], mu_l = E[x_l] per unit (p_0 = 1; mu_0 = 0 for gaussian input, 1 for ones).
Without a norm zhat_l = z_l has variance q_l = s^2 p_{l-1} + sigma_b^2; with layer norm
v_l = q_l / (q_l + eps) (unit variance over the units, eps = 1e-5). Then

    p_l  = p_{l-1} + 2 alpha mu_{l-1} E[phi] + alpha^2 E[phi^2]     (skip)
    mu_l = mu_{l-1} + alpha E[phi]
    p_l  = E[phi^2],  mu_l = E[phi]                                 (no skip)

with E[.] over zhat ~ N(0, v_l): z_l is independent of x_{l-1} per unit, so the cross term is
E[x_{l-1}] E[phi] -- zero for odd phi, not for ReLU (its outputs have a positive mean, which
the residual stream accumulates). Gradients (with W independent of the backward signal):

    G_{l-1} = G_l (1 + alpha^2 s^2 E[phi'^2] / r_l),   r_l = 1 (no norm) or q_l + eps (layer norm),

and without a skip the 1 drops and alpha is 1. Layer norm's Jacobian is
(I - 1 1^T / n - zhat zhat^T / n) / sqrt(q + eps) (Ba, Kiros & Hinton 2016); the two
projections remove 2 of n directions, nothing at infinite width, so the backward signal is
divided by the same standard deviation as the forward one (as in Xiong et al. 2020, eq. 6).
For a plain layer-normalised net that gives chi = s^2 E[phi'(u)^2] / (s^2 E[phi(u)^2] + b^2):
1 for ReLU without a bias (the net is scale-invariant), 1.178 for tanh (chaotic).
Identity init without a bias and without a norm: the exact elementwise recursion
h_l = h_{l-1} + alpha phi(s h_{l-1}).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .activations import TABLE, phi
from .config import Settings
from .gauss import d2_at_zero, gauss_expect, moments, phi0_squared
from .norm import EPS

_LINEAR_REGIME = 1e-30
_HUGE = 1e300  # beyond this p is reported as inf (the true value exceeds float64)

BATCH_NORM_NOTE = (
    "no theory line for batch norm: the bars are the truth here. Batch norm pins the forward signal "
    "(every unit has mean 0 and variance 1 over the batch), but its gradients explode with depth at "
    "initialisation for every activation and weight scale (Yang et al. 2019, A mean field theory of batch "
    "normalization), faster the smaller the batch and the more non-linear the activation"
)
IDENTITY_NOTE = (
    "no theory for identity init with a normalisation or a bias: each unit follows its own recursion"
)


def first_moment(activation: str, v: float) -> float:
    """E[phi(sqrt(v) u)] for u ~ N(0, 1) (0 for odd phi)."""
    if TABLE[activation].odd:
        return 0.0
    if v < _LINEAR_REGIME:
        return float(phi(activation, np.zeros(1))[0])
    if activation == "relu":
        return math.sqrt(v / (2 * math.pi))
    return gauss_expect(lambda x: phi(activation, x), v)


def _moments(activation: str, v: float) -> tuple[float, float, float]:
    """(E[phi], E[phi^2], E[phi'^2]) at variance v."""
    if v < _LINEAR_REGIME:
        return first_moment(activation, v), phi0_squared(activation), d2_at_zero(activation)
    e2, d2 = moments(activation, v)
    return first_moment(activation, v), e2, d2


@lru_cache(maxsize=64)
def residual_layers(
    activation: str, scale: float, bias_std: float, depth: int, alpha: float, skip: bool, layer_norm: bool, mu0: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sqrt(p_l), sqrt(G_l), chi_l) of the recursion in the module docstring, rows 0..L."""
    s2, b2 = scale * scale, bias_std * bias_std
    p, mu = 1.0, mu0
    act = np.empty(depth + 1)
    chi = np.full(depth + 1, np.nan)
    act[0] = 1.0
    a2 = alpha * alpha if skip else 1.0
    for layer in range(1, depth + 1):
        q = s2 * p + b2 if math.isfinite(p) else math.inf
        if layer_norm:
            v = q / (q + EPS) if math.isfinite(q) else 1.0
            r = q + EPS
        else:
            v, r = q, 1.0
        e1, e2, d2 = _moments(activation, v)
        if not math.isfinite(v):  # p beyond float64: E[phi'^2] keeps its limit
            chi[layer] = (1.0 if skip else 0.0) + a2 * s2 * d2
            p = mu = math.inf
            act[layer] = math.inf
            continue
        gain = a2 * s2 * d2 / r if math.isfinite(r) else 0.0
        chi[layer] = (1.0 + gain) if skip else gain
        if skip:
            p, mu = p + 2 * alpha * mu * e1 + a2 * e2, mu + alpha * e1
        else:
            p, mu = e2, e1
        if not p <= _HUGE:
            p = math.inf
        act[layer] = math.sqrt(p)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        logg = np.zeros(depth + 1)
        logg[:depth] = np.cumsum(np.log(chi[1:])[::-1])[::-1]
        grad = np.exp(0.5 * logg)
    return act, grad, chi


def regime(settings: Settings) -> str:
    """How the forward signal of a residual or normalised net grows with depth, in words ("" for a plain net)."""
    s = settings
    if s.plain:
        return ""
    if s.norm == "batch":
        return "batch norm: the forward signal is pinned, the gradients explode"
    if s.residual == 0:
        return "layer norm: the forward signal is flat"
    odd = TABLE[s.activation].odd
    if s.residual_scaling == "sqrt_depth":
        if odd:
            return "bounded: the branch is scaled by 1/√L, so the growth stays bounded at any depth"
        if s.norm == "layer":
            return "polynomial: the branches' non-zero mean E[φ] adds up along the skip path, x_L² grows like L"
        return (
            "grows like exp(c·√L): scaling the branch by 1/√L bounds its variance, but its non-zero mean "
            "E[φ] adds up along the skip path"
        )
    if s.norm == "layer":
        return "polynomial: each normalised branch adds a bounded amount, the second moment grows like l (or l²)"
    if math.isinf(TABLE[s.activation].limit[0]):
        return "explodes: an unbounded branch adds a fixed share of the signal every layer, x_l grows exponentially"
    return "polynomial: a bounded branch adds at most α² per layer, the second moment grows like l (or l²)"


def chi_label(settings: Settings) -> str:
    """The per-layer gradient factor's formula for these settings (the readout's χ = ...)."""
    s = settings
    if s.plain or s.norm == "batch":
        return "s²·E[φ'²]"
    branch = "α²·s²·E[φ'²]" if s.residual > 0 else "s²·E[φ'²]"
    if s.norm == "layer":
        branch += "/(q+ε)"
    return ("1 + " + branch) if s.residual > 0 else branch


def gradient_caveat(settings: Settings) -> str | None:
    """Where the gradient line is only a lower bound (a skip connection around a non-odd branch)."""
    s = settings
    if s.residual == 0 or s.norm == "batch" or TABLE[s.activation].odd:
        return None
    return (
        "Note: the gradient line is a lower bound here: the branches' non-zero mean makes the forward signal "
        "grow faster than the backward one, and the measured gradients follow the forward growth "
        "(for ReLU exactly: g_l·x_l = r·x_L in every sample)."
    )


def phase_note(settings: Settings) -> str:
    """What the phase diagram shows for residual or normalised settings ("" for a plain net)."""
    if settings.plain:
        return ""
    return (
        "This diagram shows the plain net's phases (no skip connection, no normalisation); "
        "the chart's theory line follows the residual / normalised recursion."
    )
