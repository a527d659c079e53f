"""The plain-words readout under the chart: how much the signal grew, and the theory.

`describe(result)` builds the sentences (pure Python, testable without a display);
`Readout` shows them with the verdict words in the theme's health colours.
"""

from __future__ import annotations

import html
import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy

from depthlens.engine import Result, numbers
from depthlens.engine.block_theory import chi_label, gradient_caveat
from depthlens.engine.health import HEALTH_DECADES
from depthlens.engine.numbers import superscript

from . import theme as themes

VERDICTS = ("vanishing", "stable", "exploding")
ROUNDING = 1e-6  # a per-layer factor this close to 1 is rounding, not a trend


sci = numbers.sci


def verdict(ratio: float) -> str:
    """exploding / stable / vanishing: the chart's colour rule applied to a whole net."""
    if not math.isfinite(ratio):
        return "exploding" if ratio == math.inf or math.isnan(ratio) else "vanishing"
    if ratio <= 0:
        return "vanishing"
    k = math.log10(ratio)
    if k > HEALTH_DECADES:
        return "exploding"
    if k < -HEALTH_DECADES:
        return "vanishing"
    return "stable"


def _factor(base: float) -> str:
    # Near 1 show enough decimals that base^k is not misread (1.002^50, not 1^50).
    near = abs(base - 1)
    if 0 < near < 0.05:
        decimals = max(2, 1 - math.floor(math.log10(near)))
        return f"{base:.{decimals}f}"
    return f"{base:.3g}"


def _power(base: float, k: int) -> str:
    return _factor(base) + superscript(k)


def _flow_sentence(result: Result, column: str) -> tuple[str, str]:
    """(sentence, verdict) for activations (forward) or gradients (backward)."""
    L = result.depth
    col = result.column(column)
    forward = column == "activation_rms"
    first, last = (0, L) if forward else (L, 0)
    start, end = float(col[first]), float(col[last])
    what, ref = ("Output activation", "the input") if forward else ("Input gradient", "the output gradient")
    g = result.growth_factor(column)
    per = f"×{_factor(g)} per layer" + ("" if forward else ", going backwards")
    bad = result.first_nonfinite_layer("activation" if forward else "gradient")
    if bad is not None:
        where = f"layer {bad}"
        v = verdict(math.inf)
        return (
            f"{what.split()[1].capitalize()}s overflow to inf/NaN at {where} ({result.settings.dtype}) "
            f"— {v}" + (f" ({per} before that)" if math.isfinite(g) else ""),
            v,
        )
    ratio = end / start if start > 0 else math.nan
    v = verdict(ratio)
    if end == 0:
        return f"{what} = 0 × {ref} (underflow) — vanishing", "vanishing"
    if math.isfinite(g) and g > 0 and abs(g - 1) < ROUNDING:
        # Kept to rounding (orthogonal weights): 0.99999999940⁵⁰ would hide that in digits.
        kept = "× 1" if g == 1 else f"× 1 to within {sci(abs(g - 1))}"
        return f"{what} = {sci(ratio)} × {ref} — {v} ({kept} per layer: kept, up to rounding)", v
    if math.isfinite(g) and g > 0:
        return f"{what} = {_power(g, L)} ≈ {sci(ratio)} × {ref} — {v} ({per})", v
    return f"{what} = {sci(ratio)} × {ref} — {v}", v


def near_one(x: float) -> str:
    """A factor with enough decimals that one near 1 never prints as 1 (1.005, not 1)."""
    if not math.isfinite(x) or x <= 0 or x == 1 or abs(x - 1) >= 0.1:
        return f"{x:.3g}"
    decimals = min(12, 2 - math.floor(math.log10(abs(x - 1))))
    return f"{x:.{decimals}f}"


def theory_sentence(result: Result) -> str:
    """The theory's per-layer gradient factor chi = s² E[φ'²], or why there is none."""
    th = result.theory
    if not th.defined:
        return f"Theory: {th.note}"
    chi = np.asarray(th.chi, dtype=np.float64)[1:]
    chi = chi[np.isfinite(chi)]
    if chi.size == 0:
        return f"Theory ({th.kind}): no finite factor"
    lo, hi, out = float(chi.min()), float(chi.max()), float(chi[-1])
    if abs(out - 1) < 1e-3:
        grow_text = "gradients keep their size (√χ = 1)"
    else:
        grow_text = f"gradients {'grow' if out > 1 else 'shrink'} ×{near_one(math.sqrt(max(out, 0.0)))} per layer (√χ)"
    label = chi_label(result.settings)
    if hi - lo <= 1e-3 * max(abs(hi), 1e-300):
        factor = f"χ = {label} = {near_one(out)} per layer"
    else:
        factor = f"χ = {label} from {lo:.3g} to {hi:.3g} across layers ({out:.3g} at the output)"
    return f"Theory ({th.kind}): {factor} → {grow_text}{_runaway_clause(result)}"


def _runaway_clause(result: Result) -> str:
    """Where the mean-field variance grows without bound, say why (no or an out-of-reach q*)."""
    th = result.theory
    if th.kind != "mean-field" or not th.runaway:
        return ""
    if math.isinf(th.q_star):
        return "; no stable fixed point q*: the variance grows without bound"
    return (
        f"; the input's variance v₁ = {th.q_start:.3g} lies above the unstable fixed point "
        f"{th.q_unstable:.3g}, so the line runs away instead of settling at q* = {th.q_star:.3g}"
    )


