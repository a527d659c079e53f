"""The PyTorch side of the training benchmark, run inside `bench.torch_child` only.

One full-batch step of the engine's training contract in torch eager: the same network,
weights, biases, data and fixed readout as `Trainer` (rebuilt here from the same settings,
so bit-identical starting points), forward, `loss.backward()` and `torch.optim.SGD` /
`torch.optim.Adam` `.step()`. Like the engine's step it computes dLoss/dx (the gradient at
the input, row 0 of the chart): without it torch would skip the first layer's input product.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def train_step(torch: Any, settings: dict, optimizer: str, lr: float, momentum: float):
    """A callable taking one torch training step of the settings' plain network."""
    from depthlens.engine import Settings
    from depthlens.engine.train_config import TrainConfig
    from depthlens.engine.training import Trainer

    s = Settings.from_dict(settings)
    trainer = Trainer(s, TrainConfig(optimizer=optimizer, lr=lr, momentum=momentum))
    w0, b0 = trainer.initial_params()
    ws = [torch.from_numpy(np.ascontiguousarray(w)).requires_grad_(True) for w in w0]
    bs = [torch.from_numpy(np.ascontiguousarray(b)).requires_grad_(True) for b in b0]
    # dLoss/dx too: the engine's step measures the gradient at the input (row 0 of its chart).
    x = torch.from_numpy(np.ascontiguousarray(trainer.x)).requires_grad_(True)
    y = torch.from_numpy(trainer.task.y.astype(np.float32))
    r = torch.from_numpy((trainer.task.readout / math.sqrt(s.width)).astype(np.float32))
    act = {"relu": torch.relu, "tanh": torch.tanh}[s.activation]
    params = [*ws, *bs]
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum)
    else:
        opt = torch.optim.Adam(params, lr=lr)
    del trainer  # only its starting point was needed

    def go() -> None:
        a = x
        for w, b in zip(ws, bs, strict=True):
            a = act(a @ w.T + b)
        loss = torch.nn.functional.softplus(-y * (a @ r)).mean()
        opt.zero_grad(set_to_none=True)
        x.grad = None
        loss.backward()
        opt.step()

    return go
