"""The analysis views' exports: the CSV behind a view, its default file name, the write.

Every write is atomic (`engine.export.atomic_write`: all or nothing); an error goes to a
message box of the window and leaves no file, a success to its status bar.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from depthlens.engine import Settings
from depthlens.engine.analysis import Spread, hist_csv_text, jacobian_csv_text, phase_csv_text, spread_csv_text
from depthlens.engine.export import atomic_write
from depthlens.widgets.distribution_view import DistributionView
from depthlens.widgets.jacobian_view import JacobianView
from depthlens.widgets.phase_view import PhaseView
from depthlens.widgets.view_base import AnalysisView

from .analysis_views import TITLES


def csv_text(name: str, view: AnalysisView | None, spread: Spread | None, settings: Settings) -> str | None:
    """The CSV of view `name` (or of the `spread` band for "spread"); None before a result."""
    if name == "spread":
        return spread_csv_text(spread) if spread is not None else None
    if isinstance(view, DistributionView) and view.dist is not None:
        return hist_csv_text(view.dist)
    if isinstance(view, PhaseView) and view.diagram is not None:
        return phase_csv_text(view.diagram, settings)
    if isinstance(view, JacobianView) and view.spectrum is not None:
        return jacobian_csv_text(view.spectrum)
    return None


def ask(window, name: str, settings: Settings | None, ext: str, filters: str) -> str:
    """Ask the user where to save view `name` ('' when cancelled); the name carries the settings."""
    s = settings or window.settings()
    default = f"depthlens_{name}_{s.activation}_{s.init}_s{s.scale:.3g}_L{s.depth}.{ext}"
    return window.ask_save_path(f"Export {TITLES.get(name, name)} as {ext.upper()}", default, filters)


def write(window, what: str, path: str | os.PathLike, produce: Callable[[], bytes]) -> bool:
    """Produce the bytes, then write them atomically; any error -> message box, no file."""
    try:
        data = produce()
        atomic_write(path, data)
    except Exception as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        window.show_error(f"Export {what} failed", f"Could not write {path}:\n{reason}")
        return False
    window.statusBar().showMessage(f"Saved {what}: {path}", 5000)
    return True
