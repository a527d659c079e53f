"""Exports from the window and headless: PNG, SVG, CSV, NPZ, screenshot, clipboard, errors."""

from __future__ import annotations

import errno
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from depthlens import cli
from depthlens.engine import PRESETS, Engine
from depthlens.engine.export import csv_text
from depthlens.headless import export_images, render_svg
from depthlens.window import default_name

LECTURE = PRESETS["lecture-explode"].settings


@pytest.fixture
def boxes(monkeypatch):
    """Record error boxes instead of showing them."""
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append((title, text)))
    return shown


@pytest.fixture
def window(make_window):
    return make_window(LECTURE)


def png_size(path) -> tuple[int, int]:
    img = QImage(str(path))
    assert not img.isNull(), f"{path} does not decode as an image"
    return img.width(), img.height()


def test_default_names_carry_the_settings():
    assert default_name(LECTURE, "png") == "depthlens_linear_identity_s1.5_L50.png"
    assert default_name(PRESETS["he-relu"].settings, "csv") == "depthlens_relu_gaussian_s1.41_L50.csv"


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160), (640, 480)])
def test_chart_png_has_the_chosen_size(window, tmp_path, boxes, size):
    path = tmp_path / "chart.png"
    assert window.export_chart_png(path, size=size)
    assert png_size(path) == size
    assert boxes == []


def test_chart_png_at_window_size(window, tmp_path, boxes):
    path = tmp_path / "chart.png"
    assert window.export_chart_png(path)
    assert png_size(path) == (window.chart.width(), window.chart.height())


def test_export_asks_for_a_file_with_the_default_name(window, tmp_path, monkeypatch, boxes):
    asked = []

    def ask(title, name, filters):
        asked.append(name)
        return str(tmp_path / name)

    monkeypatch.setattr(window, "ask_save_path", ask)
    window.png_actions["1920 × 1080"].trigger()
    assert asked == ["depthlens_linear_identity_s1.5_L50.png"]
    assert png_size(tmp_path / asked[0]) == (1920, 1080)
    window.csv_action.trigger()
    assert (tmp_path / "depthlens_linear_identity_s1.5_L50.csv").exists()


def test_cancelled_dialog_writes_nothing(window, tmp_path, monkeypatch, boxes):
    monkeypatch.setattr(window, "ask_save_path", lambda *a: "")
    assert not window.export_csv()
    assert boxes == []


def test_chart_svg_parses_as_xml(window, tmp_path, boxes):
    path = tmp_path / "chart.svg"
    assert window.export_chart_svg(path)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert any(el.tag.endswith(("path", "rect", "polyline")) for el in root.iter())


def test_svg_export_works_on_this_qt(window):
    # pyqtgraph issue #3495: SVGExporter raised ValueError on Qt >= 6.11 (closed paths end in Z).
    data = render_svg(window.result, (800, 600), "dark", "activations")
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    assert len(list(root.iter())) > 10  # the chart's elements, not an empty document


def test_window_screenshot_png(window, tmp_path, boxes):
    path = tmp_path / "window.png"
    assert window.export_screenshot(path)
    w, h = png_size(path)
    assert w >= window.width() and h >= window.height()  # device pixel ratio may be > 1


def test_csv_is_identical_to_the_cli(window, tmp_path, boxes):
    path = tmp_path / "app.csv"
    assert window.export_csv(path)
    cli_path = tmp_path / "cli.csv"
    assert cli.main(["export", "--preset", "lecture-explode", "--csv", str(cli_path)]) == 0
    assert path.read_bytes() == cli_path.read_bytes()
    assert path.read_text() == csv_text(Engine().compute(LECTURE))


def test_npz_holds_the_network(window, qtbot, tmp_path, boxes):
    path = tmp_path / "net.npz"
    with qtbot.waitSignal(window.npz_saved, timeout=10000) as saved:
        assert window.export_npz(path)
    assert saved.args == [str(path)]
    with np.load(path) as z:
        assert z["W"].shape == (50, 2, 2)
        np.testing.assert_array_equal(z["W"][0], 1.5 * np.eye(2))
    assert boxes == []
    assert os.listdir(tmp_path) == ["net.npz"]


