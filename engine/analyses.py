"""The analyses, declared once: what each computes, its CSV and its `depthlens export` option.

The command line builds its options and its export loop from `ANALYSES`; adding an
analysis is one entry here (plus its view's entry in the app, if it has one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import analysis as an
from .config import Settings
from .jobs import Steps


@dataclass(frozen=True, slots=True)
class AnalysisSpec:
    """One analysis: `steps(settings, engine, options)` -> its job (`engine.jobs`); `csv(result, settings)`."""

    name: str
    option: str  # the export option, e.g. "--hist-csv"
    help: str
    progress_label: str
    steps: Callable[[Settings, Any, dict[str, Any]], Steps[Any]]
    csv: Callable[[Any, Settings], str]
    check: Callable[[Settings], None] | None = None  # raises SettingsError if it cannot run

    @property
    def dest(self) -> str:
        """The argparse destination of `option` (hist_csv)."""
        return self.option.removeprefix("--").replace("-", "_")


def _cache(engine):
    return engine.cache if engine is not None else None


ANALYSES: tuple[AnalysisSpec, ...] = (
    AnalysisSpec(
        "distributions",
        "--hist-csv",
        "per-layer histograms of activations and gradients",
        "histograms",
        lambda s, engine, o: an.distributions_steps(s, cache=_cache(engine)),
        lambda r, s: an.hist_csv_text(r),
    ),
    AnalysisSpec(
        "spread",
        "--spread-csv",
        "10/50/90%% of log10 magnitude over --seeds seeds",
        "spread over seeds",
        lambda s, engine, o: an.spread_steps(s, seeds=o["seeds"], engine=engine),
        lambda r, s: an.spread_csv_text(r),
    ),
    AnalysisSpec(
        "phase",
        "--phase-csv",
        "mean-field phase diagram of the activation",
        "phase diagram",
        lambda s, engine, o: an.phase_diagram_steps(s.activation, resolution=o["phase_grid"]),
        an.phase_csv_text,
    ),
    AnalysisSpec(
        "jacobian",
        "--jacobian-csv",
        "singular values of d a_L / d a_0 at sample 0",
        "Jacobian spectrum",
        lambda s, engine, o: an.jacobian_steps(s, cache=_cache(engine)),
        lambda r, s: an.jacobian_csv_text(r),
        an.check_size,
    ),
)
