"""Haar-orthogonal matrices from a gaussian draw, fast at large widths.

The Haar matrix of a gaussian g is the Q of g = QR with R's diagonal positive (Mezzadri
2007); that Q is unique, so any QR algorithm gives it up to rounding. LAPACK's Householder
QR (`np.linalg.qr`) runs far below this machine's GEMM rate, so from `FAST_FROM` columns
on Q is computed by CholeskyQR2 built on matrix products: twice Q <- Q R^-1 with
R^T R = Q^T Q, where R and R^-1 come from one block recursion of Cholesky factors and
triangular inverses. Its Cholesky factors have a positive diagonal, so it returns the
same Q. The second pass starts from Q1^T Q1 = I + E with E tiny (~eps cond(g)^2): when
max|E| <= 1e-8, R = I + F with F = triu(E) (half its diagonal) and R^-1 = I - F to first
order, neglected terms ~sqrt(n) max|E|^2 (< 1e-14 here), so no second factorisation is
needed. When the first pass leaves Q too far from orthogonal (g ill-conditioned, cond(g)
beyond ~1e5) it falls back to Householder.
"""

from __future__ import annotations

import numpy as np

FAST_FROM = 256  # below this width Householder is quick and stays the reference
_BASE = 128  # block size where the recursion hands over to LAPACK
_SECOND_PASS_TOL = 1e-6  # max |Q1^T Q1 - I| accepted before the second pass
_FIRST_ORDER_TOL = 1e-8  # below this the second pass's R is I + F to first order


def householder(g: np.ndarray) -> np.ndarray:
    """The reference: LAPACK QR with the sign fix."""
    q, r = np.linalg.qr(g)
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)
    return q


def _chol_inv(G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, R^-1) with R upper triangular, positive diagonal, R^T R = G (symmetric positive)."""
    n = G.shape[0]
    if n <= _BASE:
        R = np.linalg.cholesky(G).T  # raises LinAlgError if G is not positive definite
        return R, np.linalg.inv(R)
    k = n // 2
    R11, I11 = _chol_inv(G[:k, :k])
    R12 = I11.T @ G[:k, k:]
    R22, I22 = _chol_inv(G[k:, k:] - R12.T @ R12)
    R = np.empty_like(G)
    Ri = np.empty_like(G)
    R[k:, :k] = 0.0
    Ri[k:, :k] = 0.0
    R[:k, :k], R[:k, k:], R[k:, k:] = R11, R12, R22
    Ri[:k, :k], Ri[:k, k:], Ri[k:, k:] = I11, -(I11 @ R12) @ I22, I22
    return R, Ri


def _times_upper(Q: np.ndarray, U: np.ndarray) -> np.ndarray:
    """Q @ U for upper-triangular U, skipping its zero block."""
    k = U.shape[0] // 2
    out = np.empty((Q.shape[0], U.shape[1]))
    out[:, :k] = Q[:, :k] @ U[:k, :k]
    out[:, k:] = Q[:, :k] @ U[:k, k:]
    out[:, k:] += Q[:, k:] @ U[k:, k:]
    return out


def haar(g: np.ndarray) -> np.ndarray:
    """Q of g = QR with diag(R) > 0, for a square float64 `g` (Householder below `FAST_FROM`)."""
    n = g.shape[1]
    if n < FAST_FROM or g.shape[0] != n:
        return householder(g)
    try:
        _, Ri = _chol_inv(g.T @ g)
        q = _times_upper(g, Ri)
        E = q.T @ q
        E.flat[:: n + 1] -= 1.0
        off = np.abs(E).max()
        if off <= _FIRST_ORDER_TOL:
            F = np.triu(E)
            F.flat[:: n + 1] *= 0.5
            q -= _times_upper(q, F)
            return q
        if not off <= _SECOND_PASS_TOL:  # also catches NaN
            return householder(g)
        E.flat[:: n + 1] += 1.0
        _, Ri = _chol_inv(E)
        return _times_upper(q, Ri)
    except np.linalg.LinAlgError:
        return householder(g)
