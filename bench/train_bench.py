"""Training benchmark: time per step, engine vs PyTorch eager, and the GUI while training.

Engine: `Trainer.step_once` (forward, backward, statistics, optimiser step). PyTorch: the
same network on the same weights and data (float32), forward, `loss.backward()` and
`torch.optim.SGD` / `torch.optim.Adam` `.step()`, eager, timed in its own process
(`bench.torch_child`, `bench.torch_train`): torch is never imported here, so its OpenMP
threads and numpy's OpenBLAS threads never compete. Rounds are passes over the rows (a
row's rounds far apart), contenders interleaved within a row, each contender's figure its
fastest round, as in `bench.engine_bench`; the ratio target is <= 1.0 everywhere.
GUI: steps per second and the longest event-loop stall (5 ms heartbeat) while the
window trains at (L, n, B) = (50, 64, 64) at full speed; the target stall is 50 ms.
Run with `make bench`.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

from depthlens.engine import Settings
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.training import Trainer

from .engine_bench import ROUNDS, interleaved, keep_best
from .torch_child import TorchChild

CONFIGS = [(10, 64, 256), (50, 64, 64), (20, 256, 256), (100, 256, 64)]
OPTIMIZERS = ("sgd", "adam")
BUDGET_S = 1.5
LR = {"sgd": 0.01, "adam": 0.001}


def config_of(optimizer: str) -> TrainConfig:
    """The benchmark's optimiser settings (SGD with momentum 0.9, Adam)."""
    return TrainConfig(optimizer=optimizer, lr=LR[optimizer], momentum=0.9 if optimizer == "sgd" else 0.0)


def engine_table(configs=CONFIGS, budget: float = BUDGET_S) -> None:
    """Print the per-step table, SGD and Adam side by side; torch is timed in its own process.

    ROUNDS passes over the rows, each row's engine and torch turns interleaved, both starting
    from the same fresh weights in every pass; each contender's figure is its fastest pass
    (the engine benchmark's method: `bench.engine_bench`).
    """
    child = TorchChild.start()
    grid = [(L, n, B, optimizer) for L, n, B in configs for optimizer in OPTIMIZERS]
    best: list[dict[str, float]] = [{} for _ in grid]
    try:
        print("\ndepthlens training benchmark (float32, spirals, relu; ms per full-batch step, "
              "each contender's fastest round's median)")
        print(
            f"numpy {np.__version__}; torch {child.version if child else 'not installed'}; cores={os.cpu_count()}; "
            f"torch in a child process (its own threads); {ROUNDS} rounds, each a pass over the rows, "
            "contenders interleaved within a row"
        )
        for k in range(ROUNDS):
            print(f"  round {k + 1}/{ROUNDS} ...", file=sys.stderr, flush=True)
            for i, (L, n, B, optimizer) in enumerate(grid):
                s = Settings(depth=L, width=n, batch=B, activation="relu", scale=math.sqrt(2.0), dtype="float32")
                config = config_of(optimizer)
                trainer = Trainer(s, config)
                torch = None
                if child:
                    torch = child.timer(s, "train", optimizer=optimizer, lr=config.lr, momentum=config.momentum)
                fns = {"engine": trainer.step_once, "torch": torch}
                keep_best(best[i], interleaved(fns, budget / ROUNDS))
    finally:
        if child:
            child.close()
        _print_table(grid, best)


def _print_table(grid: list[tuple[int, int, int, str]], best: list[dict[str, float]]) -> None:
    print(f"{'L':>4} {'n':>4} {'B':>4} {'opt':>5} | {'engine ms':>9} {'torch ms':>9} | {'eng/torch':>9}")
    for (L, n, B, optimizer), t in zip(grid, best, strict=True):
        if not t:
            continue  # not timed (interrupted)
        t = {"engine": math.nan, "torch": math.nan} | t
        print(
            f"{L:>4} {n:>4} {B:>4} {optimizer:>5} | {t['engine'] * 1e3:>9.2f} {t['torch'] * 1e3:>9.2f} | "
            f"{t['engine'] / t['torch']:>9.2f}"
        )
    print("target: eng/torch <= 1.0 everywhere", flush=True)


def gui_training(seconds: float = 5.0) -> tuple[float, float]:
    """(steps per second, longest event-loop stall ms) while the window trains at (50, 64, 64)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from .gui_bench import Heartbeat, _app, _pump, _window

    app = _app()
    s = Settings(depth=50, width=64, batch=64, activation="relu", scale=math.sqrt(2.0))
    w = _window(s)
    lab = w.training
    lab.show()
    lab.panel.speed.setCurrentIndex(lab.panel.speed.count() - 1)  # as fast as it goes
    heart = Heartbeat()
    try:
        lab.set_running(True)
        _pump(0.5)  # warm up
        first = lab.snapshot.step if lab.snapshot is not None else 0
        heart.start()
        _pump(seconds)
        heart.stop()
        done = (lab.snapshot.step if lab.snapshot is not None else 0) - first
        lab.set_running(False)
    finally:
        heart.stop()
        w.close()
    del app
    return done / seconds, max(heart.gaps) if heart.gaps else float("nan")


def main() -> int:
    """Both tables."""
    engine_table()
    sps, worst = gui_training()
    print(f"\nGUI while training (50,64,64): {sps:.0f} steps/s, longest event-loop stall {worst:.1f} ms (target <= 50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
