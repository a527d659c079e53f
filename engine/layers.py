"""Layer kinds: what one layer does forward, backward and to a Jacobian.

A network is a list of layers (`network`); `engine.propagate` runs any such list, so a new
kind is one class and its line in `network`: the residual / normalised block is
`engine.residual.Block` (normalisations in `engine.norm`) around an affine layer of this file.
Matrices stay unscaled in the `WeightCache`; the scale is folded into the products, so
moving the scale or bias slider never redraws anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from .activations import TABLE, Activation
from .config import Settings
from .norm import make as make_norm
from .residual import Block
from .stats import gram_is_cheaper, gram_rms, rms_and_nonfinite
from .weights import WeightCache

# What an affine layer's backward pass keeps from its forward pass: (a_in, d), the layer's
# input for dLoss/dW (None when not wanted) and phi'(z) (None: 1 everywhere).
Ctx = tuple[np.ndarray | None, np.ndarray | None]


class WeightGrad(NamedTuple):
    """dLoss/dW of one layer: its RMS (mean over the batch), inf/NaN count and size."""

    rms: float
    nonfinite: int
    entries: int
    array: np.ndarray | None  # dLoss/dW itself, when kept


class Layer(Protocol):
    """One layer of the network; its context `ctx` is opaque to the loop."""

    index: int  # 1-based

    @property
    def nonneg(self) -> bool:
        """True when every output is >= 0 (max |a| = max a)."""
        ...

    def forward(
        self, a: np.ndarray, out: np.ndarray | None = None, d_out: np.ndarray | None = None, *, weight_grad: bool = True
    ) -> tuple[np.ndarray, Any]:
        """(output, ctx); `out`, `d_out` are optional buffers; without `weight_grad` ctx keeps less."""
        ...

    def backward(
        self,
        g: np.ndarray,
        ctx: Any,
        *,
        keep: bool = False,
        weight_grad: bool = True,
        out: np.ndarray | None = None,
        dw_out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, WeightGrad | None]:
        """(g at the layer's input, its weight gradient); `g` may be overwritten unless `keep`."""
        ...

    def jvp(self, J: np.ndarray, ctx: Any) -> np.ndarray:
        """d(output)/d(network input) from J = d(input)/d(network input), for a one-sample forward."""
        ...

    def inactive(self, ctx: Any) -> int:
        """How many output units are dead or saturated."""
        ...

    def derivative(self, ctx: Any) -> np.ndarray | None:
        """phi'(z) of the output units (None: 1 everywhere), for the trace."""
        ...

    def params(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b) as used: scaled, in the network's dtype."""
        ...


@dataclass(frozen=True, slots=True)
class _Shared:
    """What every layer of one network shares: the settings as the dtype's scalars."""

    act: Activation
    cache: WeightCache
    init: str
    seed: int
    width: int
    dtype: str
    dt: np.dtype
    scale: np.generic
    scale_f: float  # the same as a Python float (what the float64 Jacobian multiplies by)
    bias_std: np.generic | None  # None: no bias
    hold: bool  # keep each matrix after its first use (the run's matrices fit the cache anyway)


class Affine:
    """a -> phi(z), z = s (a W0^T) + b; subclasses say what the map a -> s a W0^T is.

    The trained layers of `engine.trainable` are subclasses too: one forward and backward
    pass for the chart and for training.
    """

    __slots__ = ("_c", "_w", "index")

    def __init__(self, shared: _Shared, index: int) -> None:
        self._c = shared
        self.index = index
        self._w: np.ndarray | None = None

    @property
    def nonneg(self) -> bool:
        """True when every output is >= 0 (the activation's)."""
        return self._c.act.nonneg

    def _map(self, a: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def _map_t(self, delta: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def _map_jacobian(self, J: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def weight(self) -> np.ndarray:
        """W = s W0 as used, in the network's dtype."""
        raise NotImplementedError

    def forward(
        self, a: np.ndarray, out: np.ndarray | None = None, d_out: np.ndarray | None = None, *, weight_grad: bool = True
    ) -> tuple[np.ndarray, Ctx]:
        """(phi(z), (a, phi'(z))); the caller holds `np.errstate(all="ignore")`."""
        z = self._map(a, out)
        b = self._bias()
        if b is not None:
            z += b
        y, d = self._c.act.forward(z, d_out)
        return y, (a if weight_grad else None, d)

    def _bias(self) -> np.ndarray | None:
        """The bias added to z (None: none)."""
        c = self._c
        if c.bias_std is None:
            return None
        return c.cache.bias(c.seed, c.width, self.index, c.dtype) * c.bias_std

    def backward(
        self,
        g: np.ndarray,
        ctx: Ctx,
        *,
        keep: bool = False,
        weight_grad: bool = True,
        out: np.ndarray | None = None,
        dw_out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, WeightGrad | None]:
        """g_in = delta W, dLoss/dW = delta^T a_in / B with delta = g * phi'(z).

        Without `keep`, delta is formed in `g` (which the caller no longer needs) and only
        the statistics of dLoss/dW are returned; with it, g is left alone and dLoss/dW kept.
        """
        a_in, d = ctx
        if d is None:
            delta = g
        elif keep:
            delta = g * d
        else:
            delta = np.multiply(g, d, out=g)
        grad = None
        if weight_grad:
            assert a_in is not None, "forward ran without weight_grad"
            grad = self._weight_grad(delta, a_in, keep, dw_out)
        return self._map_t(delta, out), grad

    def _weight_grad(self, delta: np.ndarray, a_in: np.ndarray, keep: bool, dw_out: np.ndarray | None) -> WeightGrad:
        """dLoss/dW = delta^T a_in / B: its statistics, and the array itself with `keep`.

        Without `keep`, where B is small against n, the RMS comes from the two B x B Gram
        matrices (`stats.gram_rms`, the same value to float rounding); it falls back to the
        product wherever that form could lose digits or meets inf/NaN (counted per entry).
        """
        batch, n_out = delta.shape
        n_in = a_in.shape[1]
        if not keep and gram_is_cheaper(batch, n_out, n_in):
            rms_g = gram_rms(delta, a_in)
            if rms_g is not None:
                return tuple.__new__(WeightGrad, (rms_g / batch, 0, n_out * n_in, None))
        dw = np.matmul(delta.T, a_in, out=dw_out)
        rms, bad = rms_and_nonfinite(dw)
        batch = delta.shape[0]
        if keep:
            dw /= self._c.dt.type(batch)
        # tuple.__new__: a NamedTuple's own __new__ costs twice as much, on every layer.
        return tuple.__new__(WeightGrad, (rms / batch, bad, dw.size, dw if keep else None))

    def jvp(self, J: np.ndarray, ctx: Ctx) -> np.ndarray:
        """D W J in float64, D = diag(phi'(z)) of the one sample; J may be overwritten."""
        J = self._map_jacobian(J)
        d = ctx[1]
        if d is not None:
            J *= d[0].astype(np.float64)[:, None]
        return J

    def inactive(self, ctx: Ctx) -> int:
        """Units the activation's rule counts as dead or saturated (none when phi' = 1)."""
        d = ctx[1]
        return 0 if d is None else self._c.act.inactive(d)

    def derivative(self, ctx: Ctx) -> np.ndarray | None:
        """phi'(z) (None: 1 everywhere)."""
        return ctx[1]

    def params(self) -> tuple[np.ndarray, np.ndarray]:
        """(W, b) as used: scaled, in the network's dtype."""
        b = self._bias()
        return self.weight(), np.zeros(self._c.width, dtype=self._c.dt) if b is None else b

    @staticmethod
    def multiply_adds(batch: int, width: int) -> float:
        """Multiply-adds of the layer's products in one forward + backward pass."""
        raise NotImplementedError


class Dense(Affine):
    """W = s W0 with W0 drawn per layer (gaussian, orthogonal or uniform, `Settings.init`)."""

    __slots__ = ()

    def _matrix(self) -> np.ndarray:
        w = self._w
        if w is None:
            c = self._c
            w = c.cache.matrix(c.init, c.seed, c.width, self.index, c.dtype)
            if c.hold:  # saves a locked cache lookup in the backward pass
                self._w = w
        return w

    def _map(self, a: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        z = np.matmul(a, self._matrix().T, out=out)
        z *= self._c.scale
        return z

    def _map_t(self, delta: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        g = np.matmul(delta, self._matrix(), out=out)
        g *= self._c.scale
        return g

    def _map_jacobian(self, J: np.ndarray) -> np.ndarray:
        J = self._matrix().astype(np.float64) @ J
        J *= self._c.scale_f
        return J

    def weight(self) -> np.ndarray:
        """W = s W0 as used, in the network's dtype."""
        return self._matrix() * self._c.scale

    @staticmethod
    def multiply_adds(batch: int, width: int) -> float:
        """Three B x n x n products: a W^T, delta^T a, delta W."""
        return 3.0 * batch * width * width


class ScaledIdentity(Affine):
    """W = s I (the lecture's network): products are elementwise, nothing is drawn."""

    __slots__ = ()

    def _map(self, a: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return np.multiply(a, self._c.scale, out=out)

    def _map_t(self, delta: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return np.multiply(delta, self._c.scale, out=out)

    def _map_jacobian(self, J: np.ndarray) -> np.ndarray:
        J *= self._c.scale_f
        return J

    def weight(self) -> np.ndarray:
        """W = s I in the network's dtype."""
        c = self._c
        return np.eye(c.width, dtype=c.dt) * c.scale

    @staticmethod
    def multiply_adds(batch: int, width: int) -> float:
        """The elementwise products (dLoss/dW's B x n x n product left out, as always in the cost model)."""
        return 6.0 * batch * width


class Zeros(Affine):
    """W = 0 (whatever s): z = b, so every unit of a layer computes phi(b_i).

    Without a bias all units are equal (the symmetry nothing can break), and
    g_{l-1} = delta W = 0 exactly below the output layer; dLoss/dW_l = delta_l^T a_{l-1} / B
    is 0 below it too.
    """

    __slots__ = ()

    def _map(self, a: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        shape = (a.shape[0], self._c.width)
        if out is None:
            return np.zeros(shape, dtype=self._c.dt)
        out.fill(0)
        return out

    def _map_t(self, delta: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        return self._map(delta, out)

    def _map_jacobian(self, J: np.ndarray) -> np.ndarray:
        J[...] = 0.0
        return J

    def weight(self) -> np.ndarray:
        """W = 0 in the network's dtype."""
        c = self._c
        return np.zeros((c.width, c.width), dtype=c.dt)

    @staticmethod
    def multiply_adds(batch: int, width: int) -> float:
        """Filling z and g with zeros (dLoss/dW's product left out, as always in the cost model)."""
        return 2.0 * batch * width


KINDS: dict[str, type[Affine]] = {
    "identity": ScaledIdentity,
    "gaussian": Dense,
    "orthogonal": Dense,
    "uniform": Dense,
    "zeros": Zeros,
}


def _shared(settings: Settings, cache: WeightCache, hold: bool) -> _Shared:
    s = settings
    dt = np.dtype(s.dtype)
    bias = dt.type(s.bias_std) if s.bias_std > 0 else None
    scale = dt.type(s.scale)
    return _Shared(TABLE[s.activation], cache, s.init, s.seed, s.width, s.dtype, dt, scale, float(scale), bias, hold)


# Makes layer `index` (1-based) from the shared settings: an affine class, or a trained layer's factory.
AffineMaker = Callable[[_Shared, int], Affine]


def network(settings: Settings, cache: WeightCache, make: AffineMaker | None = None) -> list[Layer]:
    """Layers 1..L of `settings`, drawing their matrices from `cache` as they are used.

    Each layer holds its matrix after the first use when the whole run's matrices fit the
    cache's budget anyway; otherwise the backward pass fetches (or redraws) it again.
    `make` builds the affine layers (default: the init's kind); a residual or normalised
    network wraps each in an `engine.residual.Block`.
    """
    s = settings
    hold = s.depth * s.width * s.width * np.dtype(s.dtype).itemsize <= cache.budget_bytes
    shared = _shared(s, cache, hold)
    kind = KINDS[s.init] if make is None else make
    if not s.plain:
        return _blocks(s, shared, kind)
    return [kind(shared, index) for index in range(1, s.depth + 1)]


def _blocks(s: Settings, shared: _Shared, kind: AffineMaker) -> list[Layer]:
    """Residual and/or normalised blocks (`engine.residual`) around unit-slope affine layers."""
    affine = dataclasses.replace(shared, act=TABLE["linear"])
    alpha = shared.dt.type(s.branch_scale) if s.residual > 0 else None
    norm = make_norm(s.norm)
    return [Block(kind(affine, index), shared.act, norm, alpha) for index in range(1, s.depth + 1)]


def layer(settings: Settings, cache: WeightCache, index: int) -> Layer:
    """Layer `index` (1..L) of `settings` alone, e.g. for its parameters."""
    return KINDS[settings.init](_shared(settings, cache, False), index)


def multiply_adds(settings: Settings) -> float:
    """Multiply-adds of one layer's products in one forward + backward pass."""
    return KINDS[settings.init].multiply_adds(settings.batch, settings.width)
