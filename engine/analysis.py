"""The analyses (distributions, finite-width spread, phase diagram, Jacobian spectrum) and their CSVs.

One import point for the GUI and the CLI, plus CSV writers in the style of the main CSV
(`# depthlens VERSION`, `# key=value ...` of the settings, a `# key=value ...` line of the
analysis parameters, then a header row and the data rows; numbers via `engine.export.fmt`).

All compute functions are pure (no global state), take keyword-only options and return
frozen dataclasses of numpy arrays. Each long one has a job twin, `<name>_steps`, that
yields `Progress` (and, for the spread, `Partial`) at its checkpoints between layers or
stages (`engine.jobs`); the plain function drives it to its end.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable

import numpy as np

from .config import Settings
from .export import atomic_write, fmt, version
from .histograms import (
    QUANTITIES,
    Distributions,
    Histogram,
    asinh_decades,
    decades_to_value,
    distributions,
    distributions_steps,
)
from .jacobian import (
    MAX_DEPTH,
    MAX_WIDTH,
    JacobianSpectrum,
    JacobianTooLarge,
    check_size,
    jacobian_spectrum,
    jacobian_steps,
)
from .phase import (
    PhaseDiagram,
    PhasePoint,
    chi_1,
    critical_scale,
    depth_scale,
    divergence_scale,
    fixed_point,
    phase_diagram,
    phase_diagram_steps,
    point,
)
from .spread import PERCENTILES, SPREAD_QUANTITIES, Spread, percentiles, seed_list, spread, spread_steps

__all__ = [
    "HIST_COLUMNS",
    "JACOBIAN_COLUMNS",
    "MAX_DEPTH",
    "MAX_WIDTH",
    "PERCENTILES",
    "PHASE_COLUMNS",
    "QUANTITIES",
    "SPREAD_COLUMNS",
    "SPREAD_QUANTITIES",
    "Distributions",
    "Histogram",
    "JacobianSpectrum",
    "JacobianTooLarge",
    "PhaseDiagram",
    "PhasePoint",
    "Spread",
    "asinh_decades",
    "check_size",
    "chi_1",
    "critical_scale",
    "decades_to_value",
    "depth_scale",
    "distributions",
    "distributions_steps",
    "divergence_scale",
    "fixed_point",
    "hist_csv_text",
    "jacobian_csv_text",
    "jacobian_spectrum",
    "jacobian_steps",
    "percentiles",
    "phase_csv_text",
    "phase_diagram",
    "phase_diagram_steps",
    "point",
    "seed_list",
    "spread",
    "spread_csv_text",
    "spread_steps",
    "write_text",
]

HIST_COLUMNS: tuple[str, ...] = ("quantity", "layer", "bin", "lower", "upper", "count", "inactive_fraction")
SPREAD_COLUMNS: tuple[str, ...] = ("quantity", "layer", "p10", "p50", "p90")
PHASE_COLUMNS: tuple[str, ...] = ("sigma_w2", "sigma_b2", "q_star", "chi_1", "xi")
JACOBIAN_COLUMNS: tuple[str, ...] = ("index", "singular_value", "log10_singular_value")


def _header(settings: Settings, params: dict[str, object], notes: Iterable[str] = ()) -> str:
    out = f"# depthlens {version()}\n"
    out += "# " + " ".join(f"{k}={v}" for k, v in settings.to_dict().items()) + "\n"
    out += "# " + " ".join(f"{k}={v}" for k, v in params.items()) + "\n"
    for note in notes:
        out += f"# {note}\n"
    return out


def _cell(x: float) -> str:
    return "" if np.isnan(x) else fmt(float(x))


def hist_csv_text(dist: Distributions) -> str:
    """Long-format CSV: one row per (quantity, layer, non-empty bin) and per non-finite kind.

    `bin` is the bin's index (0 = lowest) with edges `lower` <= x < `upper`; empty bins are
    left out. Non-finite entries have `bin` = posinf, neginf or nan (lower = upper = that
    value) and are written for every layer, even at count 0. `inactive_fraction` repeats
    the layer's share of saturated/dead units (blank at layer 0).
    """
    h0 = dist.activation
    params = {
        "analysis": "histogram",
        "linthresh": fmt(dist.linthresh),
        "bins_per_decade": dist.bins_per_decade,
        "bins": h0.counts.shape[1],
        "entries_per_layer": h0.entries,
    }
    out = io.StringIO()
    out.write(_header(dist.settings, params, ["bins are uniform in asinh(x/linthresh)/ln(10); empty bins omitted"]))
    out.write(",".join(HIST_COLUMNS) + "\n")
    for q in QUANTITIES:
        h = dist[q]
        lowers = [fmt(float(x)) for x in h.edges[:-1]]
        uppers = [fmt(float(x)) for x in h.edges[1:]]
        for layer in range(h.counts.shape[0]):
            inact = _cell(float(h.inactive_fraction[layer]))
            row = h.counts[layer]
            for i in np.nonzero(row)[0]:
                out.write(f"{q},{layer},{i},{lowers[i]},{uppers[i]},{row[i]},{inact}\n")
            for kind, arr, val in (("posinf", h.posinf, "inf"), ("neginf", h.neginf, "-inf"), ("nan", h.nan, "nan")):
                out.write(f"{q},{layer},{kind},{val},{val},{arr[layer]},{inact}\n")
    return out.getvalue()


def spread_csv_text(sp: Spread) -> str:
    """One row per (quantity, layer): p10, p50, p90 of log10 magnitude over the seeds."""
    params = {
        "analysis": "spread",
        "seeds": sp.complete,
        "seed_values": "+".join(str(s) for s in sp.seeds),
        "statistic": "log10_magnitude",
    }
    out = io.StringIO()
    out.write(_header(sp.settings, params))
    out.write(",".join(SPREAD_COLUMNS) + "\n")
    for qi, q in enumerate(sp.quantities):
        for layer in range(sp.p10.shape[1]):
            cells = [_cell(float(a[qi, layer])) for a in (sp.p10, sp.p50, sp.p90)]
            out.write(f"{q},{layer}," + ",".join(cells) + "\n")
    return out.getvalue()


def phase_csv_text(pd_: PhaseDiagram, settings: Settings) -> str:
    """One row per grid point: sigma_w2, sigma_b2, q_star, chi_1, xi (sigma_w2 varies fastest)."""
    crit = ";".join(_cell(float(c)) or "none" for c in pd_.critical_sigma_w2)
    div = ";".join(_cell(float(c)) or "none" for c in pd_.divergence_sigma_w2)
    params = {
        "analysis": "phase",
        "phase_activation": pd_.activation,
        "sigma_w2_points": pd_.sigma_w2.size,
        "sigma_b2_points": pd_.sigma_b2.size,
        "xi": "1/|ln(chi_1)|",
    }
    out = io.StringIO()
    notes = [
        f"critical_sigma_w2 per sigma_b2 row: {crit}",
        f"divergence_sigma_w2 per sigma_b2 row (q* jumps to inf): {div}",
        "q_star=inf: no stable fixed point (q* unbounded)",
    ]
    out.write(_header(settings, params, notes))
    out.write(",".join(PHASE_COLUMNS) + "\n")
    for j, b2 in enumerate(pd_.sigma_b2):
        for i, w2 in enumerate(pd_.sigma_w2):
            vals = (w2, b2, pd_.q_star[j, i], pd_.chi_1[j, i], pd_.xi[j, i])
            out.write(",".join(fmt(float(v)) for v in vals) + "\n")
    return out.getvalue()


def jacobian_csv_text(js: JacobianSpectrum) -> str:
    """One row per singular value (decreasing): index, value, log10 value."""
    params: dict[str, object] = {"analysis": "jacobian", "sample": 0, "singular_values": js.singular_values.size}
    if math.isfinite(js.log10_floor):
        # Values below n * eps * sigma_max are not resolved by the float64 SVD (log10: the
        # floor itself may lie beyond float64, like the singular values).
        params["log10_precision_floor"] = fmt(js.log10_floor)
        params["below_floor"] = js.below_floor
    out = io.StringIO()
    out.write(_header(js.settings, params, [js.note] if js.note else []))
    out.write(",".join(JACOBIAN_COLUMNS) + "\n")
    for i, (v, lv) in enumerate(zip(js.singular_values, js.log10_singular_values, strict=True)):
        out.write(f"{i},{fmt(float(v))},{fmt(float(lv))}\n")
    return out.getvalue()


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    atomic_write(path, text.encode("utf-8"))
