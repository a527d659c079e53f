"""Trained layers: affine layers whose W and b are their own arrays, updated in place.

They start from exactly the parameters the chart's layers use (`Layer.params()`: the scaled
matrix, s*I for identity init, and the bias) and are `engine.layers.Affine` subclasses, so
training runs the chart's forward and backward pass; a residual or normalised network wraps
each in the chart's `engine.residual.Block`. Unlike the chart's layers a trained layer always
adds its bias (b starts at 0 when the chart has none), and its backward pass keeps both
gradients, dLoss/dW and dLoss/db, in its own buffers for the optimiser.
"""

from __future__ import annotations

import numpy as np

from . import layers
from .config import Settings
from .layers import Affine, Layer, WeightGrad
from .stats import rms_and_nonfinite
from .weights import WeightCache


class TrainableAffine(Affine):
    """z = a W^T + b (then phi, or the block's steps) with W (n x n) and b (n) owned."""

    __slots__ = ("b", "db", "dw", "w")

    def __init__(self, shared: layers._Shared, index: int, w: np.ndarray, b: np.ndarray) -> None:
        super().__init__(shared, index)
        self.w = np.array(w, copy=True)
        self.b = np.array(b, copy=True)
        self.dw = np.zeros_like(self.w)
        self.db = np.zeros_like(self.b)

    def _map(self, a: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return np.matmul(a, self.w.T, out=out)

    def _map_t(self, delta: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return np.matmul(delta, self.w, out=out)

    def _map_jacobian(self, J: np.ndarray) -> np.ndarray:
        return self.w.astype(np.float64) @ J

    def _bias(self) -> np.ndarray:
        return self.b

    def _weight_grad(self, delta: np.ndarray, a_in: np.ndarray, keep: bool, dw_out: np.ndarray | None) -> WeightGrad:
        """dLoss/dW = delta^T a_in / B and dLoss/db = sum_b delta / B into `dw`, `db` (`dw_out` ignored)."""
        batch = delta.dtype.type(delta.shape[0])
        np.matmul(delta.T, a_in, out=self.dw)
        self.dw /= batch
        np.sum(delta, axis=0, out=self.db)
        self.db /= batch
        rms, bad = rms_and_nonfinite(self.dw)
        return WeightGrad(rms, bad, self.dw.size, self.dw)

    def weight(self) -> np.ndarray:
        """W now."""
        return self.w

    def params(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b) now."""
        return self.w, self.b


def network(settings: Settings, cache: WeightCache) -> tuple[list[Layer], list[TrainableAffine]]:
    """(the layers to propagate through, their trained affine parts in order) for `settings`.

    Plain networks propagate through the affine layers themselves; residual or normalised
    ones through `engine.residual.Block`s around them, exactly as the chart builds them.
    """
    chart = layers.network(settings, cache)
    trained: list[TrainableAffine] = []

    def make(shared: layers._Shared, index: int) -> TrainableAffine:
        lay = TrainableAffine(shared, index, *chart[index - 1].params())
        trained.append(lay)
        return lay

    return layers.network(settings, cache, make), trained
