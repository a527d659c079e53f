"""The PyTorch contender of the engine benchmark, in a process of its own.

torch's OpenMP threads and numpy's OpenBLAS threads must not share the two cores while
either is being timed, so torch is never imported by the benchmark process. This child
reads one JSON request per line on stdin and answers one JSON line on stdout:

- ``{"op": "gemm"}`` -> ``{"gflops": x}``: torch's float32 1024^3 matmul rate;
- ``{"op": "time", "settings": {...}, "budget": s}`` -> ``{"seconds": t}``: the median wall
  time of forward + backward (autograd, input and weight gradients) of that network, on the
  very weights the engine uses (drawn by depthlens' own cache here);
- ``{"op": "train", "settings": {...}, "optimizer": o, "lr": x, "momentum": m, "budget": s}``
  -> ``{"seconds": t}``: the median wall time of one full-batch training step in torch
  eager (`bench.torch_train`), from the engine's starting point;
- ``{"op": "drop"}``: forget the current network's tensors.

`TorchChild` is the parent's side. Run with `make bench`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

CHILD_ENV = {"PYTHONUNBUFFERED": "1"}


class TorchChild:
    """Parent side: a running `python -m bench.torch_child` and its pipes."""

    def __init__(self, proc: subprocess.Popen, version: str) -> None:
        self.proc = proc
        self.version = version

    @classmethod
    def start(cls) -> TorchChild | None:
        """Start the child; None when torch is not installed there."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.torch_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **CHILD_ENV},
        )
        hello = json.loads(proc.stdout.readline() or "{}")  # type: ignore[union-attr]
        if not hello.get("torch"):
            proc.wait(timeout=30)
            return None
        return cls(proc, hello["torch"])

    def ask(self, **request: Any) -> dict:
        """Send one request and wait for its answer."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the torch benchmark child exited")
        return json.loads(line)

    def gemm_gflops(self) -> float:
        """torch's float32 1024^3 matmul rate."""
        return float(self.ask(op="gemm")["gflops"])

    def timer(self, settings, op: str = "time", **extra: Any):
        """A contender for `interleaved`: budget -> median seconds of request `op`, timed in the child."""

        def remote(budget: float) -> float:
            return float(self.ask(op=op, settings=settings.to_dict(), budget=budget, **extra)["seconds"])

        remote.remote = True  # type: ignore[attr-defined]
        return remote

    def close(self) -> None:
        """End the child."""
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _network(torch, settings: dict):
    """Forward + backward of the settings' network with autograd, as a callable.

    Plain nets: a = act(scale * a W^T). Residual / normalised nets (ReLU): z = a (sW)^T, then
    torch's `layer_norm` or `batch_norm` functional (training mode, eps 1e-5), then a + alpha
    relu(z) with a skip connection, as the engine's block.
    """
    import numpy as np
    import torch.nn.functional as F

    from depthlens.engine import Engine, Settings

    s = Settings.from_dict(settings)
    eng = Engine()
    scale = float(s.scale)
    plain = s.residual == 0 and s.norm == "none"
    Ws = []
    for layer in range(1, s.depth + 1):
        W = np.array(eng.cache.matrix(s.init, s.seed, s.width, layer, s.dtype))
        if not plain:
            W *= np.float32(scale)  # the block's affine layer carries the scale
        Ws.append(torch.from_numpy(W).requires_grad_(True))
    x = eng.network(s.replace(depth=1)).x
    xt = torch.from_numpy(np.array(x)).requires_grad_(True)
    act = torch.tanh if s.activation == "tanh" else torch.relu
    alpha = float(s.branch_scale)
    n = s.width

    def block(a, W):
        z = a @ W.T
        if s.norm == "layer":
            z = F.layer_norm(z, (n,), eps=1e-5)
        elif s.norm == "batch":
            z = F.batch_norm(z, None, None, training=True, eps=1e-5)
        y = torch.relu(z)
        return a + alpha * y if s.residual > 0 else y

    def layer(a, W):
        return act((a @ W.T) * scale) if plain else block(a, W)

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


def _contender(torch, req: dict):
    """The callable a "time" or "train" request times."""
    if req["op"] == "time":
        return _network(torch, req["settings"])
    from bench.torch_train import train_step

    return train_step(torch, req["settings"], req["optimizer"], float(req["lr"]), float(req["momentum"]))


def main() -> None:
    """Serve requests until stdin closes."""
    try:
        import torch
    except Exception:
        print(json.dumps({"torch": None}), flush=True)
        return
    from bench.engine_bench import median_time

    torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    print(json.dumps({"torch": torch.__version__}), flush=True)
    current: tuple[str, Any] | None = None
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "gemm":
            a = torch.randn(1024, 1024)
            t = median_time(lambda a=a: a @ a, 1.0)
            out: dict[str, Any] = {"gflops": 2 * 1024**3 / t / 1e9}
        elif req["op"] in ("time", "train"):
            budget = req.pop("budget")
            key = json.dumps(req, sort_keys=True)
            if current is None or current[0] != key:
                current = None  # free the previous network first
                current = (key, _contender(torch, req))
            out = {"seconds": median_time(current[1], float(budget))}
        else:
            current = None
            out = {}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
