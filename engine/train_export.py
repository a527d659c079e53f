"""A training run's files: the per-step CSV, the tidy per-(step, layer) CSV and the replay NPZ.

CSVs start like every depthlens CSV (`# depthlens VERSION`, `# key=value ...` with every
network and training setting), then `#` lines for a decimated history or a divergence,
then the header; numbers have 17 significant digits, inf/nan spelled so, a blank cell
where a value does not exist (accuracy of the teacher task, layer 0's weight columns).
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np

from .export import version
from .numbers import full
from .training import Trainer

STEP_COLUMNS = ("step", "loss", "accuracy", "seconds", "diverged")
LAYER_COLUMNS = ("step", "layer", "activation_rms", "gradient_rms", "weight_grad_rms", "update_ratio", "distance")


def run_config(trainer: Trainer, **extra: Any) -> dict[str, Any]:
    """Every network and training setting under the CLI's option names (`_` for `-`), plus `extra`."""
    return {**trainer.settings.to_dict(), **trainer.config.to_dict(), **extra}


def _cell(x: float) -> str:
    return "" if math.isnan(x) else full(x)


def _header(trainer: Trainer, config: dict[str, Any]) -> str:
    lines = [f"# depthlens {version()}", "# " + " ".join(f"{k}={v}" for k, v in config.items())]
    h = trainer.history
    if h.decimated:
        lines.append(f"# decimated: every {h.stride}th step kept (at most {h.capacity} rows are held)")
    if trainer.diverged:
        lines.append(f"# {trainer.diverged}")
    return "\n".join(lines) + "\n"


def steps_csv(trainer: Trainer, config: dict[str, Any]) -> str:
    """One row per logged step: step, loss (before that step's update), accuracy, seconds, diverged (0/1)."""
    h = trainer.history
    out = io.StringIO()
    out.write(_header(trainer, config))
    out.write(",".join(STEP_COLUMNS) + "\n")
    cols = [h.column(k) for k in STEP_COLUMNS]
    for i in range(h.rows):
        step, loss, acc, sec, div = (float(c[i]) for c in cols)
        out.write(f"{int(step)},{full(loss)},{_cell(acc)},{full(sec)},{int(div)}\n")
    return out.getvalue()


def layers_csv(trainer: Trainer, config: dict[str, Any]) -> str:
    """One row per (logged step, layer 0..L), tidy for pandas; layer 0 has no weight columns."""
    h = trainer.history
    L = trainer.settings.depth
    out = io.StringIO()
    out.write(_header(trainer, config))
    out.write(",".join(LAYER_COLUMNS) + "\n")
    steps = h.column("step")
    act, grad = h.column("activation_rms"), h.column("gradient_rms")
    wg, ratio, dist = h.column("weight_grad_rms"), h.column("update_ratio"), h.column("distance")
    for i in range(h.rows):
        k = int(steps[i])
        out.write(f"{k},0,{full(act[i, 0])},{full(grad[i, 0])},,,\n")
        for layer in range(1, L + 1):
            j = layer - 1
            out.write(
                f"{k},{layer},{full(act[i, layer])},{full(grad[i, layer])},"
                f"{full(wg[i, j])},{_cell(ratio[i, j])},{_cell(dist[i, j])}\n"
            )
    return out.getvalue()


def npz_bytes(trainer: Trainer, config: dict[str, Any]) -> bytes:
    """W0, b0 (step 0), W, b (now), x = a_0 as fed, y, r, loss (one per step), config (0-d JSON)."""
    w0, b0 = trainer.initial_params()
    w, b = trainer.params()
    buf = io.BytesIO()
    np.savez(
        buf,
        W0=w0,
        b0=b0,
        W=w,
        b=b,
        x=trainer.x,
        y=trainer.task.y,
        r=trainer.task.readout,
        loss=trainer.history.losses.copy(),
        config=np.array(json.dumps(config)),
    )
    return buf.getvalue()
