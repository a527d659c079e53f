"""Run wide networks for tests/engine/test_theory.py in a child process with one BLAS thread.

Usage: python tests/engine/wide_worker.py OUT.npz SEED [SEED ...] < settings.json (a JSON list of
settings dicts). Writes `act` and `grad` (cases x seeds x L+1): the per-layer activation and
gradient RMS that `engine.Engine.compute` measures. One BLAS thread per process: OpenBLAS
threads that spin on a shared, busy machine made the 240 QR factorisations of the
orthogonal matrices 5-30x slower; two single-threaded workers side by side do not.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

if __name__ == "__main__":  # a worker; imported by a test (for seed_mean_runs) it leaves the environment alone
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # after the thread settings

from depthlens.engine import Engine, Settings


def seed_mean_runs(cases: list[Settings], seeds: int, folder: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    """(act, grad) of shape (cases, seeds, L + 1) from two single-threaded workers, seeds split between them.

    For the tests' fixtures: this file run as a script in child processes with one BLAS thread.
    """
    root = pathlib.Path(__file__).resolve().parents[2]
    payload = json.dumps([c.to_dict() for c in cases])
    env = {**os.environ, "PYTHONPATH": str(root), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    procs = []
    for part, chunk in enumerate((range(0, seeds, 2), range(1, seeds, 2))):
        out = folder / f"part{part}.npz"
        cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), str(out), *map(str, chunk)]
        procs.append((out, subprocess.Popen(cmd, stdin=subprocess.PIPE, env=env, cwd=root, text=True)))
    for _, p in procs:
        assert p.stdin is not None
        p.stdin.write(payload)
        p.stdin.close()
    for _, p in procs:
        assert p.wait(timeout=900) == 0
    act = np.concatenate([np.load(out)["act"] for out, _ in procs], axis=1)
    grad = np.concatenate([np.load(out)["grad"] for out, _ in procs], axis=1)
    assert act.shape[1] == seeds
    return act, grad


def main(argv: list[str]) -> int:
    out, seeds = argv[0], [int(s) for s in argv[1:]]
    cases = [Settings.from_dict(d) for d in json.load(sys.stdin)]
    eng = Engine()
    L = cases[0].depth
    act = np.empty((len(cases), len(seeds), L + 1))
    grad = np.empty_like(act)
    # Seed by seed, gaussian cases before orthogonal ones: each seed's matrices are drawn
    # once and shared by every activation (they fit the cache's budget for one seed).
    order = sorted(range(len(cases)), key=lambda i: cases[i].init)
    for j, seed in enumerate(seeds):
        for i in order:
            m = eng.compute(cases[i].replace(seed=seed)).measured
            act[i, j], grad[i, j] = m.activation_rms, m.gradient_rms
        eng.cache.clear()
    np.savez(out, act=act, grad=grad)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
