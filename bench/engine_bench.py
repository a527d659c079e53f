"""Engine benchmark: engine vs the bare matrix products (floor) vs PyTorch autograd.

All three are timed side by side in one run on the same weights (float32), interleaved
within each row, in ROUNDS rounds that are each a pass over the whole grid; a contender's
figure is its fastest round, so the printed ratios compare each at the shared machine's
full speed (its slow phases last seconds to a minute: rounds a minute apart escape them).
PyTorch runs in its own child process (bench/torch_child.py), never in this one: numpy's
OpenBLAS threads and torch's OpenMP threads would otherwise compete for the same cores
(an idle OpenBLAS thread spins for a while after each call). Each contender's turn starts
after a short pause, so the other side's threads have gone to sleep. The machine's GEMM
rate (numpy and torch, float32 1024^3) is printed beside the table.
Run with `make bench` (torch is an optional bench extra, never a run-time dependency).
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time

import numpy as np

from bench.torch_child import TorchChild
from depthlens.engine import Engine, Settings
from depthlens.engine.haar import householder
from depthlens.engine.propagate import run
from depthlens.engine.weights import draw_matrix

CONFIGS = [(50, 2, 1), (50, 64, 64), (1000, 64, 64), (1000, 256, 64), (100, 256, 256), (200, 512, 128), (100, 1024, 64)]
ACTS = ("tanh", "relu")
# Residual and normalised blocks (ReLU, He init): x + (1/sqrt(L)) relu(LN(Wx)), and relu(BN(Wx)).
BLOCK_CONFIGS = [(100, 256, 256), (152, 256, 64)]
BLOCKS = {
    "res+LN": {"residual": 1.0, "residual_scaling": "sqrt_depth", "norm": "layer"},
    "BN": {"norm": "batch"},
}
BUDGET_S = 1.5  # per configuration and contender
PAUSE_S = 0.3  # before each turn: the other side's idle BLAS/OpenMP threads stop spinning


def floor_fn(s: Settings, weights: list[np.ndarray]):
    """The same three matrix products per layer the engine does, nothing else."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((s.batch, s.width)).astype(np.float32)

    def go():
        for W in weights:
            z = a @ W.T
            _ = z.T @ a
            _ = z @ W

    return go


def paired(first, second, budget: float, bursts: int = 6) -> tuple[float, float]:
    """Medians of first() and second() timed in short alternating bursts, so both meet the machine in one state.

    A burst repeats one function (its first call warms it up), as a compute or a drag
    repeats the same code: each is timed warm, and the bursts of the two interleave
    within a fraction of a second, inside one of the machine's phases.
    """
    a: list[float] = []
    b: list[float] = []
    for _ in range(bursts):
        a.append(median_time(first, budget / (2 * bursts), min_reps=3))
        b.append(median_time(second, budget / (2 * bursts), min_reps=3))
    return statistics.median(a), statistics.median(b)


def contenders(eng: Engine, s: Settings, child: TorchChild | None) -> dict:
    """engine and floor (timed here) and torch (timed in the child) on the same weights, caches warm.

    The engine computes afresh each time (its workspace forgets the last forward pass, which
    a depth drag would start from): the same work as the other two.
    """
    run(s, eng.cache)  # warm the cache
    scale = np.float32(s.scale)
    weights = [eng.cache.matrix(s.init, s.seed, s.width, i, s.dtype) * scale for i in range(1, s.depth + 1)]

    def engine() -> None:
        eng.workspace.forget_forward()  # a fresh compute: same settings would reuse the whole forward pass
        run(s, eng.cache, workspace=eng.workspace)

    return {
        "engine": engine,
        "floor": floor_fn(s, weights),
        "torch": child.timer(s) if child else None,
    }


