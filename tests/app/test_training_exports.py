"""The training views' plots as SVG beside their PNG: valid XML with the plot's elements, drawn by librsvg."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from depthlens.engine import Settings
from depthlens.widgets import theme as themes

SMALL = Settings(depth=4, width=8, batch=16, activation="tanh", scale=1.2, dtype="float64")
SVG_NS = "{http://www.w3.org/2000/svg}"
RSVG = shutil.which("rsvg-convert")


def _trained(qtbot, make_window, steps: int = 12):
    w = make_window(SMALL)
    lab = w.training
    lab.show()
    for name in ("loss", "ratio", "boundary"):
        lab.docks[name].show()
    for _ in range(steps):
        lab.step()
    qtbot.waitUntil(lambda: lab.snapshot is not None and lab.snapshot.step >= steps, timeout=30000)
    lab.docks["boundary"].raise_()  # tabbed docks: the boundary computes while it is shown
    qtbot.waitUntil(lambda: lab.views["boundary"].boundary is not None, timeout=30000)
    return w, lab


def _raise(qtbot, lab, name: str) -> None:
    lab.docks[name].raise_()
    qtbot.wait(50)


def _stroke_colours(root: ET.Element) -> set[str]:
    return {el.get("stroke", "").lower() for el in root.iter(f"{SVG_NS}g")} - {""}


def _rgb(path) -> np.ndarray:
    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : 3 * img.width()].reshape(img.height(), img.width(), 3).astype(np.int32)


def test_every_training_view_has_an_svg_button_next_to_png(qtbot, make_window):
    _, lab = _trained(qtbot, make_window, steps=1)
    for name, view in lab.views.items():
        assert not view.svg_button.isHidden(), name
        with qtbot.waitSignal(view.export_svg_requested, timeout=1000):
            # The button asks the lab; answer its file dialog with nothing (no file written).
            lab.window.ask_save_path = lambda *a, **k: ""
            qtbot.mouseClick(view.svg_button, Qt.MouseButton.LeftButton)


def test_svg_exports_parse_with_the_plots_elements(qtbot, make_window, tmp_path):
    _, lab = _trained(qtbot, make_window)
    fg = QColor(themes.get("light").foreground).name()
    roots = {}
    for name in ("loss", "ratio", "boundary"):
        path = tmp_path / f"{name}.svg"
        _raise(qtbot, lab, name)
        assert lab.export_svg(name, str(path))
        root = ET.fromstring(path.read_bytes())  # well-formed XML, or this raises
        assert root.tag == f"{SVG_NS}svg", name
        roots[name] = root
    # The loss curve: line segments in pixels, stroked in the current run's colour, one per step.
    curves = [
        g
        for g in roots["loss"].iter(f"{SVG_NS}g")
        if g.get("stroke", "").lower() == fg and len(list(g.iter(f"{SVG_NS}polyline"))) >= 11
    ]
    assert curves, _stroke_colours(roots["loss"])
    # Axis labels are text.
    texts = " ".join("".join(t.itertext()) for t in roots["loss"].iter(f"{SVG_NS}text"))
    assert "loss" in texts and "step" in texts
    # The update:data heatmap and the decision boundary are embedded images.
    for name in ("ratio", "boundary"):
        images = list(roots[name].iter(f"{SVG_NS}image"))
        assert images, name
        href = images[0].get("{http://www.w3.org/1999/xlink}href") or images[0].get("href") or ""
        assert href.startswith("data:image/png;base64,"), name


def test_svg_export_to_an_unwritable_path_reports_and_writes_nothing(qtbot, make_window, tmp_path):
    w, lab = _trained(qtbot, make_window, steps=1)
    errors = []
    w.show_error = lambda title, text: errors.append(text)
    bad = tmp_path / "missing" / "loss.svg"
    assert not lab.export_svg("loss", str(bad))
    assert errors and str(bad) in errors[0]
    assert not bad.exists()


@pytest.mark.skipif(RSVG is None, reason="rsvg-convert not installed (Debian: apt-get install -y librsvg2-bin)")
@pytest.mark.parametrize("name", ["loss", "ratio"])
def test_librsvg_draws_the_svg_like_the_png(qtbot, make_window, tmp_path, name):
    _, lab = _trained(qtbot, make_window)
    png, svg, out = tmp_path / "a.png", tmp_path / "a.svg", tmp_path / "rsvg.png"
    _raise(qtbot, lab, name)
    assert lab.export_png(name, str(png))
    assert lab.export_svg(name, str(svg))
    ours = _rgb(png)
    h, w = ours.shape[:2]
    subprocess.run([RSVG, "-w", str(w), "-h", str(h), "-o", str(out), str(svg)], check=True, timeout=60)
    theirs = _rgb(out)
    assert theirs.shape == ours.shape
    bg = np.array([QColor(themes.get("light").background).getRgb()[:3]], dtype=np.int32)
    ink_a = np.abs(ours - bg).sum(axis=2) > 60
    ink_b = np.abs(theirs - bg).sum(axis=2) > 60
    assert ink_a.sum() > 500
    # The same drawing, give or take antialiasing: most inked pixels agree.
    iou = (ink_a & ink_b).sum() / (ink_a | ink_b).sum()
    assert iou > 0.6, iou