def test_large_npz_is_written_by_the_engine_thread_and_close_cancels_it(qtbot, tmp_path, boxes, monkeypatch):
    """The export streams on the engine thread while the chart keeps updating; a second one is
    refused; closing mid-write leaves no file."""
    import time

    from depthlens.engine import Settings
    from depthlens.window import MainWindow

    w = MainWindow(Settings(depth=120, width=256, batch=2))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.result is not None, timeout=30000)
    original = Engine.layer_params

    def slow(self, settings, layer):  # ~20 ms a layer: the export takes over two seconds
        time.sleep(0.02)
        return original(self, settings, layer)

    monkeypatch.setattr(Engine, "layer_params", slow)
    path = tmp_path / "big.npz"
    assert w.export_npz(path)  # returns at once
    assert not path.exists()

    def written_mb() -> float:
        parts = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
        return parts[0].stat().st_size / 1e6 if parts else 0.0

    qtbot.waitUntil(lambda: written_mb() > 2.0, timeout=20000)  # several layers are in the file
    assert w.worker.is_running("export.npz") and not path.exists()
    # The chart still follows the controls: its job runs between two layers of the export.
    w.set_settings(w.settings().replace(depth=119))
    qtbot.waitUntil(lambda: w.result.depth == 119, timeout=10000)
    assert w.worker.is_running("export.npz") and not path.exists()
    assert not w.export_npz(tmp_path / "second.npz")  # one export at a time, said in a box
    assert boxes and "still being written" in boxes[-1][1]
    w.close()  # cancels the export between layers
    assert os.listdir(tmp_path) == []


def test_npz_write_error_on_the_engine_thread_shows_the_box(window, qtbot, tmp_path, boxes, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert window.export_npz(tmp_path / "net.npz")
    qtbot.waitUntil(lambda: len(boxes) == 1, timeout=10000)
    title, text = boxes[0]
    assert title == "Export NPZ failed" and "No space left" in text and "net.npz" in text
    assert os.listdir(tmp_path) == []


def test_copy_chart_puts_an_image_on_the_clipboard(window):
    window.copy_chart()
    img = QApplication.clipboard().image()
    assert not img.isNull()
    assert (img.width(), img.height()) == (window.chart.width(), window.chart.height())


@pytest.mark.parametrize(
    "method", ["export_chart_png", "export_chart_svg", "export_csv", "export_npz", "export_screenshot"]
)
def test_unwritable_path_shows_the_error_and_leaves_nothing(window, tmp_path, boxes, method):
    missing = tmp_path / "no such folder"
    path = missing / "out.file"
    assert not getattr(window, method)(path)
    assert len(boxes) == 1
    title, text = boxes[0]
    assert "failed" in title and str(path) in text
    assert not missing.exists()
    assert "out.file" in window.last_error


def test_disk_full_leaves_no_partial_file(window, tmp_path, boxes, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert not window.export_chart_png(tmp_path / "chart.png", size=(640, 480))
    assert not window.export_csv(tmp_path / "data.csv")
    assert os.listdir(tmp_path) == []
    assert len(boxes) == 2 and "No space left" in boxes[0][1]


def test_no_result_yet_is_an_error_not_a_crash(window, tmp_path, boxes):
    window.result = None
    assert not window.export_csv(tmp_path / "x.csv")
    assert boxes and not (tmp_path / "x.csv").exists()


def test_headless_export_images(qapp, tmp_path):
    result = Engine().compute(PRESETS["he-relu"].settings)
    png, svg = tmp_path / "he.png", tmp_path / "he.svg"
    export_images(result, png=png, svg=svg, size=(800, 600), theme="dark", view="gradients")
    assert png_size(png) == (800, 600)
    ET.parse(svg)


def test_cli_export_png_and_svg(qapp, tmp_path):
    png, svg = tmp_path / "le.png", tmp_path / "le.svg"
    code = cli.main(
        [
            "export",
            "--preset",
            "lecture-explode",
            "--png",
            str(png),
            "--size",
            "1024x576",
            "--svg",
            str(svg),
            "--theme",
            "projector",
        ]
    )
    assert code == 0
    assert png_size(png) == (1024, 576)
    ET.parse(svg)


def test_headless_png_overflow_and_every_view(qapp, tmp_path):
    s = LECTURE.replace(depth=300, dtype="float32")
    result = Engine().compute(s)
    for view in ("activations", "gradients", "weight_gradients", "both"):
        path = tmp_path / f"{view}.png"
        export_images(result, png=path, size=(640, 360), view=view)
        assert png_size(path) == (640, 360)
