"""Deterministic per-layer weights with a memory-bounded cache.

Layer l's matrix depends only on (init, seed, width, l) and its bias on (seed, width, l),
so adding layers never changes the others. Matrices are stored *unscaled* (gaussian
N(0, 1/n), orthogonal Q, uniform U(-sqrt(3/n), sqrt(3/n)): all of variance 1/n); the engine
folds scale and bias_std into the products, so moving those sliders never redraws anything.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np

from .haar import haar

_INIT_CODE = {"gaussian": 1, "orthogonal": 2, "uniform": 3}
_BIAS_CODE = 11
_INPUT_CODE = 12
_READOUT_CODE = 13

MIB = 2**20
DEFAULT_BUDGET = 512 * MIB  # when the memory available cannot be read
AUTO_CAP = 8192 * MIB  # the automatic budget never exceeds this ...
AUTO_FLOOR = 64 * MIB  # ... nor falls below this
CACHE_MB_RANGE = (16, 1 << 20)  # --cache-mb and the preference, in MiB


def available_memory() -> int | None:
    """Bytes of memory available now (Linux: MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return None


def auto_budget(available: int | None = None) -> int:
    """The weight cache's automatic budget: half the memory available, within [AUTO_FLOOR, AUTO_CAP].

    Half leaves room for the workspace and everything else; the cap keeps one huge net from
    holding most of a big machine. Unknown memory gives `DEFAULT_BUDGET`.
    """
    if available is None:
        available = available_memory()
    if available is None:
        return DEFAULT_BUDGET
    return max(AUTO_FLOOR, min(AUTO_CAP, available // 2))


def budget_of(cache_mb: int | None) -> int:
    """Bytes for a --cache-mb / preference value (None or 0: automatic)."""
    return auto_budget() if not cache_mb else int(cache_mb) * MIB


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(list(key)))


def draw_matrix(init: str, seed: int, width: int, layer: int) -> np.ndarray:
    """Unscaled float64 matrix of 1-based `layer` (every kind has variance 1/n).

    Gaussian N(0, 1/n), Haar orthogonal, or uniform U(-sqrt(3/n), sqrt(3/n)), so the scale s
    means the same for all three.
    """
    key = (seed, _INIT_CODE[init], width, layer)
    rng = _rng(*key)
    if init == "uniform":
        half = np.sqrt(3.0 / width)
        return rng.uniform(-half, half, (width, width))
    g = rng.standard_normal((width, width))
    if init == "gaussian":
        g *= 1.0 / np.sqrt(width)
        return g
    # Q of g = QR with diag(R) > 0: Haar-distributed (Mezzadri 2007); g's memory becomes Q.
    return haar(g, redraw=lambda: _rng(*key).standard_normal((width, width)))


def draw_bias(seed: int, width: int, layer: int) -> np.ndarray:
    """Unit-variance float64 bias of 1-based `layer`; the engine multiplies by bias_std."""
    return _rng(seed, _BIAS_CODE, width, layer).standard_normal(width)


def draw_input(kind: str, seed: int, batch: int, width: int) -> np.ndarray:
    """The input batch x (B x n) as float64; gaussian rows are prefix-stable in B."""
    if kind == "ones":
        return np.ones((batch, width))
    return _rng(seed, _INPUT_CODE, width).standard_normal((batch, width))


def draw_readout(seed: int, batch: int, width: int) -> np.ndarray:
    """The random loss's readout r (B x n) as float64: N(0, 1) rows, each rescaled to RMS 1.

    Rows are prefix-stable in B (row b depends only on seed, width and b), like the input.
    Unit RMS makes g_L = r exactly as large as the sum loss's g_L = 1, so the closed forms
    (gradient_rms_l = s^(L-l) for W = s*I) hold in both modes.
    """
    r = _rng(seed, _READOUT_CODE, width).standard_normal((batch, width))
    rms = np.sqrt(np.mean(r * r, axis=1, keepdims=True))
    # A row of zeros has probability 0; keep it finite anyway (then the row is all ones).
    bad = rms[:, 0] == 0
    r[bad] = 1.0
    rms[bad] = 1.0
    return r / rms


DRAWN_INITS = ("gaussian", "orthogonal", "uniform")  # identity and zeros draw no matrix


def network_bytes(settings) -> int:
    """Bytes of the matrices and biases `settings` draws into the weight cache."""
    s = settings
    item = np.dtype(s.dtype).itemsize
    per_layer = (s.width * s.width if s.init in DRAWN_INITS else 0) + (s.width if s.bias_std > 0 else 0)
    return s.depth * per_layer * item


class WeightCache:
    """LRU cache of unscaled layer matrices and biases within a byte budget.

    Thread-safe: the engine thread fills it while the GUI thread may export from it.
    """

    def __init__(self, budget_bytes: int | None = DEFAULT_BUDGET) -> None:
        self.budget_bytes = auto_budget() if budget_bytes is None else int(budget_bytes)
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.draws = 0  # how many arrays were drawn (for tests and benchmarks)

    @property
    def nbytes(self) -> int:
        """Bytes currently held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def _get(self, key: tuple, make) -> np.ndarray:
        with self._lock:
            arr = self._items.get(key)
            if arr is not None:
                self._items.move_to_end(key)
                return arr
        arr = make()
        arr.setflags(write=False)
        with self._lock:
            self.draws += 1
            if arr.nbytes <= self.budget_bytes and key not in self._items:
                self._items[key] = arr
                self._bytes += arr.nbytes
                self._evict_to_budget()
        return arr

    def _evict_to_budget(self) -> None:
        """Drop the least recently used arrays until the rest fit; the caller holds the lock."""
        while self._bytes > self.budget_bytes:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.nbytes

    def set_budget(self, budget_bytes: int) -> None:
        """A new budget; the least recently used arrays go until the rest fit it."""
        with self._lock:
            self.budget_bytes = int(budget_bytes)
            self._evict_to_budget()

    def fits(self, settings) -> bool:
        """True if the drawn weights (and biases) of `settings` fit the budget together.

        When they do not, a recompute draws most of them again (the cache keeps the last
        ones used): the window says so, as that is what makes a large net slow.
        """
        return network_bytes(settings) <= self.budget_bytes

    def held_bytes(self, settings) -> int:
        """Bytes of `settings`' own matrices and biases the cache holds now."""
        s = settings
        keys: list[tuple] = [("W", s.init, s.seed, s.width, layer, s.dtype) for layer in range(1, s.depth + 1)]
        if s.bias_std > 0:
            keys += [("b", s.seed, s.width, layer, s.dtype) for layer in range(1, s.depth + 1)]
        with self._lock:
            return sum(arr.nbytes for key in keys if (arr := self._items.get(key)) is not None)

    def matrix(self, init: str, seed: int, width: int, layer: int, dtype: str) -> np.ndarray:
        """Unscaled matrix of `layer` in `dtype` (read-only)."""
        key = ("W", init, seed, width, layer, dtype)
        return self._get(key, lambda: draw_matrix(init, seed, width, layer).astype(dtype))

    def bias(self, seed: int, width: int, layer: int, dtype: str) -> np.ndarray:
        """Unit-variance bias of `layer` in `dtype` (read-only)."""
        key = ("b", seed, width, layer, dtype)
        return self._get(key, lambda: draw_bias(seed, width, layer).astype(dtype))
