"""Training benchmark: time per step, engine vs PyTorch eager, and the GUI while training.

Engine: `Trainer.step_once` (forward, backward, statistics, optimiser step). PyTorch: the
same network on the same weights and data (float32), forward, `loss.backward()` and
`torch.optim.SGD` / `torch.optim.Adam` `.step()`, eager. Contenders are interleaved round
by round so machine load affects both alike; the ratio target is <= 1.0 everywhere.
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

from .engine_bench import _torch, interleaved

CONFIGS = [(10, 64, 256), (50, 64, 64), (20, 256, 256), (100, 256, 64)]
OPTIMIZERS = ("sgd", "adam")
BUDGET_S = 1.5
LR = {"sgd": 0.01, "adam": 0.001}


def engine_fn(s: Settings, optimizer: str):
    """One engine training step per call."""
    t = Trainer(s, TrainConfig(optimizer=optimizer, lr=LR[optimizer], momentum=0.9 if optimizer == "sgd" else 0.0))
    return t, t.step_once


def torch_fn(torch, trainer: Trainer, optimizer: str):
    """The same step in PyTorch eager: forward, backward, torch.optim step."""
    w0, b0 = trainer.initial_params()
    ws = [torch.from_numpy(np.ascontiguousarray(w)).requires_grad_(True) for w in w0]
    bs = [torch.from_numpy(np.ascontiguousarray(b)).requires_grad_(True) for b in b0]
    x = torch.from_numpy(np.ascontiguousarray(trainer.x))
    y = torch.from_numpy(trainer.task.y.astype(np.float32))
    r = torch.from_numpy((trainer.task.readout / math.sqrt(trainer.settings.width)).astype(np.float32))
    act = {"relu": torch.relu, "tanh": torch.tanh}[trainer.settings.activation]
    params = [*ws, *bs]
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=LR["sgd"], momentum=0.9)
    else:
        opt = torch.optim.Adam(params, lr=LR["adam"])

    def go():
        a = x
        for w, b in zip(ws, bs, strict=True):
            a = act(a @ w.T + b)
        loss = torch.nn.functional.softplus(-y * (a @ r)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return go


def engine_table() -> None:
    """Print the per-step table, SGD and Adam side by side."""
    torch = _torch()
    print("\ndepthlens training benchmark (float32, spirals, relu; ms per full-batch step, medians)")
    print(f"numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}; cores={os.cpu_count()}")
    print(f"{'L':>4} {'n':>4} {'B':>4} {'opt':>5} | {'engine ms':>9} {'torch ms':>9} | {'eng/torch':>9}")
    for L, n, B in CONFIGS:
        for optimizer in OPTIMIZERS:
            s = Settings(depth=L, width=n, batch=B, activation="relu", scale=math.sqrt(2.0), dtype="float32")
            trainer, step = engine_fn(s, optimizer)
            fns = {"engine": step, "torch": torch_fn(torch, trainer, optimizer) if torch else None}
            t = interleaved(fns, BUDGET_S)
            print(
                f"{L:>4} {n:>4} {B:>4} {optimizer:>5} | {t['engine'] * 1e3:>9.2f} {t['torch'] * 1e3:>9.2f} | "
                f"{t['engine'] / t['torch']:>9.2f}"
            )
    print("target: eng/torch <= 1.0 everywhere")


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
