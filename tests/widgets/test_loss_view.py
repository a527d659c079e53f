"""Loss view: decade ticks that never crowd a short view, a legend beside the curves, never over them."""

from __future__ import annotations

import itertools

import numpy as np

from depthlens.widgets.loss_view import Curve, LossView


def _view(qtbot, height):
    v = LossView()
    qtbot.addWidget(v)
    v.resize(800, height)
    v.show()
    qtbot.waitExposed(v)
    steps = np.arange(300, dtype=np.float64)
    v.set_others(
        [
            Curve("flat", steps, np.full(300, 0.6931)),
            Curve("learning", steps, 0.69 * np.exp(-steps / 40.0) + 0.005),
        ]
    )
    v.set_current(Curve("exploding", steps, np.exp(steps / 60.0)))
    qtbot.wait(50)
    return v


def test_y_tick_labels_drawn_never_overlap_in_a_short_view(qtbot):
    from PySide6.QtGui import QImage, QPainter

    v = _view(qtbot, 200)
    axis = v.plot.getAxis("left")
    img = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(img)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    rects = sorted((r for r, _, _ in texts), key=lambda r: r.top())
    assert len(rects) >= 2
    for a, b in itertools.pairwise(rects):
        assert a.bottom() <= b.top() + 0.5, [t for _, _, t in texts]  # drawn labels never touch
    assert all(t.startswith("10") or "·10" in t for _, _, t in texts), [t for _, _, t in texts]


def test_legend_is_beside_the_plot_and_names_every_curve(qtbot):
    v = _view(qtbot, 200)
    legend = v.legend.sceneBoundingRect()
    plot = v.plot.vb.sceneBoundingRect()
    assert not legend.intersects(plot)
    assert legend.left() >= plot.right()
    assert [label.text for _, label in v.legend.items] == ["flat", "learning", "exploding"]
    assert plot.height() >= 0.5 * v.graphics.height()  # the curves keep most of the height
