"""Chart exports as figures (issue 16): SVG that librsvg renders like the PNG, legend at 4K, caption, pin."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QGraphicsItem

from depthlens.cli import main as cli_main
from depthlens.engine import PRESETS, Engine
from depthlens.headless import caption_text, offscreen_chart, render_image, render_png, render_svg
from depthlens.widgets import theme as themes

ENGINE = Engine()
HE = ENGINE.compute(PRESETS["he-relu"].settings)
XAVIER = ENGINE.compute(PRESETS["xavier-relu"].settings)
SIZE = (1280, 720)


def _rgb(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : 3 * img.width()].reshape(img.height(), img.width(), 3).copy()


def _mask(rgb: np.ndarray, colour: str, tol: int = 40) -> np.ndarray:
    c = QColor(colour)
    ref = np.array([c.red(), c.green(), c.blue()], dtype=np.int32)
    return np.abs(rgb.astype(np.int32) - ref).sum(axis=2) <= tol


def _gradient_fill(theme: themes.Theme) -> str:
    # The gradient bars' fill: the health colour at 55 % over the background (widgets.chart).
    fg, bg = QColor(theme.healthy), QColor(theme.background)
    a = 140 / 255
    mix = [round(255 * (a * x + (1 - a) * y)) for x, y in zip(fg.getRgbF()[:3], bg.getRgbF()[:3], strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*mix)


RSVG = shutil.which("rsvg-convert")


@pytest.mark.skipif(RSVG is None, reason="rsvg-convert not installed (Debian: apt-get install -y librsvg2-bin)")
@pytest.mark.parametrize("view", ["both", "activations"])
def test_svg_rendered_by_librsvg_has_the_png_exports_bars(tmp_path, view):
    svg = tmp_path / "chart.svg"
    svg.write_bytes(render_svg(HE, SIZE, "light", view))
    out = tmp_path / "rsvg.png"
    subprocess.run([RSVG, "-w", str(SIZE[0]), "-h", str(SIZE[1]), "-o", str(out), str(svg)], check=True, timeout=60)
    ours = _rgb(render_image(HE, SIZE, "light", view))
    theirs = _rgb(QImage(str(out)))
    assert theirs.shape == ours.shape
    light = themes.get("light")
    colours = [light.healthy] + ([_gradient_fill(light)] if view == "both" else [])
    plot = np.s_[40:600, 80:1270]  # the plot area (no legend swatches)
    for colour in colours:
        a, b = _mask(ours[plot], colour), _mask(theirs[plot], colour)
        assert a.sum() > 2000, colour  # the bars are there at all
        iou = (a & b).sum() / (a | b).sum()
        assert iou > 0.9, (colour, iou)
        # Bar by bar: the same height in pixels (columns of bar colour), to 2 px.
        np.testing.assert_allclose(b.sum(axis=0), a.sum(axis=0), atol=3)
    # The old failure: outlines drawn a scale factor too thick turned the bars into a dark mass.
    dark = (theirs[plot].astype(np.int32).sum(axis=2) < 200).mean()
    assert dark < 0.02, dark


def test_svg_has_no_clip_paths_and_no_data_space_transforms():
    data = render_svg(HE, SIZE, "light", "both").decode("utf-8")
    assert "clip-path=" not in data  # ImageMagick drops clipped groups
    assert 'id="HealthBars_1"' in data
    bars = data.split('id="HealthBars_1"', 1)[1].split("</g>", 2)[0]
    # The bars are in pixels, not in a data space scaled by ~20 x -300 (whose 1-unit outline
    # librsvg drew 300 px thick): any transform on them is the identity.
    assert set(re.findall(r"matrix\(([^)]*)\)", bars)) <= {"1,0,0,1,0,0"}


def test_4k_export_keeps_the_legend_in_proportion():
    small = _rgb(render_image(HE, (1280, 720)))
    big = _rgb(render_image(HE, (3840, 2160)))
    healthy = themes.get("light").healthy

    def legend_swatch(rgb):
        h = rgb.shape[0]
        return _mask(rgb[int(0.86 * h) : int(0.96 * h)], healthy, tol=10).sum()

    assert legend_swatch(small) > 50
    assert legend_swatch(big) > 6 * legend_swatch(small)  # ~9x the area at 3x the size
    with offscreen_chart(HE, (1280, 720), scale=3.0) as chart:
        assert not chart.legend.flags() & QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations


def test_figure_with_caption_puts_the_readout_under_the_chart():
    text = caption_text(HE)
    assert "Output activation" in text and "\n" in text
    with offscreen_chart(HE, SIZE, caption=True) as chart:
        assert chart.caption.isVisible() and chart.caption.plain_text() == text
        # Below the legend, inside the figure.
        assert chart.caption.sceneBoundingRect().top() >= chart.rule.sceneBoundingRect().bottom() - 1
        assert chart.caption.sceneBoundingRect().bottom() <= SIZE[1] + 1
    with_caption = render_png(HE, SIZE, caption=True)
    assert with_caption != render_png(HE, SIZE)
    svg = render_svg(HE, SIZE, caption=True).decode("utf-8")
    assert "Output activation" in svg


def test_pinned_ghost_is_exported_to_png_and_svg():
    state = {"pinned": XAVIER}
    plain, pinned = render_image(HE, SIZE), render_image(HE, SIZE, state=state)
    assert _rgb(plain).tobytes() != _rgb(pinned).tobytes()
    svg = render_svg(HE, SIZE, state=state).decode("utf-8")
    assert "pinned: relu, gaussian, s = 1, L = 50" in svg
    assert svg.count("<rect") > render_svg(HE, SIZE).decode("utf-8").count("<rect") + 40  # the ghost's bars


def test_cli_exports_a_pinned_linear_figure_with_caption(tmp_path, capsys):
    png, svg = tmp_path / "a.png", tmp_path / "a.svg"
    code = cli_main(
        [
            "export",
            "--preset",
            "he-relu",
            "--pin",
            "xavier-relu",
            "--linear",
            "--caption",
            "--png",
            str(png),
            "--svg",
            str(svg),
            "--size",
            "1280x720",
        ]
    )
    assert code == 0
    img = QImage(str(png))
    assert (img.width(), img.height()) == SIZE
    text = svg.read_text()
    assert "RMS (linear scale)" in text and "pinned: relu" in text and "Output activation" in text
    assert cli_main(["export", "--pin", "nope", "--csv", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--pin must be one of" in err[0]
    assert not (tmp_path / "x.csv").exists()