LOSS_TEXT = {
    "random": (
        "Loss = Σᵢ rᵢ·a_L,ᵢ, a fixed random readout r (N(0, 1), each sample's row scaled to RMS 1): "
        "backpropagation starts from g_L = r. It is independent of the network, which is what the "
        "mean-field theory assumes."
    ),
    "sum": (
        "Loss = Σ outputs, as in the lecture: backpropagation starts from g_L = 1 in every unit. That "
        "start points the same way for every sample, so with ReLU-like activations it correlates with "
        "the non-negative outputs."
    ),
}


def loss_sentence(result: Result) -> str:
    """What the loss is and where the backward pass starts (two sentences per loss)."""
    return LOSS_TEXT[result.settings.loss]


def caveat_sentence(result: Result) -> str | None:
    """For a non-odd activation with random weights: how the loss moves the measured gradients.

    With Loss = Σ outputs they sit above the mean-field line (g_L = 1 correlates with the
    outputs; README); with the random readout they follow it. Odd activations (linear,
    tanh) and the exact identity theory do not depend on the loss: no note.
    """
    s = result.settings
    if s.init == "identity" or s.activation in ("linear", "tanh"):
        return None
    if s.loss == "sum":
        return (
            "Note: so here the measured gradients sit above the mean-field line; with Loss = random "
            "(a readout independent of the outputs) they follow it."
        )
    return "Note: with Loss = Σ outputs the gradients of this activation would sit above the mean-field line."


def lecture_sentence(result: Result) -> str | None:
    """For the lecture's W = s·I linear nets: where its ŷ = s^(L−1)·x sits on the chart (as in the README)."""
    s = result.settings
    if not (s.init == "identity" and s.activation == "linear" and s.bias_std == 0 and s.depth >= 2):
        return None
    L = s.depth
    val = s.scale ** (L - 1)
    return (
        f"Lecture: its ŷ = {s.scale:.3g}^(L−1)·x sets the output layer W^[L] aside, so with L = {L} it is "
        f"layer {L - 1} here ({_power(s.scale, L - 1)} ≈ {sci(val)}); every layer here is {s.scale:.3g}·I, "
        f"so the last bar is layer {L}."
    )


def architecture_sentence(result: Result) -> str | None:
    """For a residual or normalised net: which regime it is in (explodes, bounded, polynomial...)."""
    s = result.settings
    if s.plain:
        return None
    parts = []
    if s.residual > 0:
        alpha = s.branch_scale
        parts.append(f"skip connections, α = {s.residual:.3g}" + (f"/√L = {alpha:.3g}" if alpha != s.residual else ""))
    if s.norm != "none":
        parts.append(f"{s.norm} norm")
    text = f"Architecture ({', '.join(parts)}): {result.theory.regime or 'no regime known'}."
    caveat = gradient_caveat(s)
    return text + (" " + caveat if caveat else "")


def describe(result: Result) -> list[tuple[str, str | None]]:
    """The readout's lines as (text, verdict or None)."""
    lines: list[tuple[str, str | None]] = []
    lines.append(_flow_sentence(result, "activation_rms"))
    lines.append(_flow_sentence(result, "gradient_rms"))
    lines.append((theory_sentence(result), None))
    arch = architecture_sentence(result)
    if arch:
        lines.append((arch, None))
    lecture = lecture_sentence(result)
    if lecture:
        lines.append((lecture, None))
    lines.append((loss_sentence(result), None))
    caveat = caveat_sentence(result)
    if caveat:
        lines.append((caveat, None))
    return lines


class Readout(QLabel):
    """Rich-text label under the chart; `plain_text()` gives the same words unstyled."""

    def __init__(self, parent=None, *, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__(parent)
        self.theme = themes.get(theme)
        self._lines: list[tuple[str, str | None]] = []
        self._training: str | None = None
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setContentsMargins(12, 6, 12, 6)
        f = self.font()
        f.setPointSizeF(f.pointSizeF() * 1.25)
        self.setFont(f)
        self.setToolTip(
            "Plain-words summary: total growth of activations (forward) and gradients "
            "(backward), the per-layer factor, the theory's prediction and the loss."
        )
        self.setText("Computing…")

    def set_theme(self, name: str) -> None:
        """Recolour the verdict words."""
        self.theme = themes.get(name)
        self._render()

    def set_result(self, result: Result) -> None:
        """Describe `result`."""
        self._lines = describe(result)
        self._render()

    def set_training(self, line: str | None) -> bool:
        """While a training run is shown on the chart: its line (which layers learn), first; None clears it.

        Returns True if the text changed (then the caller refits the area around it).
        """
        if line == self._training:
            return False
        self._training = line
        self._render()
        return True

    def plain_text(self) -> str:
        """The readout without markup, one line per sentence."""
        return "\n".join(text for text, _ in self._all_lines())

    def _all_lines(self) -> list[tuple[str, str | None]]:
        return ([(self._training, None)] if self._training else []) + self._lines

    def _render(self) -> None:
        t = self.theme
        colours = {"exploding": t.exploding, "vanishing": t.vanishing, "stable": t.healthy}
        out = []
        for text, v in self._all_lines():
            esc = html.escape(text)
            if v is not None:
                esc = esc.replace(f"— {v}", f"— <b style='color:{colours[v]}'>{v}</b>", 1)
            out.append(esc)
        self.setText("<br>".join(out) if out else "Computing…")
