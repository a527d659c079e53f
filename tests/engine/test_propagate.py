"""A long compute's partial results: the layers done so far, bit for bit those of the final result."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlens.engine import Engine, Settings, drive
from depthlens.engine import propagate as P
from depthlens.engine.engine import BACKWARD_COLUMNS, FORWARD_COLUMNS
from depthlens.engine.health import BLANK, series_data
from depthlens.engine.jobs import Cancelled
from depthlens.engine.weights import WeightCache

COLUMNS = sorted(FORWARD_COLUMNS | set(BACKWARD_COLUMNS))
NETS = [
    Settings(depth=12, width=16, batch=8, activation="tanh"),
    Settings(depth=9, width=8, batch=4, activation="relu", residual=1.0, norm="layer", bias_std=0.1),
    Settings(depth=7, width=8, batch=6, activation="gelu", norm="batch", init="orthogonal"),
]


@pytest.fixture
def every_layer(monkeypatch):
    """Partials at every checkpoint (the clock is always due)."""
    monkeypatch.setattr(P, "PARTIAL_FIRST_S", -1.0)
    monkeypatch.setattr(P, "PARTIAL_EVERY_S", -1.0)
    monkeypatch.setattr(P, "PARTIAL_NOT_BEFORE_END_S", -1.0)


def _partials(settings: Settings, engine: Engine | None = None):
    got = []
    final = drive((engine or Engine()).compute_steps(settings, partials=True), partial=got.append)
    return got, final


@pytest.mark.parametrize("settings", NETS)
def test_partials_hold_the_final_numbers_in_their_done_rows_and_nan_elsewhere(settings, every_layer) -> None:
    parts, final = _partials(settings)
    L = settings.depth
    assert final.partial is None
    assert len(parts) == 2 * L  # before each layer's forward step and each layer's backward step
    forward = [(r, L + 1) for r in range(1, L + 1)]
    backward = [(L + 1, r + 1) for r in range(L - 1, -1, -1)]
    assert [p.partial for p in parts] == forward + backward
    for p in parts:
        assert p.settings == settings and p.theory is parts[0].theory
        for c in COLUMNS:
            pending = p.pending(c)
            assert pending is not None
            np.testing.assert_array_equal(p.column(c)[~pending], final.column(c)[~pending])
            assert np.isnan(p.column(c)[pending]).all()
            codes = series_data(p, c).codes
            assert (codes[pending] == BLANK).all()
    for c in COLUMNS:
        np.testing.assert_array_equal(final.column(c), Engine().compute(settings).column(c))
    np.testing.assert_array_equal(final.theory.activation_rms, parts[0].theory.activation_rms)


def test_a_short_compute_yields_no_partial() -> None:
    parts, _ = _partials(Settings(depth=5, width=4, batch=2))
    assert parts == []


def test_without_partials_the_job_never_yields_one(every_layer) -> None:
    got = []
    drive(Engine().compute_steps(NETS[0]), partial=got.append)
    assert got == []


def test_the_clock_waits_for_the_first_then_paces(monkeypatch) -> None:
    now = [0.0]
    monkeypatch.setattr(P.time, "perf_counter", lambda: now[0])
    clock = P._PartialClock()
    assert not clock.due()
    now[0] = P.PARTIAL_FIRST_S
    assert clock.due() and not clock.due()
    now[0] += P.PARTIAL_EVERY_S * 0.99
    assert not clock.due()
    now[0] += P.PARTIAL_EVERY_S * 0.02
    assert clock.due()
    # At this pace the run ends sooner than PARTIAL_NOT_BEFORE_END_S: its result comes first.
    now[0] += P.PARTIAL_EVERY_S
    elapsed = now[0]
    nearly = 1.0 / (1.0 + 0.5 * P.PARTIAL_NOT_BEFORE_END_S / elapsed)  # remaining = half the margin
    assert not clock.due(nearly)
    assert clock.due(0.5 * elapsed / (elapsed + 10 * P.PARTIAL_NOT_BEFORE_END_S))


def test_cancelled_at_a_partial_leaves_the_workspace_consistent(every_layer) -> None:
    eng = Engine()
    s = NETS[0]
    steps = eng.compute_steps(s, partials=True)
    for _ in range(5):
        next(steps)
    with pytest.raises(Cancelled):
        steps.throw(Cancelled())
    # Nothing half-done is kept: the next compute is a fresh one, equal to another engine's.
    again = eng.compute(s.replace(depth=s.depth + 2))
    assert eng.workspace.reused_layers == 0
    for c in COLUMNS:
        np.testing.assert_array_equal(again.column(c), Engine().compute(s.replace(depth=s.depth + 2)).column(c))


def test_a_complete_result_has_nothing_pending() -> None:
    r = Engine().compute(NETS[0])
    assert all(r.pending(c) is None for c in COLUMNS)
    assert math.isfinite(r.column("activation_rms")[-1])


@pytest.mark.parametrize("loss", ["sum", "random"])
def test_runs_share_a_read_only_input_and_readout_and_leave_them_unchanged(loss) -> None:
    s = Settings(depth=4, width=8, batch=5, loss=loss, activation="relu")
    x0, r0 = P.input_batch(s), P.output_grad(s)
    cache = WeightCache()
    first, _ = P.run(s, cache)  # no workspace: the backward pass works in a copy of r
    again, trace = P.run(s, cache, keep=True)
    assert np.array_equal(first.gradient_rms, again.gradient_rms)
    shared = P._input(s.input, s.seed, s.batch, s.width, s.dtype)
    assert not shared.flags.writeable and np.array_equal(shared, x0)
    assert np.array_equal(P._readout(loss, s.seed, s.batch, s.width, s.dtype), r0)
    assert trace is not None and trace.activations[0].flags.writeable  # the trace's own copy
    assert P.input_batch(s).flags.writeable and P.output_grad(s).flags.writeable
