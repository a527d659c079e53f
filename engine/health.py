"""How healthy each bar is: within 10x of its reference layer, exploding, vanishing, inf/NaN, 0.

Pure numpy (the chart colours bars by it; the readout and tests use it too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .engine import Result
from .views import SERIES_LABELS

# Health codes of one bar.
VANISHING, HEALTHY, EXPLODING, NONFINITE, ZERO, BLANK = range(6)
HEALTH_NAMES = {
    VANISHING: "vanishing",
    HEALTHY: "healthy",
    EXPLODING: "exploding",
    NONFINITE: "inf/NaN (overflow)",
    ZERO: "exactly 0 (underflow)",
    BLANK: "blank",
}
HEALTH_DECADES = 1.0  # healthy = within 10^1 of the reference layer


def reference_row(column: str, depth: int) -> int:
    """The layer a series is compared with: the input for activations, else the output."""
    return 0 if column == "activation_rms" else depth


def first_bad_layer(values: np.ndarray, column: str) -> int | None:
    """The layer where inf/NaN first appears along the flow of `column` (None if none)."""
    bad = np.nonzero(~np.isfinite(values))[0]
    if column == "weight_grad_rms":
        bad = bad[bad > 0]  # row 0 is blank, not bad
    if not bad.size:
        return None
    return int(bad[0]) if column == "activation_rms" else int(bad[-1])


def overflow_label(result: Result | None, column: str, first_bad: int) -> str:
    """Name where inf/NaN starts, and why: 'gradient NaN at layer 44 and below, after ...'."""
    what = SERIES_LABELS[column].replace(" RMS", "")
    if column == "activation_rms" or result is None:
        return f"{what} overflow (inf/NaN) at layer {first_bad}"
    value = float(result.column(column)[first_bad])
    kind = "NaN" if math.isnan(value) else "inf"
    text = f"{what} {kind} at layer {first_bad} and below"
    acts = first_bad_layer(np.asarray(result.column("activation_rms"), dtype=np.float64), "activation_rms")
    if acts is not None:
        return f"{text}, after the activations overflowed at layer {acts}"
    return f"{text} (overflow flowing back)"


@dataclass(frozen=True)
class SeriesData:
    """What one bar series shows: raw values, finite log10 values and health codes."""

    column: str
    values: np.ndarray  # raw RMS per layer (may hold inf/NaN/0)
    logs: np.ndarray  # log10 where finite and > 0, else NaN
    codes: np.ndarray  # health code per layer
    reference: int
    first_bad: int | None
    first_zero: int | None


def series_data(result: Result, column: str) -> SeriesData:
    """Classify every layer of `column` of `result` (pure numpy, no Qt)."""
    values = np.asarray(result.column(column), dtype=np.float64)
    depth = result.depth
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(np.isfinite(values) & (values > 0), np.log10(np.abs(values)), np.nan)
    ref = reference_row(column, depth)
    ref_log = logs[ref]
    if not math.isfinite(ref_log):  # fall back to the nearest finite layer along the flow
        order = range(depth + 1) if ref == 0 else range(depth, -1, -1)
        ref_log = next((logs[i] for i in order if math.isfinite(logs[i])), 0.0)
    codes = np.full(depth + 1, HEALTHY, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        codes[logs > ref_log + HEALTH_DECADES] = EXPLODING
        codes[logs < ref_log - HEALTH_DECADES] = VANISHING
    codes[~np.isfinite(values)] = NONFINITE
    codes[values == 0] = ZERO
    if column == "weight_grad_rms":
        codes[0] = BLANK
    pending = result.pending(column)
    first_bad = first_bad_layer(values if pending is None else np.where(pending, 1.0, values), column)
    if pending is not None:  # a compute still running: these rows are not known yet (not NaN)
        codes[pending] = BLANK
        logs[pending] = np.nan
    zeros = np.nonzero(codes == ZERO)[0]
    return SeriesData(
        column,
        values,
        logs,
        codes,
        ref,
        first_bad,
        int(zeros[0]) if zeros.size else None,
    )
