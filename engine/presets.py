"""Named starting points: the lecture's examples and the papers' initialisations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .config import Settings


@dataclass(frozen=True, slots=True)
class Preset:
    """A named network with a one-line description."""

    name: str
    description: str
    settings: Settings


# float64 so that the lecture's numbers print exactly (1.5^49 = 425081000.14...); the
# lecture's loss is the sum of the outputs (g_L = 1).
_LECTURE: dict[str, Any] = {
    "init": "identity",
    "activation": "linear",
    "input": "ones",
    "depth": 50,
    "width": 2,
    "batch": 1,
    "dtype": "float64",
    "loss": "sum",
}
_RANDOM: dict[str, Any] = {"depth": 50, "width": 256, "batch": 64, "input": "gaussian"}
# He-initialised ReLU at ResNet-152's depth: the "before" and the fixes (the random loss).
_DEEP: dict[str, Any] = {**_RANDOM, "depth": 152, "activation": "relu", "init": "gaussian", "scale": math.sqrt(2.0)}
# The classic lecture table (CS231n, "Weight initialization"): 10 tanh layers of 500 units, a
# batch of unit-Gaussian inputs; W = c * randn(n, n) is s = c * sqrt(n) in depthlens's terms.
_CS231N: dict[str, Any] = {"depth": 10, "width": 500, "batch": 512, "input": "gaussian", "activation": "tanh"}

_LIST = (
    Preset(
        "lecture-explode",
        "Deep linear net, W = 1.5*I, 50 layers: activations grow as 1.5^l.",
        Settings(**_LECTURE, scale=1.5),
    ),
    Preset(
        "lecture-vanish",
        "Deep linear net, W = 0.5*I, 50 layers: activations shrink as 0.5^l.",
        Settings(**_LECTURE, scale=0.5),
    ),
    Preset(
        "lecture-0.9",
        "Deep linear net, W = 0.9*I: slow vanishing, 0.9^50 = 0.005.",
        Settings(**_LECTURE, scale=0.9),
    ),
    Preset(
        "gaussian-tanh-unscaled",
        "tanh with N(0, 16/n) weights (s = 4): units saturate, the net is chaotic, gradients explode backwards.",
        Settings(**_RANDOM, activation="tanh", init="gaussian", scale=4.0),
    ),
    Preset(
        "xavier-tanh",
        "tanh with Xavier/Glorot init N(0, 1/n): gradients within 10×; activations fade slowly (×0.95 per layer).",
        Settings(**_RANDOM, activation="tanh", init="gaussian", scale=1.0),
    ),
    Preset(
        "xavier-relu",
        "ReLU with Xavier init: the variance halves every layer (RMS ×0.71 per layer, 3e-8 at layer 50).",
        Settings(**_RANDOM, activation="relu", init="gaussian", scale=1.0),
    ),
    Preset(
        "he-relu",
        "ReLU with He init N(0, 2/n): the variance is preserved through depth.",
        Settings(**_RANDOM, activation="relu", init="gaussian", scale=math.sqrt(2.0)),
    ),
    Preset(
        "selu-lecun",
        "SELU with LeCun init N(0, 1/n): self-normalising activations.",
        Settings(**_RANDOM, activation="selu", init="gaussian", scale=1.0),
    ),
    Preset(
        "orthogonal-linear",
        "Linear net with orthogonal weights: every norm preserved, up to rounding.",
        Settings(**_RANDOM, activation="linear", init="orthogonal", scale=1.0),
    ),
    Preset(
        "plain-relu-152",
        "He-initialised ReLU net, 152 layers, no skip connections: the before (finite width wanders with depth).",
        Settings(**_DEEP),
    ),
    Preset(
        "resnet-relu-152",
        "The same with skip connections x + 1*relu(Wx): the signal doubles-plus every layer and explodes.",
        Settings(**_DEEP, residual=1.0),
    ),
    Preset(
        "resnet-relu-152-scaled",
        "Skip connections with the branch scaled by 1/sqrt(L): bounded at any depth (Hanin & Rolnick 2018).",
        Settings(**_DEEP, residual=1.0, residual_scaling="sqrt_depth"),
    ),
    Preset(
        "layernorm-tanh-200",
        "tanh with layer norm, 200 layers: the forward signal is flat, the gradients grow 1.085x per layer.",
        Settings(**{**_RANDOM, "depth": 200}, activation="tanh", init="gaussian", scale=1.0, norm="layer"),
    ),
    Preset(
        "batchnorm-relu-50",
        "ReLU with batch norm, 50 layers: the forward signal is pinned, the gradients explode (Yang et al. 2019).",
        Settings(**_RANDOM, activation="relu", init="gaussian", scale=math.sqrt(2.0), norm="batch"),
    ),
    Preset(
        "resnet-layernorm-relu-152",
        "Skip connections around layer-normalised ReLU branches, 152 layers: polynomial growth, tame gradients.",
        Settings(**_DEEP, residual=1.0, norm="layer"),
    ),
    Preset(
        "cs231n-small",
        "W = 0.01*randn, 10 tanh layers of 500 (sigma_w = 0.01, s = 0.22): "
        "activations and gradients shrink x0.22 a layer.",
        Settings(**_CS231N, init="gaussian", scale=0.01 * math.sqrt(500)),
    ),
    Preset(
        "cs231n-randn",
        "W = randn, 10 tanh layers of 500 (sigma_w = 1, s = 22.4): "
        "85% of units saturate, gradients still grow x3.5 a layer.",
        Settings(**_CS231N, init="gaussian", scale=math.sqrt(500)),
    ),
    Preset(
        "cs231n-xavier",
        "W = randn/sqrt(n), 10 tanh layers of 500 (Xavier, s = 1): activations shrink slowly.",
        Settings(**_CS231N, init="gaussian", scale=1.0),
    ),
    Preset(
        "glorot-standard-tanh",
        "Glorot & Bengio's U[-1/sqrt(n), 1/sqrt(n)] (s = 1/sqrt(3)), 5 tanh layers of 1000: "
        "gradients shrink towards the input (their Fig. 7).",
        Settings(depth=5, width=1000, batch=64, input="gaussian", activation="tanh", init="uniform",
                 scale=1.0 / math.sqrt(3.0)),
    ),
)

PRESETS: MappingProxyType[str, Preset] = MappingProxyType({p.name: p for p in _LIST})
