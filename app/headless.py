"""Render the chart without a window: PNG/SVG bytes for `depthlens export` and the app.

The same `LayerChart` as in the window is laid out offscreen at a logical size of about
1280x720 (so fonts and bars look like on screen) and exported with pyqtgraph's
ImageExporter (scaled to the exact pixel size asked for) or SVGExporter. Files are
written atomically (`engine.export.atomic_write`): no partial file on error.

`state` carries what the window's chart shows besides the result (`LayerChart.export_state`:
the linear axis, the pinned ghost, the theory line); `caption=True` puts the readout's
sentences under the chart ("figure with caption", for slides).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

from depthlens.engine import Result
from depthlens.engine.export import atomic_write

LOGICAL_HEIGHT = 720  # exports taller than this are rendered at this height and scaled up


def ensure_app():
    """The QApplication, created on the offscreen platform when there is no display."""
    if not os.environ.get("QT_QPA_PLATFORM") and not (
        sys.platform in ("win32", "darwin") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(["depthlens"])
        app.setApplicationName("depthlens")
        app.setOrganizationName("depthlens")
        app.setStyle("Fusion")
    return app


def logical_size(size: tuple[int, int]) -> tuple[tuple[int, int], float]:
    """((w, h) to lay the chart out at, scale factor) for an export of `size` pixels."""
    w, h = size
    k = max(1.0, h / LOGICAL_HEIGHT)
    return (max(16, round(w / k)), max(16, round(h / k))), k


def caption_text(result: Result) -> str:
    """The readout's sentences, one per line: the caption of a figure with caption."""
    from depthlens.widgets.readout import describe

    return "\n".join(text for text, _ in describe(result))


@contextlib.contextmanager
def offscreen_chart(
    result: Result,
    size: tuple[int, int],
    theme: str = "light",
    view: str = "both",
    scale: float = 1.0,
    *,
    state: dict[str, Any] | None = None,
    caption: bool = False,
) -> Iterator:
    """A LayerChart showing `result`, laid out at `size` but never shown on screen."""
    ensure_app()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from depthlens.widgets.chart import LayerChart

    chart = LayerChart(theme=theme, view=view)
    chart.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    chart.animation_ms = 0
    if state:
        chart.apply_state(state)
    if scale != 1.0:
        chart.set_pen_scale(scale)
    if caption:
        chart.set_caption(caption_text(result))
    chart.resize(*size)
    chart.show()  # lays out the scene (no window appears: WA_DontShowOnScreen)
    chart.set_result(result, animate=False)
    QApplication.processEvents()
    # The legend's columns and the caption's height follow the width: settle the layout (the
    # SVG exporter paints the scene as it is; the PNG exporter would lay it out again), then
    # place everything once more in the final plot area.
    for _ in range(2):
        chart.ci.layout.activate()
        QApplication.processEvents()
    chart.set_result(result, animate=False)
    try:
        yield chart
    finally:
        chart.close()
        chart.deleteLater()


def chart_image(chart, size: tuple[int, int]):
    """The chart's whole layout (title, plot, legend) as a QImage of exactly `size`."""
    from pyqtgraph.exporters import ImageExporter
    from PySide6.QtCore import Qt

    exporter = ImageExporter(chart.ci)
    exporter.parameters()["width"] = int(size[0])
    img = exporter.export(toBytes=True)
    if (img.width(), img.height()) != tuple(size):  # aspect rounding: at most a pixel or two
        img = img.scaled(
            size[0], size[1], Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return img


def image_png_bytes(img) -> bytes:
    """Encode a QImage (or QPixmap) as PNG bytes; raise OSError if Qt cannot."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = img.save(buf, "PNG")
    buf.close()
    if not ok:
        raise OSError("could not encode the PNG image")
    return bytes(data.data())


def render_png(
    result: Result,
    size: tuple[int, int] = (1920, 1080),
    theme: str = "light",
    view: str = "both",
    *,
    state: dict[str, Any] | None = None,
    caption: bool = False,
) -> bytes:
    """PNG bytes of the chart of `result` at exactly `size` pixels."""
    return image_png_bytes(render_image(result, size, theme, view, state=state, caption=caption))


def render_image(
    result: Result,
    size: tuple[int, int],
    theme: str = "light",
    view: str = "both",
    *,
    state: dict[str, Any] | None = None,
    caption: bool = False,
):
    """The chart of `result` as a QImage of exactly `size` pixels."""
    lsize, k = logical_size(size)
    with offscreen_chart(result, lsize, theme, view, scale=k, state=state, caption=caption) as chart:
        return chart_image(chart, size)


_CLIP_ATTR = re.compile(rb' clip-path="url\(#[^)]*\)"')


def portable_svg(data: bytes) -> bytes:
    """Drop the plot's clip path: ImageMagick's SVG reader draws nothing of a clipped group.

    Safe for this chart: its range always covers every bar, line and marker it draws (the
    y range comes from the values in view, the x range from the depth), so the clip cuts
    nothing. librsvg, browsers and Qt render the file the same with or without it.
    """
    return _CLIP_ATTR.sub(b"", data)


def render_svg(
    result: Result,
    size: tuple[int, int] = (1280, 720),
    theme: str = "light",
    view: str = "both",
    *,
    state: dict[str, Any] | None = None,
    caption: bool = False,
) -> bytes:
    """SVG bytes (UTF-8 XML) of the chart of `result`, laid out at `size`."""
    from pyqtgraph.exporters import SVGExporter

    lsize, _ = logical_size(size)
    with offscreen_chart(result, lsize, theme, view, state=state, caption=caption) as chart:
        data = SVGExporter(chart.ci).export(toBytes=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return portable_svg(bytes(data))


def export_images(
    result: Result,
    png: str | os.PathLike | None = None,
    svg: str | os.PathLike | None = None,
    size: tuple[int, int] = (1920, 1080),
    theme: str = "light",
    view: str = "both",
    *,
    state: dict[str, Any] | None = None,
    caption: bool = False,
) -> None:
    """Write the chart of `result` as PNG (exactly `size`) and/or SVG, atomically."""
    if png:
        atomic_write(png, render_png(result, size, theme, view, state=state, caption=caption))
    if svg:
        atomic_write(svg, render_svg(result, size, theme, view, state=state, caption=caption))
