"""The chart's views, defined once: their names, labels and the result columns each draws.

Qt-free, so the command line, sessions, the walkthrough and the widgets share one list.
"""

from __future__ import annotations

VIEWS: tuple[str, ...] = ("activations", "gradients", "weight_gradients", "both")
VIEW_LABELS = {
    "activations": "Activations",
    "gradients": "Gradients",
    "weight_gradients": "Weight gradients",
    "both": "Activations + gradients",
}
# view -> the result columns drawn as bar series
VIEW_SERIES = {
    "activations": ("activation_rms",),
    "gradients": ("gradient_rms",),
    "weight_gradients": ("weight_grad_rms",),
    "both": ("activation_rms", "gradient_rms"),
}
SERIES_LABELS = {
    "activation_rms": "activation RMS",
    "gradient_rms": "gradient RMS",
    "weight_grad_rms": "weight-gradient RMS",
}
# Every CSV column in words, for tooltips (the CSV keeps its snake_case names).
COLUMN_WORDS = {
    "layer": "layer",
    "activation_rms": "activation RMS",
    "activation_max_abs": "largest |activation|",
    "gradient_rms": "gradient RMS",
    "weight_grad_rms": "weight-gradient RMS",
    "inactive_fraction": "inactive share (dead or saturated)",
    "nonfinite_fraction": "inf/NaN share",
    "theory_activation_rms": "theory: activation RMS",
    "theory_gradient_rms": "theory: gradient RMS",
}
THEORY_COLUMN = {"activation_rms": "theory_activation_rms", "gradient_rms": "theory_gradient_rms"}
