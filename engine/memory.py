"""Will a compute fit in memory? What a forward + backward pass holds, checked before it starts.

At the largest settings the forward pass keeps gigabytes for the backward pass (each
layer's output, phi' and a normalised block's z-hat). On a machine without that much
free, the system would swap, or kill the app, part-way through. `check_compute` refuses
such a compute at once with one line saying what it needs and what is available, so the
window stays responsive and the user can lower depth, width or batch. Small computes
(under `CHECK_FROM` bytes) are never checked: a drag does not read /proc per frame.
"""

from __future__ import annotations

from .activations import TABLE
from .config import Settings
from .weights import WeightCache, available_memory, network_bytes

CHECK_FROM = 256 * 2**20  # below this a compute is not checked
HEADROOM = 0.9  # share of the memory available at start that a compute may take
_GB = 1e9


class OutOfMemory(MemoryError):
    """The compute would need more memory than the machine has available."""


def _bytes_per_entry(settings: Settings, pooled: bool) -> tuple[int, int, int]:
    """Bytes per batch x width entry that each layer keeps: (output, phi', z-hat)."""
    s = settings
    item = 4 if s.dtype == "float32" else 8
    act = TABLE[s.activation]
    if pooled:  # the workspace's buffers: phi' in the network's dtype whatever the activation
        deriv = item
    elif act.unit_slope:
        deriv = 0
    else:
        deriv = 1 if s.activation == "relu" else item  # relu's phi' is a boolean mask
    return item, deriv, item if s.norm != "none" else 0


def compute_parts(
    settings: Settings, cache: WeightCache | None = None, *, pooled: bool = False
) -> tuple[int, int, int]:
    """(kept layers, new weights, transients): the bytes a compute of `settings` allocates at its peak.

    Kept layers: each layer's output, phi' and z-hat, held for the backward pass. `pooled`:
    the engine's workspace provides those buffers (it does only for small nets). New weights:
    what `cache` lacks of this network, as far as its budget lets it grow (beyond that it
    evicts older arrays; None: all of them). Transients: a few batch x width arrays, one width x width
    weight gradient, and one layer's float64 draw with its QR's copies.
    """
    s = settings
    L, n, B = s.depth, s.width, s.batch
    out, deriv, zhat = _bytes_per_entry(s, pooled)
    held = ((L + 1) * out + L * (deriv + zhat)) * B * n
    transient = 6 * B * n * out + n * n * out + 3 * n * n * 8
    weights = network_bytes(s) if cache is None else _cache_growth(s, cache)
    return held, weights, transient


def _cache_growth(settings: Settings, cache: WeightCache) -> int:
    """What `cache` lacks of this network, as far as its budget lets it grow (beyond, it evicts older arrays)."""
    return max(0, min(network_bytes(settings) - cache.held_bytes(settings), cache.budget_bytes - cache.nbytes))


def compute_bytes(settings: Settings, cache: WeightCache | None = None, *, pooled: bool = False) -> int:
    """Bytes a compute of `settings` allocates at its peak, beyond what `cache` holds already."""
    return sum(compute_parts(settings, cache, pooled=pooled))


def check_compute(
    settings: Settings, cache: WeightCache | None = None, *, pooled: bool = False, available: int | None = None
) -> None:
    """Raise `OutOfMemory` (one line) if the compute needs more than `HEADROOM` of the memory available."""
    held, weights, transient = compute_parts(settings, pooled=pooled)
    if held + weights + transient < CHECK_FROM:  # an upper bound: small computes never ask the cache or /proc
        return
    if cache is not None:
        weights = _cache_growth(settings, cache)
    need = held + weights + transient
    free = available_memory() if available is None else available
    if free is None or need <= HEADROOM * free:  # unknown (not Linux): nothing to go by
        return
    cache_too = ", or the weight cache" if weights >= 0.1 * need else ""
    raise OutOfMemory(
        f"needs {need / _GB:.1f} GB, {HEADROOM * free / _GB:.1f} GB usable "
        f"({HEADROOM:.0%} of the {free / _GB:.1f} GB free): lower the depth, width or batch{cache_too}"
    )