def median_time(fn, budget: float, min_reps: int = 5) -> float:
    """Median wall time of fn() over repeated calls within `budget` seconds."""
    fn()  # warm up
    times: list[float] = []
    t_end = time.perf_counter() + budget
    while len(times) < min_reps or (time.perf_counter() < t_end and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


ROUNDS = 5


def interleaved(fns: dict, budget: float) -> dict:
    """One round: each contender's turn in order (the median of its calls), a pause before each.

    The callers run ROUNDS such rounds as passes over their whole table and keep each
    contender's fastest (`keep_best`). A contender is a callable timed here, or a callable
    `remote(budget) -> seconds` timed in the torch child (attribute `remote = True`); None
    (no torch) gives NaN.
    """
    out: dict[str, float] = {}
    for k, fn in fns.items():
        if fn is None:
            out[k] = math.nan
            continue
        time.sleep(PAUSE_S)
        out[k] = fn(budget) if getattr(fn, "remote", False) else median_time(fn, budget)
    return out


def gemm_gflops(n: int = 1024, budget: float = 1.0) -> float:
    """numpy's float32 n x n x n GEMM rate in GFLOP/s (median)."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    t = median_time(lambda: a @ a, budget)
    return 2 * n**3 / t / 1e9


def plain_settings(L: int, n: int, B: int, act: str) -> Settings:
    """A row of the plain table: gaussian init at the activation's critical scale, the sum loss."""
    return Settings(depth=L, width=n, batch=B, activation=act, init="gaussian", scale=1.0 if act == "tanh" else 2**0.5,
                    input="gaussian", loss="sum")  # fmt: skip  # the sum loss: the same backward pass as torch's


def block_settings(L: int, n: int, B: int, extra: dict) -> Settings:
    """A row of the block table: ReLU, He init, the block's residual / norm settings."""
    return Settings(depth=L, width=n, batch=B, activation="relu", init="gaussian", scale=2**0.5,
                    input="gaussian", loss="sum", **extra)  # fmt: skip


def rows() -> list[tuple[str, tuple, Settings | None]]:
    """Every row of the tables: (table, its label, settings; None for the Haar row)."""
    out: list[tuple[str, tuple, Settings | None]] = []
    out += [("plain", (L, n, B, act), plain_settings(L, n, B, act)) for L, n, B in CONFIGS for act in ACTS]
    out.append(("haar", (1024,), None))
    out += [("block", (L, n, B, name), block_settings(L, n, B, extra))
            for L, n, B in BLOCK_CONFIGS for name, extra in BLOCKS.items()]  # fmt: skip
    return out


def main() -> None:
    """Time every row in ROUNDS passes over the grid, then print the tables (each contender's best pass)."""
    child = TorchChild.start()
    print("depthlens engine benchmark (float32, warm weight cache; times: each contender's fastest round's median)")
    print(
        f"numpy {np.__version__}; torch {child.version if child else 'not installed'}; "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; cores={os.cpu_count()}"
    )
    print(
        f"method: torch in a child process (its own threads); {ROUNDS} rounds, each a pass over the whole grid (a "
        f"row's rounds lie a minute apart), contenders interleaved within a row, {PAUSE_S:g} s pause before each turn"
    )
    time.sleep(PAUSE_S)
    rate = f"numpy {gemm_gflops():.0f} GFLOP/s"
    if child:
        time.sleep(PAUSE_S)
        rate += f", torch {child.gemm_gflops():.0f} GFLOP/s"
    print(f"machine GEMM rate (float32 1024^3): {rate}", flush=True)
    eng = Engine()
    grid = rows()
    best: list[dict[str, float]] = [{} for _ in grid]
    shares: list[list[float]] = [[] for _ in grid]
    try:
        for k in range(ROUNDS):
            print(f"  round {k + 1}/{ROUNDS} ...", file=sys.stderr, flush=True)
            for i, (table, _label, s) in enumerate(grid):
                fns = haar_contenders() if s is None else contenders(eng, s, child)
                budget = BUDGET_S * (2 if s is None else 3) / ROUNDS
                keep_best(best[i], interleaved(fns, budget))
                if table == "plain":  # the theory's share: timed in bursts alternating with the engine's
                    time.sleep(PAUSE_S)
                    t_engine, t_theory = paired(fns["engine"], lambda s=s: _theory_uncached(s), budget)
                    keep_best(best[i], {"theory": t_theory})
                    shares[i].append(t_theory / t_engine)
                del fns  # this row's floor weights, before the next row draws its own
                eng.cache.clear()  # the next row's weights; the torch child drops its own
    finally:
        if child:
            child.close()
        print_tables(grid, best, shares)  # also after an interruption: the rows timed so far


def keep_best(best: dict[str, float], times: dict[str, float]) -> None:
    """Lower each contender's best time to this round's where it is faster (a NaN round never counts)."""
    for c, v in times.items():
        if not math.isnan(v):
            best[c] = min(v, best.get(c, math.inf))


def print_tables(
    grid: list[tuple[str, tuple, Settings | None]], best: list[dict[str, float]], shares: list[list[float]]
) -> None:
    """The plain table, the Haar line and the block table, from each row's best times (theory: its median share)."""
    head = (
        f"{'L':>5} {'n':>4} {'B':>4} {'act':>5} | {'engine ms':>10} {'floor ms':>9} {'torch ms':>9} | "
        f"{'eng/floor':>9} {'eng/torch':>9} | {'theory ms':>9} {'theory %':>8}"
    )
    print(head)
    print("-" * len(head))
    nan = math.nan
    best = [{c: t.get(c, nan) for c in ("engine", "floor", "torch", "theory", "draw", "lapack", "gemm")} | t
            if t else {} for t in best]  # fmt: skip  # a contender never timed (no torch) prints as nan
    for (table, label, _s), t, share in zip(grid, best, shares, strict=True):
        if not t:
            continue  # not timed (interrupted)
        if table == "plain":
            L, n, B, act = label
            pct = 100 * statistics.median(share) if share else nan
            print(
                f"{L:>5} {n:>4} {B:>4} {act:>5} | {t['engine'] * 1e3:>10.2f} {t['floor'] * 1e3:>9.2f} "
                f"{t['torch'] * 1e3:>9.2f} | {t['engine'] / t['floor']:>9.2f} "
                f"{t['engine'] / t['torch']:>9.2f} | {t['theory'] * 1e3:>9.2f} {pct:>7.1f}%"
            )
    print("targets: eng/floor <= 1.5 at n >= 256; eng/torch <= 1.0 everywhere; theory <= 10 % of the engine")
    print(
        "theory: its fastest round's median (recursion and fixed-point caches cleared before each call; an "
        "activation's quadrature grid and table segments are built once per process, in the warm-up call); "
        "theory %: the median over the rounds of theory / engine, the two timed in short alternating bursts"
    )
    for (table, label, _s), t in zip(grid, best, strict=True):
        if t and table == "haar":
            (n,) = label
            print(
                f"orthogonal {n} x {n} matrix drawn: {t['draw'] * 1e3:.1f} ms (target <= 60); LAPACK QR alone "
                f"{t['lapack'] * 1e3:.1f} ms; float64 GEMM {2 * n**3 / t['gemm'] / 1e9:.0f} GFLOP/s"
            )
    print()
    print("residual / normalised blocks (relu, He init; torch: F.layer_norm / F.batch_norm)")
    head = (
        f"{'L':>5} {'n':>4} {'B':>4} {'block':>7} | {'engine ms':>10} {'floor ms':>9} {'torch ms':>9} | "
        f"{'eng/floor':>9} {'eng/torch':>9}"
    )
    print(head)
    print("-" * len(head))
    for (table, label, _s), t in zip(grid, best, strict=True):
        if t and table == "block":
            L, n, B, name = label
            print(
                f"{L:>5} {n:>4} {B:>4} {name:>7} | {t['engine'] * 1e3:>10.2f} {t['floor'] * 1e3:>9.2f} "
                f"{t['torch'] * 1e3:>9.2f} | {t['engine'] / t['floor']:>9.2f} {t['engine'] / t['torch']:>9.2f}"
            )
    print("target: eng/torch <= 1.0, as for the plain net", flush=True)


def haar_contenders(n: int = 1024) -> dict:
    """One orthogonal n x n weight matrix drawn (gaussian draw + Haar Q), LAPACK's QR of a draw, a float64 GEMM."""
    g = np.random.default_rng(0).standard_normal((n, n))
    return {"draw": lambda: draw_matrix("orthogonal", 0, n, 1), "lapack": lambda: householder(g), "gemm": lambda: g @ g}


def _theory_uncached(s: Settings) -> None:
    from depthlens.engine import theory

    theory.clear_recursions()
    theory.predict(s)


if __name__ == "__main__":
    main()
