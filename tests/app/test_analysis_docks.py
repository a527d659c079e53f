"""Analysis views (issue 5) in the window: model -> UI, UI -> model, hidden views idle, references."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from depthlens.analysis_docks import DIST, JACOBIAN, PHASE, PHASE_POINT, SPREAD, VIEWS
from depthlens.engine import Settings

SMALL = Settings(depth=6, width=8, batch=4, activation="tanh", init="gaussian", scale=1.0)


def click_view(qtbot, graphics, vb, x: float, y: float) -> None:
    """A real left click at view coordinates (x, y) of `vb` inside `graphics`."""
    scene_pt = vb.mapViewToScene(QPointF(x, y))
    pt = graphics.mapFromScene(scene_pt)
    qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=pt)


@pytest.fixture
def boxes(monkeypatch):
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append((title, text)))
    return shown


def open_view(qtbot, window, name):
    docks = window.analysis
    docks.show_view(name)
    qtbot.waitUntil(lambda: docks.is_visible(name), timeout=5000)
    return docks.view(name)


# -- wiring -------------------------------------------------------------------------------


def test_attach_adds_hidden_docks_menu_entries_and_toolbar(qtbot, make_window):
    w = make_window(SMALL)
    docks = w.analysis
    assert set(docks.docks) == set(VIEWS)
    assert not any(docks.is_visible(n) for n in VIEWS)
    texts = [a.text() for a in docks.menu.actions()]
    assert texts[:3] == ["Distributions", "Phase diagram", "Jacobian spectrum"]
    assert any("Spread" in t for t in texts)
    docks.toggle_actions["phase"].trigger()
    qtbot.waitUntil(lambda: docks.is_visible("phase"), timeout=5000)
    docks.toggle_actions["phase"].trigger()
    qtbot.waitUntil(lambda: not docks.is_visible("phase"), timeout=5000)


def test_hidden_views_do_not_compute(qtbot, make_window):
    w = make_window(SMALL)
    docks = w.analysis
    s2 = SMALL.replace(scale=1.3)
    w.set_settings(s2)
    qtbot.waitUntil(lambda: docks.settings == s2, timeout=10000)
    assert docks.submitted == {}
    view = open_view(qtbot, w, "distributions")
    qtbot.waitUntil(lambda: view.dist is not None and view.dist.settings == s2, timeout=10000)
    assert docks.submitted == {DIST: 1}
    docks.show_view("distributions", False)
    qtbot.waitUntil(lambda: not docks.is_visible("distributions"), timeout=5000)
    s3 = SMALL.replace(scale=1.6)
    w.set_settings(s3)
    qtbot.waitUntil(lambda: docks.settings == s3, timeout=10000)
    assert docks.submitted == {DIST: 1}  # hidden: nothing new
    open_view(qtbot, w, "distributions")  # shown again: catches up once
    qtbot.waitUntil(lambda: view.dist.settings == s3, timeout=10000)
    assert docks.submitted == {DIST: 2}


# -- distributions ---------------------------------------------------------------------------


def test_distributions_show_the_result_and_the_selector_switches_quantity(qtbot, make_window):
    w = make_window(SMALL)
    view = open_view(qtbot, w, "distributions")
    qtbot.waitUntil(lambda: view.dist is not None and view.dist.settings == SMALL, timeout=10000)
    shares = view.shown_shares()
    assert shares.shape[0] == SMALL.depth + 1
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)  # magnitudes: every entry in some bin
    act = shares.copy()
    view.quantity_buttons["gradient"].click()
    assert view.quantity == "gradient"
    assert not np.array_equal(view.shown_shares(), act)
    view.signed_box.click()
    assert view.signed
    np.testing.assert_allclose(view.shown_shares(), view.dist.gradient.shares)
    assert "What am I seeing?" in view.caption.text()


def test_clicking_a_layer_on_the_heatmap_or_the_chart_shows_its_histogram(qtbot, make_window):
    s = Settings(depth=8, width=16, batch=8, activation="relu", init="gaussian", scale=1.0)
    w = make_window(s)
    view = open_view(qtbot, w, "distributions")
    qtbot.waitUntil(lambda: view.dist is not None and view.dist.settings == s, timeout=10000)
    clicked: list[int] = []
    view.layer_clicked.connect(clicked.append)
    y_mid = sum(view.heat.vb.viewRange()[1]) / 2
    click_view(qtbot, view.graphics, view.heat.vb, 3.0, y_mid)
    assert clicked == [3]
    assert view.layer == 3
    expected = view.shown_shares()[3]
    np.testing.assert_allclose(view.side_shares(), expected)
    inactive = view.dist.activation.inactive_fraction[3]
    assert f"{100 * inactive:.0f} %" in view.side_caption()
    assert view.inactive_bar.isVisible()

    # A click on a bar of the main chart selects that layer too.
    chart = w.chart
    y = sum(chart.plot.vb.viewRange()[1]) / 2
    click_view(qtbot, chart, chart.plot.vb, 5.0, y)
    assert view.layer == 5
    np.testing.assert_allclose(view.side_shares(), view.shown_shares()[5])


def test_distribution_exports_png_and_csv_and_nothing_on_unwritable_path(qtbot, make_window, tmp_path, boxes):
    w = make_window(SMALL)
    docks = w.analysis
    view = open_view(qtbot, w, "distributions")
    qtbot.waitUntil(lambda: view.dist is not None, timeout=10000)
    png, csv = tmp_path / "d.png", tmp_path / "d.csv"
    assert docks.export_png("distributions", png)
    assert docks.export_csv("distributions", csv)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("# depthlens")
    header = next(i for i, line in enumerate(lines) if line.startswith("quantity,"))
    rows = [line.split(",") for line in lines[header + 1 :]]
    assert {r[0] for r in rows} == {"activation", "gradient"}
    assert not boxes
    bad = tmp_path / "missing" / "x.csv"
    assert not docks.export_csv("distributions", bad)
    assert not docks.export_png("distributions", tmp_path / "missing" / "x.png")
    assert len(boxes) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "d.png"]  # no temp files left
    # The buttons ask for a path (cancel writes nothing).
    asked: list[str] = []
    w.ask_save_path = lambda title, name, filters: asked.append(name) or ""
    view.csv_button.click()
    assert asked and asked[0].endswith(".csv") and "distributions" in asked[0]


# -- spread --------------------------------------------------------------------------------


def band_width(qtbot, w, settings) -> float:
    docks = w.analysis
    w.set_settings(settings)
    qtbot.waitUntil(lambda: docks.settings == settings, timeout=20000)
    docks.set_spread(True, seeds=8)

    def done():
        sp = docks.band.spread if docks.band is not None else None
        return sp is not None and sp.settings == settings and sp.complete == 8 and docks.band.visible

    qtbot.waitUntil(done, timeout=60000)
    lo, hi = docks.band.drawn("activation_rms")
    return float(np.mean(hi - lo))


def test_spread_band_is_wider_for_narrow_networks(qtbot, make_window):
    base = Settings(depth=50, width=16, batch=16, activation="relu", init="gaussian", scale=math.sqrt(2))
    w = make_window(base)
    w.set_view("activations")
    narrow = band_width(qtbot, w, base)
    assert w.analysis.partials_shown >= 1  # the band grew seed by seed before the final result
    wide = band_width(qtbot, w, base.replace(width=256))
    assert narrow > 2 * wide > 0
    # Off: the band goes away and no new spread job is submitted on changes.
    w.analysis.set_spread(False)
    assert not w.analysis.band.visible
    n = w.analysis.submitted[SPREAD]
    s2 = base.replace(width=256, scale=1.3)
    w.set_settings(s2)
    qtbot.waitUntil(lambda: w.analysis.settings == s2, timeout=20000)
    assert w.analysis.submitted[SPREAD] == n


def test_deep_spread_is_one_continuous_band(qtbot, make_window):
    """Beyond BOXES_UP_TO layers the band is one filled area (fast), with the same numbers."""
    from PySide6.QtCore import QPointF

    from depthlens.widgets.spread_band import BOXES_UP_TO

    s = Settings(depth=BOXES_UP_TO + 50, width=8, batch=4)
    w = make_window(s)
    docks = w.analysis
    w.set_view("activations")
    docks.set_spread(True, seeds=3)
    qtbot.waitUntil(lambda: docks.band.spread is not None and docks.band.spread.complete == 3, timeout=30000)
    qtbot.waitUntil(lambda: docks.band.visible, timeout=10000)
    band = docks.band
    assert band.bands[0].isVisible() and not band.boxes[0].isVisible()
    lo, hi = band.drawn("activation_rms")
    p10, p50, p90 = band.spread.band("activation_rms")
    ok = np.isfinite(p10) & np.isfinite(p90)
    np.testing.assert_allclose(lo, p10[ok])
    np.testing.assert_allclose(hi, p90[ok])
    # The filled area holds the median of a middle layer and not a point far above it.
    item = band.bands[0]
    mid = s.depth // 2
    assert item._path.contains(QPointF(mid, p50[mid]))
    assert not item._path.contains(QPointF(mid, p90[mid] + 1.0))
    # Shallow again: boxes come back.
    s2 = s.replace(depth=20)
    w.set_settings(s2)
    qtbot.waitUntil(lambda: band.spread is not None and band.spread.settings == s2 and band.visible, timeout=30000)
    assert band.boxes[0].isVisible() and not band.bands[0].isVisible()


def test_spread_band_follows_the_chart_view(qtbot, make_window):
    s = Settings(depth=10, width=8, batch=4)
    w = make_window(s)
    docks = w.analysis
    docks.set_spread(True, seeds=3)
    qtbot.waitUntil(lambda: docks.band.spread is not None and docks.band.spread.complete == 3, timeout=20000)
    w.set_view("both")
    assert docks.band.drawn("activation_rms") is not None and docks.band.drawn("gradient_rms") is not None
    w.set_view("gradients")
    assert docks.band.drawn("activation_rms") is None
    lo, hi = docks.band.drawn("gradient_rms")
    p10, _, p90 = docks.band.spread.band("gradient_rms")
    np.testing.assert_allclose(lo, p10[np.isfinite(p10)])
    np.testing.assert_allclose(hi, p90[np.isfinite(p90)])


# -- phase ---------------------------------------------------------------------------------


def readout_numbers(text: str) -> dict[str, float]:
    out = {}
    for key, pat in (("q", r"q\* = ([0-9.e+-]+)"), ("chi", r"χ₁ = ([0-9.e+-]+)"), ("crit", r": ([0-9.]+)\.$")):
        m = re.search(pat, text)
        if m:
            out[key] = float(m.group(1))
    return out


@pytest.mark.parametrize(
    ("activation", "scale", "bias", "crit", "q"),
    [("tanh", math.sqrt(1.76), math.sqrt(0.05), 1.76, 0.57), ("relu", math.sqrt(2.0), 0.0, 2.0, None)],
)
def test_phase_readout_reproduces_the_reference_values(qtbot, make_window, activation, scale, bias, crit, q):
    s = Settings(depth=6, width=8, batch=4, activation=activation, scale=scale, bias_std=bias)
    w = make_window(s)
    view = open_view(qtbot, w, "phase")
    qtbot.waitUntil(lambda: "Critical" in view.readout_text() and view.diagram is not None, timeout=20000)
    nums = readout_numbers(view.readout_text())
    assert nums["crit"] == pytest.approx(crit, abs=0.01)
    assert nums["chi"] == pytest.approx(1.0, abs=0.01)
    if q is not None:
        assert nums["q"] == pytest.approx(q, abs=0.01)
    # The drawn critical line passes through the reference point too.
    x, y = view.critical_line.getData()
    assert np.interp(bias**2, y, x) == pytest.approx(crit, abs=0.02)
    assert view.diagram.activation == activation


def test_phase_view_colours_the_unbounded_region_and_draws_the_jump_dashed(qtbot):
    from depthlens.engine.analysis import phase_diagram
    from depthlens.widgets.phase_view import UNBOUNDED_COLOUR, PhaseView

    view = PhaseView()
    qtbot.addWidget(view)
    pd = phase_diagram("gelu", resolution=(41, 11))
    view.set_diagram(pd)
    img = view.image.image  # [w, b, rgba]
    unb = pd.unbounded.T
    assert unb.any() and (~unb).any()
    purple = np.array([int(UNBOUNDED_COLOUR[i : i + 2], 16) for i in (1, 3, 5)])
    assert np.all(img[unb][:, :3] == purple)
    assert not np.any(np.all(img[~unb][:, :3] == purple, axis=1))  # cividis never is that purple
    # The jump boundary (q* -> inf) is dashed, the chi_1 = 1 line solid; both in the legend.
    assert view.divergence_line.opts["pen"].style() == Qt.PenStyle.DashLine
    assert view.critical_line.opts["pen"].style() == Qt.PenStyle.SolidLine
    x, y = view.divergence_line.getData()
    j = int(np.argmin(np.abs(pd.sigma_b2 - 0.05)))
    assert np.interp(0.05, y, x) == pytest.approx(pd.divergence_sigma_w2[j], rel=1e-6)
    assert np.interp(0.05, y, x) == pytest.approx(2.4166, abs=0.01)
    # Rows without a critical point are gaps, not bridged (gelu: row 0 at 4, then none until ~0.15).
    assert view.critical_line.opts["connect"] == "finite"
    names = [label.text for _, label in view.legend.items]
    assert names == ["critical line χ₁ = 1", "q* jumps to ∞ (stable fixed point vanishes)", "q* unbounded"]
    assert view.unbounded_label.isVisible() and view.ordered_label.isVisible()


def test_phase_readout_names_the_region():
    from depthlens.engine.analysis import point
    from depthlens.widgets.phase_view import readout_text

    unb = readout_text(point("gelu", scale=1.6, bias_std=math.sqrt(0.05)), math.nan, 2.4166)
    assert "q* = ∞" in unb and "q* unbounded region" in unb
    assert "q* jumps to ∞) at σ_w² = 2.417" in unb and unb.endswith("none within the slider's range (s ≤ 10).")
    ordered = readout_text(point("gelu", scale=1.5, bias_std=math.sqrt(0.05)), math.nan, 2.4166)
    assert "ordered region (gradients vanish)" in ordered and "q* = 0.169" in ordered
    # ... but a network's own input (v_1 = 2.3) lies above the unstable fixed point: it runs away
    assert "v₁ = 2.3 lies above the unstable fixed point 0.927" in ordered
    settles = readout_text(point("gelu", scale=1.2, bias_std=math.sqrt(0.05)), math.nan, 2.4166)
    assert "runs away" not in settles
    chaotic = readout_text(point("tanh", scale=2.0, bias_std=0.0), 1.0)
    assert "chaotic region (gradients explode)" in chaotic and chaotic.endswith(": 1.000.")
    he = readout_text(point("relu", scale=math.sqrt(2.0), bias_std=0.0), 2.0)
    assert "on the critical line" in he  # sqrt(2)^2 / 2 = 1 + 2e-16 is the critical line


def test_sigmoid_phase_view_says_no_critical_point_within_the_slider_range(qtbot, make_window):
    s = Settings(depth=6, width=8, batch=4, activation="sigmoid", scale=1.0)
    w = make_window(s)
    view = open_view(qtbot, w, "phase")
    qtbot.waitUntil(lambda: "Critical" in view.readout_text() and view.diagram is not None, timeout=20000)
    assert view.readout_text().endswith("Critical σ_w² at σ_b² = 0: none within the slider's range (s ≤ 10).")
    qtbot.waitUntil(lambda: view.no_critical_label.isVisible(), timeout=5000)
    assert "no critical point χ₁ = 1 within the slider's range" in view.no_critical_label.textItem.toPlainText()
    assert not view.critical_label.isVisible()
    x, _ = view.critical_line.getData()
    assert x is None or np.isnan(x).all()


def test_phase_readout_in_the_window_for_gelu_beyond_the_jump(qtbot, make_window):
    s = Settings(depth=6, width=8, batch=4, activation="gelu", scale=1.6, bias_std=math.sqrt(0.05))
    w = make_window(s)
    view = open_view(qtbot, w, "phase")
    qtbot.waitUntil(lambda: "Critical" in view.readout_text() and view.diagram is not None, timeout=20000)
    text = view.readout_text()
    assert "q* unbounded region" in text and "jumps to ∞) at σ_w² = 2.417" in text


def test_phase_click_sets_scale_and_bias_and_marker_follows(qtbot, make_window):
    w = make_window(SMALL)
    docks = w.analysis
    view = open_view(qtbot, w, "phase")
    qtbot.waitUntil(lambda: view.diagram is not None, timeout=20000)
    assert view.marker_xy() == pytest.approx((1.0, 0.0))
    click_view(qtbot, view.graphics, view.plot.vb, 2.25, 0.16)
    s = w.settings()
    assert s.scale == pytest.approx(1.5, abs=0.03)
    assert s.bias_std == pytest.approx(0.4, abs=0.03)
    qtbot.waitUntil(lambda: docks.settings == s, timeout=10000)
    # The marker follows at the next paced GUI tick (app/pacer.py).
    qtbot.waitUntil(lambda: view.marker_xy() == pytest.approx((s.scale**2, s.bias_std**2)), timeout=5000)
    # Clicks are clamped into the shown ranges.
    view.click_at(9.0, -1.0)
    assert w.settings().scale == pytest.approx(2.0)
    assert w.settings().bias_std == 0.0
    # Settings from elsewhere (a preset, the sliders) move the marker live.
    s3 = SMALL.replace(scale=1.2, bias_std=0.3)
    w.set_settings(s3)
    qtbot.waitUntil(lambda: view.marker_xy() == pytest.approx((1.44, 0.09)), timeout=10000)
    qtbot.waitUntil(lambda: view.point is not None and view.point.sigma_w2 == pytest.approx(1.44), timeout=10000)


def test_phase_ranges_spin_boxes_request_a_new_diagram(qtbot, make_window):
    w = make_window(SMALL)
    docks = w.analysis
    view = open_view(qtbot, w, "phase")
    qtbot.waitUntil(lambda: view.diagram is not None, timeout=20000)
    n = docks.submitted[PHASE]
    view.spins["w1"].setValue(2.0)
    view.spins["b1"].setValue(0.2)
    qtbot.waitUntil(lambda: view.diagram.sigma_w2[-1] == 2.0 and view.diagram.sigma_b2[-1] == 0.2, timeout=20000)
    assert docks.submitted[PHASE] == n + 2
    assert view.plot.vb.viewRange()[0][1] == pytest.approx(2.0, abs=0.1)
    view.spins["w0"].setValue(3.0)  # low > high: refused
    assert "low < high" in view.status.text()
    assert view.w2_range == (0.0, 2.0)
    # Moving the scale only re-runs the point readout, not the diagram.
    before = docks.submitted[PHASE]
    points = docks.submitted[PHASE_POINT]
    s2 = SMALL.replace(scale=1.4)
    w.set_settings(s2)
    qtbot.waitUntil(lambda: docks.submitted[PHASE_POINT] == points + 1, timeout=10000)
    assert docks.submitted[PHASE] == before


# -- Jacobian --------------------------------------------------------------------------------


def test_jacobian_orthogonal_linear_is_one_spike_at_s_to_the_L(qtbot, make_window):
    s = Settings(depth=10, width=16, batch=4, activation="linear", init="orthogonal", scale=1.1)
    w = make_window(s)
    view = open_view(qtbot, w, "jacobian")
    qtbot.waitUntil(lambda: view.spectrum is not None and view.spectrum.settings == s, timeout=10000)
    np.testing.assert_allclose(view.spectrum.singular_values, 1.1**10, rtol=1e-5)
    x0, x1, counts = view.drawn_histogram()
    assert counts.tolist() == [16.0]
    assert 0.5 * (x0[0] + x1[0]) == pytest.approx(10 * math.log10(1.1), abs=1e-5)
    assert view.rms_line.value() == pytest.approx(10 * math.log10(1.1), abs=1e-4)
    assert "16 singular values" in view.summary()


def test_jacobian_gaussian_spreads_more_with_depth(qtbot, make_window):
    s = Settings(depth=4, width=32, batch=4, activation="linear", init="gaussian", scale=1.0)
    w = make_window(s)
    view = open_view(qtbot, w, "jacobian")
    spans = []
    for depth in (4, 40):
        sd = s.replace(depth=depth)
        w.set_settings(sd)
        qtbot.waitUntil(lambda sd=sd: view.spectrum is not None and view.spectrum.settings == sd, timeout=10000)
        x0, x1, _ = view.drawn_histogram()
        spans.append(x1[-1] - x0[0])
    assert spans[1] > 2 * spans[0]


def test_jacobian_view_marks_the_precision_floor(qtbot, make_window):
    s = Settings(depth=50, width=64, batch=4, activation="tanh", init="gaussian", scale=1.4)
    w = make_window(s)
    view = open_view(qtbot, w, "jacobian")
    qtbot.waitUntil(lambda: view.spectrum is not None and view.spectrum.settings == s, timeout=20000)
    js = view.spectrum
    assert js.below_floor > 0
    assert view.floor_line.isVisible() and view.floor_line.value() == pytest.approx(js.log10_floor)
    assert f"{js.below_floor} below the float64 precision floor" in view.summary()
    # An isometric net: no floor line, no such words.
    s2 = Settings(depth=20, width=16, batch=2, activation="linear", init="orthogonal")
    w.set_settings(s2)
    qtbot.waitUntil(lambda: view.spectrum is not None and view.spectrum.settings == s2, timeout=20000)
    assert not view.floor_line.isVisible() and "precision floor" not in view.summary()


def test_jacobian_too_large_says_so_and_does_not_compute(qtbot, make_window):
    w = make_window(Settings(depth=6, width=8, batch=2))
    docks = w.analysis
    view = open_view(qtbot, w, "jacobian")
    qtbot.waitUntil(lambda: view.spectrum is not None, timeout=10000)
    n = docks.submitted[JACOBIAN]
    big = Settings(depth=6, width=600, batch=2)
    w.set_settings(big)
    qtbot.waitUntil(lambda: "Too large" in view.message, timeout=20000)
    assert "512" in view.message
    assert view.message_item.isVisible()
    assert docks.submitted[JACOBIAN] == n
    deep = Settings(depth=250, width=8, batch=2)
    w.set_settings(deep)
    qtbot.waitUntil(lambda: "200" in view.message, timeout=20000)
    ok = Settings(depth=5, width=8, batch=2)
    w.set_settings(ok)
    qtbot.waitUntil(lambda: view.spectrum is not None and view.spectrum.settings == ok, timeout=10000)
    assert not view.message_item.isVisible()


def test_jacobian_and_phase_exports(qtbot, make_window, tmp_path, boxes):
    w = make_window(SMALL)
    docks = w.analysis
    jv = open_view(qtbot, w, "jacobian")
    pv = open_view(qtbot, w, "phase")
    qtbot.waitUntil(lambda: jv.spectrum is not None and pv.diagram is not None, timeout=20000)
    assert docks.export_csv("jacobian", tmp_path / "j.csv")
    assert docks.export_csv("phase", tmp_path / "p.csv")
    assert docks.export_png("phase", tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    j = (tmp_path / "j.csv").read_text().splitlines()
    assert "index,singular_value,log10_singular_value" in j
    p = (tmp_path / "p.csv").read_text().splitlines()
    assert "sigma_w2,sigma_b2,q_star,chi_1,xi" in p
    assert not boxes


# -- theme, fonts, progress -------------------------------------------------------------------


def test_views_follow_theme_and_font_scale(qtbot, make_window):
    w = make_window(SMALL)
    docks = w.analysis
    view = open_view(qtbot, w, "phase")
    w.set_theme("projector")
    assert view.theme.name == "projector"
    assert docks.band is None or docks.band.theme.name == "projector"
    before = view.font_pt()
    f = w.font()
    f.setPointSizeF(f.pointSizeF() * 1.5)
    w.setFont(f)  # what presentation mode / the font-size keys do
    assert view.font_pt() == pytest.approx(1.5 * before)
    assert view.plot.getAxis("bottom").style["tickFont"].pointSizeF() == pytest.approx(1.5 * before)
    later = open_view(qtbot, w, "jacobian")  # built after the change: starts themed
    assert later.theme.name == "projector"


def test_progress_shows_for_heavy_jobs_and_hides_on_result(qtbot, make_window):
    w = make_window(SMALL)
    docks = w.analysis
    view = open_view(qtbot, w, "jacobian")
    qtbot.waitUntil(lambda: view.spectrum is not None, timeout=10000)
    docks._on_progress(JACOBIAN, 0.4)
    assert view.progress.isVisible() and view.progress.value() == 400
    w.set_settings(SMALL.replace(scale=1.2))
    qtbot.waitUntil(lambda: view.spectrum.settings.scale == 1.2, timeout=10000)
    assert not view.progress.isVisible()


def test_no_tween_while_dragging_with_views_open(qtbot):
    from depthlens.engine import Settings
    from depthlens.window import MainWindow

    w = MainWindow(Settings(depth=8, width=8, batch=4))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.result is not None, timeout=10000)
    calls = []
    original = w.chart.set_result

    def spy(result, *, animate=True):
        calls.append(animate)
        original(result, animate=animate)

    w.chart.set_result = spy
    w.controls.depth_control.slider.setSliderDown(True)
    w.controls.depth_control.set_value(9)
    w.controls.depth_control.slider.setValue(w.controls.depth_control.slider_pos(10))
    qtbot.waitUntil(lambda: w.result is not None and w.result.settings.depth == 10, timeout=10000)
    assert calls and calls[-1] is True  # no analysis view open: the bars still glide
    w.analysis.show_view("jacobian")
    qtbot.waitUntil(lambda: w.analysis.is_visible("jacobian"), timeout=10000)
    calls.clear()
    w.controls.depth_control.slider.setValue(w.controls.depth_control.slider_pos(12))
    qtbot.waitUntil(lambda: w.result is not None and w.result.settings.depth == 12, timeout=10000)
    assert calls and calls[-1] is False
    w.controls.depth_control.slider.setSliderDown(False)
    w.close()
