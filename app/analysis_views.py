"""The analysis views, declared once: job kinds and one `ViewSpec` per dock.

The docks, the View menu and the toolbar (`app/analysis_docks.py`) loop over
`VIEW_SPECS`; each view's jobs are built in `app/analysis_jobs.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from depthlens.widgets.distribution_view import DistributionView
from depthlens.widgets.jacobian_view import JacobianView
from depthlens.widgets.phase_view import PhaseView
from depthlens.widgets.view_base import AnalysisView

# Job kinds (each its own latest-wins queue slot on the engine thread).
DIST = "distributions"
SPREAD = "spread"
PHASE = "phase"
PHASE_POINT = "phase_point"
PHASE_CRITICAL = "phase_critical"
JACOBIAN = "jacobian"


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """One analysis view: its dock's name, title, tool tip and widget class.

    `kind` is the job whose time counts against the views' duty cycle while it is shown;
    its jobs are submitted by `AnalysisDocks._refresh_<name>`.
    """

    name: str
    title: str
    tip: str
    widget: type[AnalysisView]
    kind: str


VIEW_SPECS: tuple[ViewSpec, ...] = (
    ViewSpec(
        "distributions",
        "Distributions",
        "Show per-layer histograms of activations and gradients (Glorot & Bengio 2010).",
        DistributionView,
        DIST,
    ),
    ViewSpec(
        "phase",
        "Phase diagram",
        "Show the mean-field order/chaos phase diagram and where this network sits on it.",
        PhaseView,
        PHASE_POINT,
    ),
    ViewSpec(
        "jacobian",
        "Jacobian spectrum",
        "Show the singular values of the input-output Jacobian (dynamical isometry).",
        JacobianView,
        JACOBIAN,
    ),
)
SPECS = {spec.name: spec for spec in VIEW_SPECS}
VIEWS: tuple[str, ...] = tuple(SPECS)
TITLES = {spec.name: spec.title for spec in VIEW_SPECS}
TIPS = {spec.name: spec.tip for spec in VIEW_SPECS}
# The view that shows the progress (and the errors) of each job kind.
VIEW_OF_KIND = {DIST: "distributions", JACOBIAN: "jacobian", PHASE: "phase", PHASE_POINT: "phase"}
DEFAULT_SEEDS = 8
SPREAD_CAPTION = (
    "Spread: the box around each bar spans the 10–90 % range of log₁₀ RMS over {k} networks "
    "drawn with different seeds (finite width); the tick is the median."
)
