"""Haar-orthogonal matrices from a gaussian draw, fast at large widths.

The Haar matrix of a gaussian g is the Q of g = QR with R's diagonal positive (Mezzadri
2007); that Q is unique, so any QR algorithm gives it up to rounding. LAPACK's QR
(`np.linalg.qr`) runs far below this machine's GEMM rate: it works in 32-column panels and
forms Q in a second pass of the same kind. From `FAST_FROM` columns on, Q comes from a
blocked Householder QR built on matrix products instead: panels of `_PANEL` columns, each
factored by a recursion that hands `_LEAF`-column leaves to LAPACK (`mode="raw"`) and keeps
its reflectors in compact WY form, I - V T V^T (Schreiber & Van Loan 1989); the trailing
columns, and then Q, take three products per panel. Q is accumulated backwards from the
sign matrix diag(sign R_ii), so it comes out with R's diagonal positive. Householder QR is
backward stable; a draw whose R diagonal spans more than `_COND_LIMIT` (cond(g) at least
that) is handed to LAPACK, whose Q is the reference, since there the two differ by more
than rounding of the well-conditioned case.
"""

from __future__ import annotations

import numpy as np

FAST_FROM = 256  # below this width LAPACK is quick and stays the reference
_PANEL = 128  # columns per block of the outer loop (trailing updates and Q)
_LEAF = 16  # columns per LAPACK call inside a panel (16: 5-10 % faster here than 8 or 32)
_COND_LIMIT = 1e5  # max |R_ii| / min |R_ii| beyond which LAPACK's Q is taken


def householder(g: np.ndarray) -> np.ndarray:
    """The reference: LAPACK QR with the sign fix."""
    q, r = np.linalg.qr(g)
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)
    return q


def _leaf(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(V, T, diag R) of p = (I - V T V^T) [R; 0] by LAPACK; V unit lower trapezoidal."""
    h, tau = np.linalg.qr(p, mode="raw")  # h holds R and the reflectors, transposed
    k = p.shape[1]
    v = h.T.copy()
    d = v.diagonal().copy()
    v[np.triu_indices(k)] = 0.0
    v[np.arange(k), np.arange(k)] = 1.0
    identity = tau == 0.0  # H_i = I (e.g. the last column of a square panel): drop v_i
    if identity.any():
        v[:, identity] = 0.0
        tau = np.where(identity, 1.0, tau)
    # T^-1 = striu(V^T V) + diag(1 / tau) (Puglisi 1992; Joffrain et al. 2006).
    t_inv = np.triu(v.T @ v, 1)
    t_inv.flat[:: k + 1] = 1.0 / tau
    return v, np.linalg.inv(t_inv), d


def _apply_transposed(v: np.ndarray, t: np.ndarray, c: np.ndarray) -> None:
    """c <- (I - V T V^T)^T c, in place."""
    c -= v @ (t.T @ (v.T @ c))


def _factor(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(V, T, diag R) of the panel p (overwritten), by halves down to `_LEAF` columns."""
    m, k = p.shape
    if k <= _LEAF:
        return _leaf(p)
    h = k // 2
    v1, t1, d1 = _factor(p[:, :h])
    _apply_transposed(v1, t1, p[:, h:])
    v2, t2, d2 = _factor(p[h:, h:])
    v = np.zeros((m, k))
    t = np.zeros((k, k))
    v[:, :h], v[h:, h:] = v1, v2
    t[:h, :h], t[h:, h:] = t1, t2
    t[:h, h:] = -(t1 @ (v1[h:].T @ v2)) @ t2
    return v, t, np.concatenate([d1, d2])


def _blocked(g: np.ndarray) -> np.ndarray | None:
    """Q of g with diag(R) > 0 by blocked Householder, or None when g is ill-conditioned."""
    a = g.copy()
    n = a.shape[1]
    blocks = []
    d = np.empty(n)
    for j in range(0, n, _PANEL):
        k = min(_PANEL, n - j)
        v, t, d[j : j + k] = _factor(a[j:, j : j + k])
        if j + k < n:
            _apply_transposed(v, t, a[j:, j + k :])
        blocks.append((j, v, t))
    r = np.abs(d)
    if not r.max() <= _COND_LIMIT * r.min():  # also catches NaN and a zero pivot
        return None
    q = np.zeros_like(a)
    q.flat[:: n + 1] = np.where(d < 0, -1.0, 1.0)
    # Q = H_1 ... H_n S: apply the panels last to first; rows and columns before j are untouched.
    for j, v, t in reversed(blocks):
        s = q[j:, j:]
        s -= v @ (t @ (v.T @ s))
    return q


def haar(g: np.ndarray) -> np.ndarray:
    """Q of g = QR with diag(R) > 0, for a square float64 `g` (LAPACK below `FAST_FROM`)."""
    n = g.shape[1]
    if n < FAST_FROM or g.shape[0] != n:
        return householder(g)
    q = _blocked(g)
    return householder(g) if q is None else q
