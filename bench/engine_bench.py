"""Engine benchmark: engine vs the bare matrix products (floor) vs PyTorch autograd.

All three are timed side by side in one run, interleaved round by round, on the same
weights (float32), so the printed ratios do not depend on how fast the machine is.
Run with `make bench` (torch is an optional bench extra, never a run-time dependency).
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from depthlens.engine import Engine, Settings
from depthlens.engine.propagate import run

CONFIGS = [(50, 2, 1), (50, 64, 64), (1000, 64, 64), (100, 256, 256), (200, 512, 128)]
ACTS = ("tanh", "relu")
# Residual and normalised blocks (ReLU, He init): x + (1/sqrt(L)) relu(LN(Wx)), and relu(BN(Wx)).
BLOCK_CONFIGS = [(100, 256, 256), (152, 256, 64)]
BLOCKS = {
    "res+LN": {"residual": 1.0, "residual_scaling": "sqrt_depth", "norm": "layer"},
    "BN": {"norm": "batch"},
}
BUDGET_S = 1.5  # per configuration and contender


def _torch():
    try:
        import torch
    except Exception:
        return None
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    return torch


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


def _autograd(torch, weights: list[np.ndarray], x: np.ndarray, layer):
    """go(): `layer(a, W)` through every W, Loss = mean of the output sums, backward, gradients cleared."""
    Ws = [torch.from_numpy(np.ascontiguousarray(W)).requires_grad_(True) for W in weights]
    xt = torch.from_numpy(x).requires_grad_(True)

    def go():
        a = xt
        for W in Ws:
            a = layer(a, W)
        loss = a.sum(dim=1).mean()
        loss.backward()
        for W in Ws:
            W.grad = None
        xt.grad = None

    return go


def torch_fn(torch, s: Settings, weights: list[np.ndarray], x: np.ndarray):
    """Forward + backward of the same network with autograd (input and weight gradients)."""
    act = torch.tanh if s.activation == "tanh" else torch.relu
    scale = float(s.scale)
    return _autograd(torch, weights, x, lambda a, W: act((a @ W.T) * scale))


def torch_block_fn(torch, s: Settings, weights: list[np.ndarray], x: np.ndarray):
    """The same residual / normalised blocks with autograd: torch's layer_norm and batch_norm functionals."""
    import torch.nn.functional as F

    alpha = float(s.branch_scale)
    n = s.width

    def layer(a, W):
        z = a @ W.T  # W already carries the scale
        if s.norm == "layer":
            z = F.layer_norm(z, (n,), eps=1e-5)
        elif s.norm == "batch":
            z = F.batch_norm(z, None, None, training=True, eps=1e-5)
        y = torch.relu(z)
        return a + alpha * y if s.residual > 0 else y

    return _autograd(torch, weights, x, layer)


def contenders(eng: Engine, s: Settings, torch, make_torch) -> dict:
    """engine, floor and torch (`make_torch(torch, s, weights, x)`) on the same weights, caches warm."""
    run(s, eng.cache)  # warm the cache
    scale = np.float32(s.scale)
    weights = [eng.cache.matrix(s.init, s.seed, s.width, i, s.dtype) * scale for i in range(1, s.depth + 1)]
    x = eng.network(s.replace(depth=1)).x
    return {
        "engine": lambda: run(s, eng.cache, workspace=eng.workspace),
        "floor": floor_fn(s, weights),
        "torch": make_torch(torch, s, weights, x) if torch else None,
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


def interleaved(fns: dict, budget: float, rounds: int = 3) -> dict:
    """Median of per-round medians, contenders interleaved so load affects all alike."""
    res: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            if fn is not None:
                res[k].append(median_time(fn, budget / rounds))
    return {k: (statistics.median(v) if v else float("nan")) for k, v in res.items()}


def main() -> None:
    """Print the benchmark table."""
    torch = _torch()
    print("depthlens engine benchmark (float32, warm weight cache; times are medians)")
    print(
        f"numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}; "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; cores={os.cpu_count()}"
    )
    head = (
        f"{'L':>5} {'n':>4} {'B':>4} {'act':>5} | {'engine ms':>10} {'floor ms':>9} {'torch ms':>9} | "
        f"{'eng/floor':>9} {'eng/torch':>9} | {'theory ms':>9}"
    )
    print(head)
    print("-" * len(head))
    eng = Engine()
    for L, n, B in CONFIGS:
        for act in ACTS:
            s = Settings(
                depth=L,
                width=n,
                batch=B,
                activation=act,
                init="gaussian",
                scale=1.0 if act == "tanh" else 2**0.5,
                input="gaussian",
                loss="sum",  # the same backward pass as the torch reference (sum of the outputs)
            )
            t = interleaved(contenders(eng, s, torch, torch_fn), BUDGET_S * 3)
            t0 = time.perf_counter()
            _theory_uncached(s)
            t_theory = time.perf_counter() - t0
            print(
                f"{L:>5} {n:>4} {B:>4} {act:>5} | {t['engine'] * 1e3:>10.2f} {t['floor'] * 1e3:>9.2f} "
                f"{t['torch'] * 1e3:>9.2f} | {t['engine'] / t['floor']:>9.2f} "
                f"{t['engine'] / t['torch']:>9.2f} | {t_theory * 1e3:>9.2f}"
            )
    print("targets: eng/floor <= 1.5 at n >= 256; eng/torch <= 1.0 everywhere")
    block_rows(eng, torch, BLOCK_CONFIGS, BUDGET_S * 3)


def block_rows(eng: Engine, torch, configs, budget: float) -> None:
    """The residual + layer norm and batch norm rows: engine vs floor vs torch on the same weights."""
    print()
    print("residual / normalised blocks (relu, He init; torch: F.layer_norm / F.batch_norm)")
    head = (
        f"{'L':>5} {'n':>4} {'B':>4} {'block':>7} | {'engine ms':>10} {'floor ms':>9} {'torch ms':>9} | "
        f"{'eng/floor':>9} {'eng/torch':>9}"
    )
    print(head)
    print("-" * len(head))
    for L, n, B in configs:
        for name, extra in BLOCKS.items():
            s = Settings(depth=L, width=n, batch=B, activation="relu", init="gaussian", scale=2**0.5,
                         input="gaussian", loss="sum", **extra)  # fmt: skip
            t = interleaved(contenders(eng, s, torch, torch_block_fn), budget)
            print(
                f"{L:>5} {n:>4} {B:>4} {name:>7} | {t['engine'] * 1e3:>10.2f} {t['floor'] * 1e3:>9.2f} "
                f"{t['torch'] * 1e3:>9.2f} | {t['engine'] / t['floor']:>9.2f} {t['engine'] / t['torch']:>9.2f}"
            )
    print("target: eng/torch <= 1.0, as for the plain net")


def _theory_uncached(s: Settings) -> None:
    from depthlens.engine import theory

    theory._mean_field_layers.cache_clear()
    theory._identity_layers.cache_clear()
    theory.residual_layers.cache_clear()
    theory.predict(s)


if __name__ == "__main__":
    main()
