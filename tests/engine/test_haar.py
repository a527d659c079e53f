"""The fast Haar path gives LAPACK's sign-fixed Householder Q to 1e-12, or falls back to it."""

from __future__ import annotations

import numpy as np
import pytest

from depthlens.engine import blas
from depthlens.engine import haar as H
from depthlens.engine.weights import _INIT_CODE, _rng, draw_matrix


@pytest.mark.parametrize("n", [256, 300, 513, 1024])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("direct_blas", [True, False])
def test_fast_q_equals_householder_q(monkeypatch, n, seed, direct_blas):
    if not direct_blas:  # a numpy built against another BLAS: engine.blas falls back to numpy's products
        monkeypatch.setattr(blas, "_GEMM", {})
    g = np.random.default_rng(seed).standard_normal((n, n))
    q = H.haar(g)
    ref = H.householder(g.copy())
    assert np.max(np.abs(q - ref)) < 1e-12
    assert np.max(np.abs(q.T @ q - np.eye(n))) < 1e-13


def test_the_fast_path_is_taken_from_its_width_on(monkeypatch):
    calls = []
    monkeypatch.setattr(H, "householder", lambda g: calls.append(g.shape) or np.linalg.qr(g)[0])
    H.haar(np.random.default_rng(0).standard_normal((H.FAST_FROM, H.FAST_FROM)))
    assert calls == []
    H.haar(np.random.default_rng(0).standard_normal((H.FAST_FROM - 1, H.FAST_FROM - 1)))
    assert calls == [(H.FAST_FROM - 1, H.FAST_FROM - 1)]


@pytest.mark.parametrize("gap", [1e-9, 0.0])
def test_ill_conditioned_or_singular_draws_fall_back_to_householder(gap):
    g = np.random.default_rng(3).standard_normal((300, 300))
    g[:, 7] = g[:, 3] + gap * g[:, 5]  # cond ~1e10, or exactly singular
    assert np.array_equal(H.haar(g.copy()), H.householder(g.copy()))


def test_orthogonal_weights_are_the_householder_q_of_the_same_draw():
    n, seed, layer = 384, 5, 2
    g = _rng(seed, _INIT_CODE["orthogonal"], n, layer).standard_normal((n, n))
    assert np.max(np.abs(draw_matrix("orthogonal", seed, n, layer) - H.householder(g))) < 1e-12


def test_small_widths_keep_todays_bytes():
    n, seed, layer = 64, 1, 3
    g = _rng(seed, _INIT_CODE["orthogonal"], n, layer).standard_normal((n, n))
    assert np.array_equal(draw_matrix("orthogonal", seed, n, layer), H.householder(g))


def test_many_draws_agree_with_householder_and_leaves_hold_the_identity_reflector():
    worst = 0.0
    for seed in range(40):
        g = np.random.default_rng(100 + seed).standard_normal((256, 256))
        worst = max(worst, np.max(np.abs(H.haar(g) - H.householder(g.copy()))))
    assert worst < 1e-12
    g = np.random.default_rng(9).standard_normal((300, 300))
    rows, cols = np.tril_indices(300, -1)
    g[rows[cols < 40], cols[cols < 40]] = 0.0  # columns 0..39 already reduced: LAPACK's tau = 0 there
    g[5, 5] = -abs(g[5, 5])  # one of them with a negative R_ii, kept by H = I
    q = H.haar(g)
    assert np.max(np.abs(q - H.householder(g.copy()))) < 1e-12
    assert np.max(np.abs(q.T @ q - np.eye(300))) < 1e-13


def test_the_input_is_not_modified():
    g = np.random.default_rng(2).standard_normal((320, 320))
    before = g.copy()
    H.haar(g)
    assert np.array_equal(g, before)


def test_without_redraw_g_is_left_alone_and_with_it_the_fallback_draws_it_again(monkeypatch):
    n, seed, layer = 256, 2, 4
    g = _rng(seed, _INIT_CODE["orthogonal"], n, layer).standard_normal((n, n))
    kept = g.copy()
    H.haar(g)
    assert np.array_equal(g, kept)
    monkeypatch.setattr(H, "_COND_LIMIT", 0.5)  # every draw is handed to LAPACK, after g was overwritten
    assert np.array_equal(draw_matrix("orthogonal", seed, n, layer), H.householder(kept.copy()))
