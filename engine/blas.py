"""c <- alpha a b + beta c in one call to numpy's own BLAS, where numpy's wheel exposes it.

numpy's products never accumulate into their output: `c -= a @ b` writes a temporary as
large as c and then passes over both, ~20 % of the blocked Householder QR's time at n = 1024.
BLAS's GEMM does it in one pass. numpy's wheels ship OpenBLAS as `scipy_openblas` (its CBLAS
symbols prefixed `scipy_`, `64_` for 64-bit integers); we call that library, already loaded
by numpy, through ctypes (which releases the GIL during the call, like numpy does). Any other
build (a system BLAS, MKL, Accelerate) whose integer width we cannot know from its symbol
names gets the numpy expression instead: the same values to rounding.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Callable

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# (symbol suffix, integer type): only names that say their integer width.
_FLAVOURS = (("64_", ctypes.c_int64), ("", ctypes.c_int32))

_Gemm = Callable[..., None]


def _library_paths() -> list[str]:
    """OpenBLAS libraries numpy has loaded (this process's maps), then its wheel's own folder."""
    paths: list[str] = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)  # address perms offset dev inode [path, which may hold spaces]
                path = fields[5].strip() if len(fields) == 6 else ""
                if "openblas" in os.path.basename(path) and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    libs = os.path.join(os.path.dirname(np.__path__[0]), "numpy.libs")
    paths += sorted(p for p in glob.glob(os.path.join(libs, "*openblas*")) if p not in paths)
    return paths


def _bind(lib: ctypes.CDLL, kind: str) -> _Gemm | None:
    """`lib`'s `scipy_cblas_<kind>gemm<suffix>` with its argument types, or None."""
    real = ctypes.c_double if kind == "d" else ctypes.c_float
    for suffix, integer in _FLAVOURS:
        try:
            fn = getattr(lib, f"scipy_cblas_{kind}gemm{suffix}")
        except AttributeError:
            continue
        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer, integer, real, ctypes.c_void_p,
                       integer, ctypes.c_void_p, integer, real, ctypes.c_void_p, integer]  # fmt: skip
        fn.restype = None
        fn.int_limit = 2**63 if integer is ctypes.c_int64 else 2**31  # type: ignore[attr-defined]
        return fn
    return None


def _load() -> dict[np.dtype, _Gemm]:
    for path in _library_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        found = {np.dtype(dt): fn for dt, kind in ((np.float64, "d"), (np.float32, "s")) if (fn := _bind(lib, kind))}
        if found and _self_check(found):
            return found
    return {}


def _operand(x: np.ndarray) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) of a 2-d operand in row-major terms, or None if BLAS can't take it."""
    item = x.itemsize
    s0, s1 = x.strides
    if s1 == item and s0 >= max(1, x.shape[1]) * item and s0 % item == 0:
        return _NO_TRANS, s0 // item
    if s0 == item and s1 >= max(1, x.shape[0]) * item and s1 % item == 0:
        return _TRANS, s1 // item
    return None


def _call(fn: _Gemm, a: np.ndarray, b: np.ndarray, c: np.ndarray, alpha: float, beta: float) -> bool:
    """One GEMM call if every operand suits BLAS; False (nothing done) otherwise. Shapes are the caller's check."""
    (m, k), n = a.shape, b.shape[1]
    # numpy computes a row or column vector result with GEMV (other bits than GEMM's): keep its.
    if min(m, n, k) == 0 or m == 1 or n == 1 or not c.flags.writeable:
        return False
    if not (a.flags.aligned and b.flags.aligned and c.flags.aligned):
        return False
    oa, ob, oc = _operand(a), _operand(b), _operand(c)
    if oa is None or ob is None or oc is None or oc[0] != _NO_TRANS:
        return False
    if max(m, n, k, oa[1], ob[1], oc[1]) >= fn.int_limit:  # type: ignore[attr-defined]
        return False
    if np.may_share_memory(c, a) or np.may_share_memory(c, b):
        return False
    fn(_ROW_MAJOR, oa[0], ob[0], m, n, k, float(alpha), a.ctypes.data, oa[1], b.ctypes.data, ob[1], float(beta),
       c.ctypes.data, oc[1])  # fmt: skip
    return True


def _self_check(found: dict[np.dtype, _Gemm]) -> bool:
    """The bound functions compute what numpy computes on a small case (transposed operands included)."""
    rng = np.random.default_rng(0)
    try:
        for dt, fn in found.items():
            a, b = rng.standard_normal((5, 3)).astype(dt), rng.standard_normal((4, 5)).astype(dt)
            c = rng.standard_normal((7, 6)).astype(dt)
            want = c.copy()
            want[1:4, :4] = 0.5 * c[1:4, :4] - 2.0 * (a.T @ b.T)
            if not _call(fn, a.T, b.T, c[1:4, :4], -2.0, 0.5):
                return False
            if not np.allclose(c, want, rtol=1e-5, atol=1e-5):
                return False
    except Exception:  # a library we cannot call as we think: numpy's expression instead
        return False
    return True


_GEMM: dict[np.dtype, _Gemm] | None = None  # bound on first use, not at start-up


def _bound() -> dict[np.dtype, _Gemm]:
    global _GEMM
    if _GEMM is None:
        _GEMM = _load()  # two threads may both bind it: the same functions
    return _GEMM


def available(dtype: np.dtype | type) -> bool:
    """True when `gemm` reaches BLAS directly for `dtype` (tests, benchmarks)."""
    return np.dtype(dtype) in _bound()


def gemm(a: np.ndarray, b: np.ndarray, c: np.ndarray, *, alpha: float = 1.0, beta: float = 1.0) -> None:
    """c <- alpha (a @ b) + beta c, in place; a, b and c 2-d of one float dtype, c not overlapping them.

    One BLAS call where possible (a, b may be transposed views, c any row-strided view);
    otherwise numpy's expression (a temporary of c's size). Raises ValueError on shapes
    that do not chain (BLAS would read or write past the arrays).
    """
    if not (a.ndim == b.ndim == c.ndim == 2 and a.shape[1] == b.shape[0] and c.shape == (a.shape[0], b.shape[1])):
        raise ValueError(f"gemm: shapes {a.shape} @ {b.shape} -> {c.shape} do not chain")
    fn = _bound().get(c.dtype)
    if fn is not None and a.dtype == b.dtype == c.dtype and _call(fn, a, b, c, alpha, beta):
        return
    p = a @ b
    if alpha != 1.0:
        p *= c.dtype.type(alpha)
    if beta == 0.0:
        np.copyto(c, p)
        return
    if beta != 1.0:
        c *= c.dtype.type(beta)
    c += p
