"""Singular values of the input-output Jacobian d a_L / d a_0 at one input sample.

J = D_L W_L ... D_1 W_1 with W_l = s W0_l (as used by the network) and
D_l = diag(phi'(z_l)) at row 0 of the input batch. The forward pass of that sample is done
in the settings' dtype, like the engine; J is accumulated in float64 and kept normalised
by a power of two per layer (tracked in `log2_scale`), so s^L beyond float64 still gives
finite log10 singular values. Dynamical isometry (Saxe et al. 2014; Pennington et al.
2017) means all of them near 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import Settings, SettingsError
from .jobs import Progress, Steps, drive
from .layers import network
from .propagate import forward, input_batch
from .weights import WeightCache

MAX_WIDTH = 512
MAX_DEPTH = 200


class JacobianTooLarge(SettingsError):
    """The network is too wide or too deep for the Jacobian spectrum; `name` says which."""


@dataclass(frozen=True, slots=True)
class JacobianSpectrum:
    """Singular values of d a_L / d a_0 at input sample 0, in decreasing order (float64).

    `singular_values` may hold inf (beyond float64) or NaN (the forward pass overflowed,
    see `note`); `log10_singular_values` stays finite as long as J is (-inf for exact 0).
    """

    settings: Settings
    singular_values: np.ndarray
    log10_singular_values: np.ndarray
    note: str

    @property
    def mean_squared(self) -> float:
        """Mean of sigma_i^2 = ||J||_F^2 / n."""
        with np.errstate(over="ignore"):
            return float(np.mean(self.singular_values**2))

    @property
    def log10_floor(self) -> float:
        """log10 of the precision floor: n * eps(float64) * sigma_max.

        The SVD's absolute error is at most about this (LAPACK's bound; in practice often
        smaller): a singular value below it is not resolved, its true value lies somewhere
        under the floor and its printed digits are rounding noise. It covers rounding in the
        product and the SVD only, not a forward pass that is itself chaotic. NaN when there
        is no spectrum or no non-zero singular value.
        """
        logs = self.log10_singular_values
        finite = logs[np.isfinite(logs)]
        if finite.size == 0 or not self.finite:
            return math.nan
        return float(finite.max()) + math.log10(logs.size * float(np.finfo(np.float64).eps))

    @property
    def below_floor(self) -> int:
        """How many singular values lie below `log10_floor` (exact zeros included; 0 if NaN)."""
        floor = self.log10_floor
        if math.isnan(floor):
            return 0
        return int(np.count_nonzero(self.log10_singular_values < floor))

    @property
    def finite(self) -> bool:
        """True when every singular value was computed (no overflow to NaN)."""
        return bool(np.all(~np.isnan(self.singular_values)))


def check_size(settings: Settings) -> None:
    """Raise `JacobianTooLarge` (a `SettingsError`) if width > 512 or depth > 200."""
    if settings.width > MAX_WIDTH:
        raise JacobianTooLarge(
            "width",
            f"the Jacobian spectrum needs width <= {MAX_WIDTH} (got {settings.width}); lower the width",
        )
    if settings.depth > MAX_DEPTH:
        raise JacobianTooLarge(
            "depth",
            f"the Jacobian spectrum needs depth <= {MAX_DEPTH} (got {settings.depth}); lower the depth",
        )


def jacobian_spectrum(
    settings: Settings,
    *,
    cache: WeightCache | None = None,
) -> JacobianSpectrum:
    """Singular values of the input-output Jacobian at row 0 of the input batch; see `jacobian_steps`."""
    return drive(jacobian_steps(settings, cache=cache))


def jacobian_steps(settings: Settings, *, cache: WeightCache | None = None) -> Steps[JacobianSpectrum]:
    """The job of `jacobian_spectrum`: yields `Progress` before each layer and before the SVD.

    Raises `JacobianTooLarge` beyond width 512 or depth 200. Pass `Engine.cache` to reuse
    drawn weights.
    """
    check_size(settings)
    s = settings
    n, L = s.width, s.depth
    net = network(s, cache if cache is not None else WeightCache())
    J = np.eye(n)
    log2_scale = 0
    note = ""
    with np.errstate(all="ignore"):
        steps = forward(net, input_batch(s)[:1].copy(), weight_grad=False)
        for i in range(L):
            yield Progress(0.95 * i / L)
            layer, _, ctx = next(steps)
            J = layer.jvp(J, ctx)
            # Renormalise by a power of two (exact): keeps J within float64.
            m = float(np.max(np.abs(J)))
            if m > 0 and math.isfinite(m):
                e = math.frexp(m)[1]
                if abs(e) > 64:
                    J = np.ldexp(J, -e)
                    log2_scale += e
        yield Progress(1.0)  # the layers are done; what is left is one SVD
        if not np.all(np.isfinite(J)):
            sv = np.full(n, np.nan)
            logs = np.full(n, np.nan)
            note = "the forward pass overflowed (inf/NaN in phi'(z)): no spectrum"
        else:
            sv_n = np.linalg.svd(J, compute_uv=False)
            with np.errstate(divide="ignore"):
                logs = np.log10(sv_n) + log2_scale * math.log10(2.0)
            sv = np.ldexp(sv_n, log2_scale) if log2_scale else sv_n
    return JacobianSpectrum(s, sv, logs, note)
