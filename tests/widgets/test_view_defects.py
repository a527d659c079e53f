"""Issue 16's visual defects of the analysis views and the σ_w control, each checked on the widget."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication

from depthlens.engine import PRESETS, Engine, Settings
from depthlens.engine.analysis import distributions, jacobian_spectrum, phase_diagram, spread
from depthlens.engine.limits import CONTROL_RANGES
from depthlens.widgets.chart import LayerChart
from depthlens.widgets.controls import ControlPanel
from depthlens.widgets.distribution_view import DistributionView
from depthlens.widgets.jacobian_view import JacobianView
from depthlens.widgets.phase_view import PhaseView
from depthlens.widgets.spread_band import SpreadBand


def _labels_overlap(a: pg.TextItem, b: pg.TextItem) -> bool:
    return a.isVisible() and b.isVisible() and a.sceneBoundingRect().intersects(b.sceneBoundingRect())


@pytest.mark.parametrize("marker_b2", [0.03, 0.1, 0.2, 0.3, 0.45])
def test_phase_you_are_here_never_covers_the_critical_line_label(qtbot, marker_b2):
    view = PhaseView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    view.set_diagram(phase_diagram("tanh", resolution=(41, 21)))
    d = view.diagram
    # Put the marker right where the critical label sat before (25 % up the line, just right of it).
    k = int(np.argmin(np.abs(d.sigma_b2 - marker_b2)))
    w2 = float(d.critical_sigma_w2[k]) + 0.15
    view.set_marker(math.sqrt(w2), math.sqrt(float(d.sigma_b2[k])))
    QApplication.processEvents()
    assert view.critical_label.isVisible()
    assert not _labels_overlap(view.critical_label, view.marker_label)


def test_jacobian_sub_floor_bins_are_hatched_not_drawn_as_values(qtbot):
    view = JacobianView()
    qtbot.addWidget(view)
    js = jacobian_spectrum(Settings(activation="tanh", scale=0.5, depth=60, width=64))
    view.set_result(js)
    below = js.below_floor - int(np.count_nonzero(np.isneginf(js.log10_singular_values)))
    assert below > 0
    noise = view.drawn_noise()
    assert noise.sum() == below  # every unresolved value is in the hatched part
    resolved = np.asarray(view.bars.opts["height"])
    assert resolved.sum() == js.log10_singular_values.size - below
    _, _, total = view.drawn_histogram()
    np.testing.assert_array_equal(total, resolved + noise)


def test_distributions_of_relu_keep_the_zero_row_out_of_the_axis(qtbot):
    view = DistributionView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    view.set_result(distributions(Settings(activation="relu", scale=math.sqrt(2), depth=20, width=64, batch=32)))
    QApplication.processEvents()
    lo, hi = view.heat.vb.viewRange()[1]
    assert hi - lo < 12  # decades shown (it stretched ~20 decades down to the zero bin)
    assert view.zero_image.isVisible() and view.zero_label.textItem.toPlainText().startswith("exactly 0")
    ticks = [v for _, vals in view.value_axis.tickValues(lo, hi, 400) for v in vals]
    assert min(ticks) >= view.value_axis.min_tick  # no decade label beside the zero row
    # tanh has no exact zeros: no such row.
    view.set_result(distributions(Settings(activation="tanh", depth=10, width=32, batch=16)))
    assert not view.zero_image.isVisible()


def test_spread_median_is_not_a_line_and_is_in_the_legend(qtbot):
    chart = LayerChart(view="activations")
    qtbot.addWidget(chart)
    s = Settings(depth=20, width=32, batch=8, activation="relu", scale=math.sqrt(2))
    chart.set_result(Engine().compute(s), animate=False)
    band = SpreadBand(chart)
    band.set_spread(spread(s, seeds=4))
    med = band.medians[0]
    assert isinstance(med, pg.ScatterPlotItem) and med.isVisible() and med.opts["symbol"] == "d"
    labels = [label.text for _, label in chart.legend.items]
    assert "median of 4 seeds" in labels and "10–90 % over 4 seeds" in labels
    band.clear()
    assert not any("seeds" in label.text for _, label in chart.legend.items)


def test_sigma_w_beside_the_scale_shows_and_sets_s_over_root_n(qtbot):
    panel = ControlPanel(PRESETS["cs231n-xavier"].settings)
    qtbot.addWidget(panel)
    assert panel.sigma_w.value() == pytest.approx(1 / math.sqrt(500), rel=1e-6)
    with qtbot.waitSignal(panel.settings_changed) as sig:
        panel.sigma_w.setValue(0.01)  # W = 0.01 * randn
    assert sig.args[0].scale == pytest.approx(0.01 * math.sqrt(500))
    assert panel.settings().scale == pytest.approx(0.01 * math.sqrt(500))
    panel.sigma_w.setValue(1.0)  # W = randn: s = sqrt(500) = 22.4, inside the range up to 32
    assert panel.settings().scale == pytest.approx(math.sqrt(500))
    assert panel.scale.spin.maximum() == CONTROL_RANGES["scale"][1] == 32.0
    # N(0, 1) weights are reachable at every width up to 1024 (s = 32).
    assert math.sqrt(CONTROL_RANGES["width"][1]) <= CONTROL_RANGES["scale"][1]
    panel.width_control.set_value(64)
    panel._user_change("width", 64)
    assert panel.sigma_w.value() == pytest.approx(panel.settings().scale / 8)
    panel._user_change("init", "identity")
    assert not panel.sigma_w.isEnabled()
    panel._user_change("init", "zeros")

    assert panel.sigma_w.value() == 0.0 and not panel.sigma_w.isEnabled()
