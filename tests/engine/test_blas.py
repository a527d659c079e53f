"""engine.blas.gemm: one BLAS call where numpy's own BLAS is reachable, numpy's expression elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from depthlens.engine import blas


def _cases(dt):
    """(a, b, the big array c is a view of, c's rows and columns in it)."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((9, 7)).astype(dt)
    b = rng.standard_normal((7, 5)).astype(dt)
    big = rng.standard_normal((12, 11)).astype(dt)
    return [
        (a, b, big.copy(), np.s_[2:11, 3:8]),  # c a view with a longer row stride
        (np.ascontiguousarray(a.T).T, b, big.copy(), np.s_[:9, :5]),  # a transposed view
        (a, np.ascontiguousarray(b.T).T, big.copy(), np.s_[1:10, 6:11]),  # b transposed view
    ]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 1.0), (-1.0, 1.0), (2.5, 0.0), (-0.5, 3.0)])
@pytest.mark.parametrize("direct", [True, False])
def test_gemm_is_alpha_ab_plus_beta_c_on_views_and_writes_nothing_else(monkeypatch, dt, alpha, beta, direct):
    if not direct:
        monkeypatch.setattr(blas, "_GEMM", {})
    tol = 1e-5 if dt == np.float32 else 1e-12
    for a, b, big, where in _cases(dt):
        want = big.astype(np.float64)
        want[where] = alpha * (a.astype(np.float64) @ b.astype(np.float64)) + beta * want[where]
        blas.gemm(a, b, big[where], alpha=alpha, beta=beta)
        assert np.allclose(big, want, rtol=tol, atol=tol)
        untouched = np.ones(big.shape, bool)
        untouched[where] = False
        assert np.array_equal(big[untouched], want[untouched].astype(dt))


def test_what_blas_cannot_take_falls_back_to_the_same_values():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 5))
    c = rng.standard_normal((6, 10))[:, ::2]  # no unit stride: not a BLAS matrix
    want = c - a @ b
    blas.gemm(a, b, c, alpha=-1.0)
    assert np.allclose(c, want, rtol=1e-13, atol=1e-13)
    x = rng.standard_normal((4, 4))
    want = x + x @ x
    blas.gemm(x, x.copy(), x)  # c overlaps a: never handed to BLAS in place
    assert np.allclose(x, want, rtol=1e-13, atol=1e-13)


def test_numpys_wheel_blas_is_reached_directly():
    info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    if info.get("name") != "scipy-openblas":
        pytest.skip(f"numpy built against {info.get('name')}: the numpy expression is used")
    assert blas.available(np.float32) and blas.available(np.float64)


@pytest.mark.parametrize(
    ("a_shape", "b_shape", "c_shape"),
    [((4, 3), (3, 4), (2, 2)), ((4, 3), (2, 4), (4, 4)), ((1, 3), (3, 4), (5, 4)), ((4, 3), (3, 4), (4, 5))],
)
def test_shapes_that_do_not_chain_are_refused_before_anything_is_written(a_shape, b_shape, c_shape):
    big = np.zeros((8, 8))
    c = big[: c_shape[0], : c_shape[1]]
    with pytest.raises(ValueError, match="do not chain"):
        blas.gemm(np.ones(a_shape), np.ones(b_shape), c)
    assert not big.any()


def test_unaligned_operands_are_left_to_numpy():
    raw = np.zeros(8 * 17 + 1, np.uint8)
    a = np.frombuffer(raw.data, dtype=np.float64, count=16, offset=1).reshape(4, 4)  # not 8-byte aligned
    assert not a.flags.aligned
    c = np.ones((4, 4))
    blas.gemm(a, np.eye(4), c)
    assert np.array_equal(c, np.ones((4, 4)))
