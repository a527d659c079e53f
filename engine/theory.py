"""The theory's prediction of per-layer activation and gradient RMS.

Gaussian / orthogonal / uniform init (mean-field, infinite width; uniform weights of
variance s^2/n give the same Gaussian pre-activations by the central limit theorem): m_0 = 1,
v_l = s^2 m_{l-1} + bias_std^2, m_l = E[phi(sqrt(v_l) u)^2], G_L = 1,
G_{l-1} = s^2 E[phi'(sqrt(v_l) u)^2] G_l with u ~ N(0, 1). G_L = 1 holds for both losses:
g_L is all ones (`sum`) or a readout with unit-RMS rows (`random`). The line follows this
exact recursion from the input, which settles at the stable fixed point q* of the length
map or, when v_1 lies above an unstable one (or there is no stable one), runs away.
Identity init with bias_std = 0: the exact elementwise recursion h_l = phi(s h_{l-1}).
Zeros init (W = 0): z_l = b_l, so a_l = phi(b_l) in every layer and g_l = 0 below the output:
exactly |phi(0)| without a bias, sqrt(E[phi(sigma_b u)^2]) over the units with one.

Everything is computed in logs where products under- or overflow (s^2, which is 0 in
float64 for s < ~1e-162; (s^2 c)^l; prod chi), so any valid scale gives finite numbers or
honest 0/inf.
Gaussian expectations: `engine.gauss` (quadrature split at the kink, graded in u and x).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .activations import dphi, phi
from .block_theory import BATCH_NORM_NOTE, IDENTITY_NOTE, regime, residual_layers
from .config import Settings
from .fixed_point import fixed_point, unstable_fixed_point
from .gauss import (  # re-exported: the theory's moments live in engine.gauss
    CLOSED_FORMS,
    d2_at_zero,
    gauss_expect,
    grid_moments,
    half_line_nodes,
    length_slope,
    limit_moments,
    moments,
    phi0_squared,
)
from .log_table import log_table

__all__ = [
    "CLOSED_FORMS",
    "Theory",
    "gauss_expect",
    "half_line_nodes",
    "identity_exact",
    "length_slope",
    "limit_moments",
    "mean_field",
    "moments",
    "predict",
    "zeros_exact",
]

_LINEAR_REGIME = 1e-30  # below this variance E[phi^2] = phi(0)^2 + phi'(0)^2 v to ~1e-30


@dataclass(frozen=True, slots=True)
class Theory:
    """Predicted activation and gradient RMS per layer 0..L; `note` says why if blank.

    Mean-field predictions also carry the length map's smallest stable fixed point
    `q_star` (inf: none), the next, unstable one above it `q_unstable` (inf: none), and
    `runaway`: the recursion from the input's v_1 = s^2 + bias_std^2 grows without bound.
    """

    activation_rms: np.ndarray
    gradient_rms: np.ndarray
    chi: np.ndarray  # per-layer gradient factor s^2 E[phi'^2] (row 0 NaN)
    kind: str  # "mean-field", "exact" or "none"
    note: str
    q_star: float = math.nan
    q_unstable: float = math.nan
    q_start: float = math.nan  # v_1, the first layer's pre-activation variance
    runaway: bool = False
    regime: str = ""  # residual / normalised nets: how the signal grows with depth (block_theory.regime)

    @property
    def defined(self) -> bool:
        """True when a prediction exists for these settings."""
        return self.kind != "none"


def _rms_from_logs(logsq: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(0.5 * logsq)


def _grad_logs(logchi: np.ndarray) -> np.ndarray:
    """ln G_l with G_l = prod_{k>l} chi_k (row 0 of `logchi` unused)."""
    L = logchi.size - 1
    logg = np.zeros(L + 1)
    with np.errstate(invalid="ignore"):
        logg[:L] = np.cumsum(logchi[1:][::-1])[::-1]
    return logg


def _log(x: float) -> float:
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


def _layer_logs(activation: str, log_v: float) -> tuple[float, float]:
    """(ln E[phi^2], ln E[phi'^2]) at variance e^log_v, exact in logs for tiny v."""
    v = math.exp(log_v) if log_v < 709.0 else math.inf
    if activation in CLOSED_FORMS:
        c_act, c_der = CLOSED_FORMS[activation]
        return math.log(c_act) + log_v, math.log(c_der)
    if v < _LINEAR_REGIME:
        f0, d0 = phi0_squared(activation), d2_at_zero(activation)
        log_f = math.log(d0) + log_v if f0 == 0 else math.log(f0 + d0 * v)
        return log_f, math.log(d0)
    e_phi2, e_d2 = grid_moments(activation, v) or moments(activation, v)  # the grid first: once per layer
    return _log(e_phi2), _log(e_d2)


class _Recursion:
    """The mean-field recursion of one (activation, scale, bias_std), run as deep as asked so far.

    Layer l's m_l and chi_l do not depend on the net's depth L, so a deeper request
    continues where the last one stopped and a shallower one is a slice: the same
    floating-point steps as a fresh run, so the same bits (tested). A depth drag then
    costs nothing here instead of ~44 us per layer.
    """

    __slots__ = ("b2", "done", "fixed", "log_b2", "log_s2", "logchi", "logm", "prev")

    def __init__(self, scale: float, bias_std: float) -> None:
        self.log_s2 = 2.0 * math.log(scale)
        self.b2 = bias_std * bias_std
        self.log_b2 = _log(self.b2)
        self.logm = np.zeros(1)  # m_0 = 1
        self.logchi = np.full(1, np.nan)
        self.done = 0  # layers computed
        self.prev: float | None = None  # log v of the last layer computed
        self.fixed = False  # reached the fixed point exactly: every further layer repeats

    def run_to(self, activation: str, depth: int) -> None:
        """Compute layers done+1..depth."""
        if depth <= self.done:
            return
        logm, logchi = self.logm, self.logchi
        if depth + 1 > logm.size:  # grow by doubling: a drag deeper and deeper copies O(L) in all
            size = max(depth + 1, 2 * logm.size)
            logm, logchi = np.empty(size), np.full(size, np.nan)
            logm[: self.done + 1], logchi[: self.done + 1] = self.logm[: self.done + 1], self.logchi[: self.done + 1]
        log_s2, b2, log_b2, prev = self.log_s2, self.b2, self.log_b2, self.prev
        # Python floats in the loop (numpy scalars cost ~3x per operation); the same operations.
        m_prev, chi_prev = float(logm[self.done]), float(logchi[self.done])
        table = None if activation in CLOSED_FORMS else log_table(activation)
        new_m: list[float] = []
        new_chi: list[float] = []
        for _layer in range(self.done + 1, depth + 1):
            if not self.fixed:
                a = log_s2 + m_prev
                log_v = a if b2 == 0 else float(np.logaddexp(a, log_b2))
                if prev is not None and log_v == prev:
                    self.fixed = True  # reached the fixed point exactly: the rest of the layers repeat
                else:
                    logs = table(log_v) if table is not None else None  # ~1 us, the quadrature ~3.5
                    log_f, log_d = _layer_logs(activation, log_v) if logs is None else logs
                    m_prev, chi_prev = log_f, log_s2 + log_d
                    prev = log_v
            new_m.append(m_prev)
            new_chi.append(chi_prev)
        logm[self.done + 1 : depth + 1] = new_m
        logchi[self.done + 1 : depth + 1] = new_chi
        self.logm, self.logchi, self.prev, self.done = logm, logchi, prev, depth


_RECURSIONS: dict[tuple[str, float, float], _Recursion] = {}  # most recently used last
_RECURSIONS_KEPT = 64
_RECURSIONS_LOCK = threading.Lock()  # the engine thread and the GUI thread (tests, CLI) may both ask


def _mean_field_layers(activation: str, scale: float, bias_std: float, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """(ln m_l, ln chi_l) for l = 0..depth (fresh arrays)."""
    b2 = bias_std * bias_std
    if activation in CLOSED_FORMS and b2 == 0:
        c_act, c_der = CLOSED_FORMS[activation]
        log_s2 = 2.0 * math.log(scale)
        logm = np.empty(depth + 1)
        logchi = np.full(depth + 1, np.nan)
        logm[0] = 0.0
        # Exact: m_l = (s^2 c)^l.
        logm[1:] = np.arange(1, depth + 1) * (log_s2 + math.log(c_act))
        logchi[1:] = log_s2 + math.log(c_der)
        return logm, logchi
    key = (activation, scale, bias_std)
    with _RECURSIONS_LOCK:
        rec = _RECURSIONS.pop(key, None) or _Recursion(scale, bias_std)
        _RECURSIONS[key] = rec
        while len(_RECURSIONS) > _RECURSIONS_KEPT:
            del _RECURSIONS[next(iter(_RECURSIONS))]
        rec.run_to(activation, depth)
        return rec.logm[: depth + 1].copy(), rec.logchi[: depth + 1].copy()


def clear_recursions() -> None:
    """Forget every cached recursion and fixed point (the benchmark's uncached theory figure)."""
    with _RECURSIONS_LOCK:
        _RECURSIONS.clear()
    _fixed_points.cache_clear()
    _identity_layers.cache_clear()
    residual_layers.cache_clear()


@lru_cache(maxsize=64)
def _fixed_points(activation: str, scale: float, bias_std: float) -> tuple[float, float, float, bool]:
    s2, b2 = scale * scale, bias_std * bias_std
    q = fixed_point(activation, s2, b2)
    qu = unstable_fixed_point(activation, s2, b2, q)
    v1 = s2 + b2
    return q, qu, v1, bool(math.isinf(q) or v1 > qu)


def mean_field(activation: str, scale: float, bias_std: float, depth: int) -> Theory:
    """Mean-field (infinite width) prediction for gaussian, orthogonal or uniform init."""
    logm, logchi = _mean_field_layers(activation, float(scale), float(bias_std), int(depth))
    q, qu, v1, runaway = _fixed_points(activation, float(scale), float(bias_std))
    return Theory(
        activation_rms=_rms_from_logs(logm),
        gradient_rms=_rms_from_logs(_grad_logs(logchi)),
        chi=np.exp(logchi),
        kind="mean-field",
        note="infinite-width mean-field prediction",
        q_star=q,
        q_unstable=qu,
        q_start=v1,
        runaway=runaway,
    )


def _input_nodes(kind: str) -> tuple[np.ndarray, np.ndarray]:
    if kind == "ones":
        return np.ones(1), np.ones(1)
    u, w = half_line_nodes(1.0)
    return np.concatenate([u, -u]), np.concatenate([w, w])


def _weighted_rms(w: np.ndarray, h: np.ndarray) -> np.ndarray:
    """sqrt(sum_k w_k h_k^2) along the last axis, scaled so h^2 never under- or overflows."""
    top = np.max(np.abs(h), axis=-1, keepdims=True)
    ok = np.isfinite(top) & (top > 0)
    scale = np.where(ok, top, 1.0)
    r = np.sqrt(((h / scale) ** 2) @ w) * scale[..., 0]
    return np.where(ok[..., 0], r, np.where(np.isnan(top[..., 0]), np.nan, top[..., 0]))


@lru_cache(maxsize=64)
def _identity_layers(activation: str, scale: float, input_kind: str, depth: int, alpha: float = 0.0):
    """Per-node h_l = phi(s h_{l-1}) (alpha = 0) or h_{l-1} + alpha phi(s h_{l-1}), RMS over the input."""
    x, w = _input_nodes(input_kind)
    hs = np.empty((depth + 1, x.size))
    dlog = np.zeros((depth + 1, x.size))  # per-node derivative factors s*phi'(s h_{l-1})
    h = x.astype(np.float64)
    hs[0] = h
    with np.errstate(all="ignore"):
        for layer in range(1, depth + 1):
            z = scale * h
            if alpha == 0:
                dlog[layer] = scale * dphi(activation, z)
                h = phi(activation, z)
            else:  # the residual block's exact recursion (no norm, no bias)
                dlog[layer] = 1.0 + alpha * scale * dphi(activation, z)
                h = h + alpha * phi(activation, z)
            hs[layer] = h
        # g_l per node = prod_{k>l} dlog[k]; reverse cumulative product.
        g = np.ones((depth + 1, x.size))
        for layer in range(depth, 0, -1):
            g[layer - 1] = g[layer] * dlog[layer]
        act = _weighted_rms(w, hs)
        grad = _weighted_rms(w, g)
        chi = np.full(depth + 1, np.nan)
        chi[1:] = _weighted_rms(w, dlog[1:]) ** 2
    return act, grad, chi


def identity_exact(activation: str, scale: float, input_kind: str, depth: int) -> Theory:
    """Exact prediction for W = s*I, b = 0: every unit follows h_l = phi(s h_{l-1})."""
    act, grad, chi = _identity_layers(activation, float(scale), input_kind, int(depth))
    return Theory(act.copy(), grad.copy(), chi.copy(), "exact", "exact recursion h_l = phi(s h_{l-1})")


ZEROS_BLOCK_NOTE = (
    "no theory line for W = 0 with skip connections or normalisation: every layer adds alpha phi(b), the bars show it"
)


def _blank(depth: int, note: str, regime_text: str = "") -> Theory:
    blank = np.full(depth + 1, np.nan)
    return Theory(blank, blank.copy(), blank.copy(), "none", note, regime=regime_text)


def block_prediction(settings: Settings) -> Theory:
    """The theory of a residual and/or normalised net (`engine.block_theory`), or a blank with the reason."""
    s = settings
    if s.norm == "batch":
        return _blank(s.depth, BATCH_NORM_NOTE, regime(s))
    if s.init == "zeros":
        return _blank(s.depth, ZEROS_BLOCK_NOTE, regime(s))
    if s.init == "identity":
        if s.norm != "none" or s.bias_std != 0:
            return _blank(s.depth, IDENTITY_NOTE, regime(s))
        act, grad, chi = _identity_layers(s.activation, s.scale, s.input, s.depth, s.branch_scale)
        note = "exact recursion h_l = h_{l-1} + alpha phi(s h_{l-1})"
        return Theory(act.copy(), grad.copy(), chi.copy(), "exact", note, regime=regime(s))
    act, grad, chi = residual_layers(
        s.activation, s.scale, s.bias_std, s.depth, s.branch_scale, s.residual > 0, s.norm == "layer",
        1.0 if s.input == "ones" else 0.0,
    )  # fmt: skip
    note = "infinite-width mean-field prediction of the " + ("layer-norm " if s.norm == "layer" else "") + (
        "residual recursion" if s.residual > 0 else "recursion"
    )
    return Theory(act.copy(), grad.copy(), chi.copy(), "mean-field", note, regime=regime(s))


def zeros_exact(activation: str, bias_std: float, depth: int) -> Theory:
    """W = 0: a_l = phi(b_l) for l >= 1, G_L = 1 and G_l = 0 below (g_{l-1} = delta W = 0).

    Without a bias every unit is phi(0) exactly (kind "exact"); with one the RMS over the
    units is sqrt(E[phi(sigma_b u)^2]) at large width (kind "mean-field").
    """
    L = int(depth)
    b2 = float(bias_std) ** 2
    if b2 == 0:
        level = math.sqrt(phi0_squared(activation))
        kind, note = "exact", "W = 0: every unit computes phi(0); no gradient passes below the output layer"
    else:
        level = math.sqrt(moments(activation, b2)[0])
        kind, note = "mean-field", "W = 0: every unit computes phi(b); no gradient passes below the output layer"
    act = np.full(L + 1, level)
    act[0] = 1.0
    grad = np.zeros(L + 1)
    grad[L] = 1.0
    chi = np.zeros(L + 1)
    chi[0] = np.nan
    return Theory(act, grad, chi, kind, note, q_star=b2, q_unstable=math.inf, q_start=b2)


def predict(settings: Settings) -> Theory:
    """The theory's prediction for `settings`, or a blank one with the reason."""
    s = settings
    if not s.plain:
        return block_prediction(s)
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
    if s.init == "zeros":
        return zeros_exact(s.activation, s.bias_std, s.depth)
    return mean_field(s.activation, s.scale, s.bias_std, s.depth)
