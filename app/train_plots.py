"""Training plots without a window: the loss curve as PNG for `depthlens train --png`.

The same `LossView` as in the window, laid out offscreen and exported with pyqtgraph's
ImageExporter (see `depthlens.headless`).
"""

from __future__ import annotations

from depthlens.engine.training import Trainer
from depthlens.headless import ensure_app, image_png_bytes


def curve_of(trainer: Trainer, label: str):
    """The run's recorded loss curve as a `Curve`."""
    from depthlens.widgets.loss_view import Curve

    h = trainer.history
    return Curve(label, h.column("step").copy(), h.column("loss").copy())


def run_label(trainer: Trainer) -> str:
    """init, activation, depth and lr of a run, e.g. 'gaussian s=1.41 relu L=10 adam lr=0.01'."""
    s, c = trainer.settings, trainer.config
    return f"{s.init} s={s.scale:.3g} {s.activation} L={s.depth} {c.optimizer} lr={c.lr:.3g}"


def loss_png(trainer: Trainer, size: tuple[int, int] = (1280, 720), theme: str = "light") -> bytes:
    """PNG bytes of the run's loss curve at `size` pixels."""
    ensure_app()
    from pyqtgraph.exporters import ImageExporter
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from depthlens.widgets.loss_view import LossView

    view = LossView(theme=theme)
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.resize(*size)
    view.show()
    view.set_current(curve_of(trainer, run_label(trainer)))
    QApplication.processEvents()
    try:
        exporter = ImageExporter(view.graphics.ci)
        exporter.parameters()["width"] = int(size[0])
        return image_png_bytes(exporter.export(toBytes=True))
    finally:
        view.close()
        view.deleteLater()
