"""Haar-orthogonal matrices from a gaussian draw, fast at large widths.

The Haar matrix of a gaussian g is the Q of g = QR with R's diagonal positive (Mezzadri
2007); that Q is unique, so any QR algorithm gives it up to rounding. LAPACK's QR
(`np.linalg.qr`) runs far below this machine's GEMM rate: it works in 32-column panels and
forms Q in a second pass of the same kind. From `FAST_FROM` columns on, Q comes from a
blocked Householder QR built on matrix products instead: panels of `_PANEL` columns, each
factored by a recursion that hands `_LEAF`-column leaves to LAPACK (`mode="raw"`) and keeps
its reflectors in compact WY form, I - V T V^T (Schreiber & Van Loan 1989); the trailing
columns, and then Q, take three products per panel, the last accumulating into them
(`engine.blas.gemm`). Q is accumulated backwards from the
sign matrix diag(sign R_ii), so it comes out with R's diagonal positive. Householder QR is
backward stable, so the two Q differ by ~eps cond(g): ~1e-14 for gaussian draws. A draw
whose R diagonal spans more than `_COND_LIMIT` (cond(g) is at least that, and may be 10-20x
more) is handed to LAPACK, whose Q is the reference (none of 150 gaussian 1024 draws: at most 2.9e3).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from .blas import gemm

FAST_FROM = 256  # below this width LAPACK is quick and stays the reference
_PANEL = 128  # columns per block of the outer loop (trailing updates and Q)
_LEAF = 16  # columns per LAPACK call inside a panel (16: 5-10 % faster here than 8 or 32)
_COND_LIMIT = 1e4  # max |R_ii| / min |R_ii| beyond which LAPACK's Q is taken (a lower bound on cond(g))


def householder(g: np.ndarray) -> np.ndarray:
    """The reference: LAPACK QR with the sign fix."""
    q, r = np.linalg.qr(g)
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)
    return q


@cache
def _upper(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the upper triangle of a k x k block (diagonal included), made once per k."""
    return np.triu_indices(k)


def _leaf(p: np.ndarray, v: np.ndarray, t: np.ndarray, d: np.ndarray) -> None:
    """p = (I - V T V^T) [R; 0] by LAPACK: V (unit lower trapezoidal) into v, T into t, diag R into d."""
    h, tau = np.linalg.qr(p, mode="raw")  # h holds R and the reflectors, transposed
    k = p.shape[1]
    v[...] = h.T
    d[...] = v.diagonal()
    v[_upper(k)] = 0.0
    v[:k].flat[:: k + 1] = 1.0
    identity = tau == 0.0  # H_i = I (e.g. the last column of a square panel): drop v_i
    if identity.any():
        v[:, identity] = 0.0
        tau = np.where(identity, 1.0, tau)
    # T^-1 = striu(V^T V) + diag(1 / tau) (Puglisi 1992; Joffrain et al. 2006).
    t_inv = np.triu(v.T @ v, 1)
    t_inv.flat[:: k + 1] = 1.0 / tau
    t[...] = np.linalg.inv(t_inv)


def _apply_transposed(v: np.ndarray, t: np.ndarray, c: np.ndarray, below: int = 0) -> None:
    """c <- (I - V T V^T)^T c, in place, rows from `below` on (the ones above become R: never read again).

    The last product accumulates into c: no temporary of c's size.
    """
    gemm(v[below:], t.T @ (v.T @ c), c[below:], alpha=-1.0)


def _factor(p: np.ndarray, v: np.ndarray, t: np.ndarray, d: np.ndarray) -> None:
    """Factor the panel p (overwritten) by halves down to `_LEAF` columns, into v, t, d.

    v (p's shape) and t (k x k) arrive zeroed; each half writes its own blocks of them.
    """
    k = p.shape[1]
    if k <= _LEAF:
        _leaf(p, v, t, d)
        return
    h = k // 2
    v1, t1 = v[:, :h], t[:h, :h]
    _factor(p[:, :h], v1, t1, d[:h])
    _apply_transposed(v1, t1, p[:, h:], below=h)
    v2, t2 = v[h:, h:], t[h:, h:]
    _factor(p[h:, h:], v2, t2, d[h:])
    t[:h, h:] = -(t1 @ (v1[h:].T @ v2)) @ t2


def _blocked(a: np.ndarray) -> np.ndarray | None:
    """Q of a with diag(R) > 0 by blocked Householder, in a's memory, or None when a is ill-conditioned."""
    n = a.shape[1]
    blocks = []
    d = np.empty(n)
    for j in range(0, n, _PANEL):
        k = min(_PANEL, n - j)
        v, t = np.zeros((n - j, k)), np.zeros((k, k))
        _factor(a[j:, j : j + k], v, t, d[j : j + k])
        if j + k < n:
            _apply_transposed(v, t, a[j:, j + k :], below=k)
        blocks.append((j, v, t))
    r = np.abs(d)
    if not r.max() <= _COND_LIMIT * r.min():  # also catches NaN and a zero pivot (not an all-zero g: Q = I, as LAPACK)
        return None
    q = a  # R is no longer needed: Q takes its memory, every entry written below
    signs = np.where(d < 0, -1.0, 1.0)
    # Q = H_1 ... H_n S: apply the panels last to first; rows and columns before j are untouched.
    for j, v, t in reversed(blocks):
        k = t.shape[0]
        q[j : j + k, j + k :] = 0.0  # S's zeros to the right of this panel's rows (R was there)
        # H_b itself, not H_b^T: T^T in T's place. Its own k columns are [S_b; 0] so far, and
        # V^T times them is V's top block with columns scaled by S_b: no product over the rows.
        own = q[j:, j : j + k]
        gemm(v, t @ (v[:k].T * signs[j : j + k]), own, alpha=-1.0, beta=0.0)
        own[:k].flat[:: k + 1] += signs[j : j + k]  # (flat indexes the k x k view itself)
        if j + k < n:
            _apply_transposed(v, t.T, q[j:, j + k :])
    return q


def haar(g: np.ndarray, redraw: Callable[[], np.ndarray] | None = None) -> np.ndarray:
    """Q of g = QR with diag(R) > 0, for a square float64 `g` (LAPACK below `FAST_FROM`).

    With `redraw` (which returns g again), g's memory becomes Q (no 8 MB copy at n = 1024)
    and the rare draw handed to LAPACK is drawn again; without it g is left alone.
    """
    n = g.shape[1]
    if n < FAST_FROM or g.shape[0] != n:
        return householder(g)
    q = _blocked(g if redraw is not None else g.copy())
    if q is not None:
        return q
    return householder(redraw() if redraw is not None else g)
