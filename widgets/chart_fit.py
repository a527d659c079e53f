"""Fit a pyqtgraph layout's title, notes and legend into its view's width, so nothing is cut off.

A pyqtgraph `LabelItem` makes its text width the layout's minimum width, and a legend
with `n` columns is as wide as its widest row: both push the plot beyond a narrow
window (1024x768 with the control panel), cutting off the last layers and legend items.
`fit_width` wraps long labels at the available width and lowers the legend's column
count until it fits (at most `max_columns`), then gives the layout the view's whole
rectangle again: the view sized it before the fit, clamped to the wider minimum.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt


class StableLabel(pg.LabelItem):
    """A LabelItem whose new text relayouts the layout only when the label's height changes.

    pyqtgraph's LabelItem asks its layout to run again on every `setText`; the chart's
    title changes with each result of a drag (s = 1.23, ...), and each relayout of the
    chart's grid cost milliseconds of event-loop time. Only a new height, or a text wider
    than the label's present width (it would be cut at both ends), needs one.
    """

    _laid_out_height: float | None = None

    def updateGeometry(self) -> None:  # Qt override
        """Tell the layout of a new height, or of a text wider than the label is now."""
        text = self.itemRect()
        if text.height() == self._laid_out_height and text.width() <= self.geometry().width() + 0.5:
            return  # the new text fits where the old one was: no relayout
        self._laid_out_height = text.height()
        super().updateGeometry()

    def updateMin(self) -> None:  # pyqtgraph override
        """As pyqtgraph's, but no minimum width: the column's width is the label's."""
        super().updateMin()
        self.setMinimumWidth(0)


def available_width(view: pg.GraphicsView, layout: pg.GraphicsLayout) -> float:
    """The width the layout's items may use inside `view` (its contents margins removed)."""
    left, _top, right, _bottom = layout.layout.getContentsMargins()
    return max(50.0, view.viewport().width() - left - right - 2.0)


def wrap_label(label: pg.LabelItem, width: float) -> None:
    """Let `label` wrap at `width` when its text is longer, else keep it on one line."""
    item = label.item
    item.setTextWidth(-1)
    if item.boundingRect().width() > width:
        item.setTextWidth(width)
    label.updateMin()


def legend_width(legend: pg.LegendItem, columns: int) -> float:
    """The width `legend` needs with `columns` columns (sample + label, its spacing)."""
    widths = [0.0] * columns
    for i, (sample, label) in enumerate(legend.items):
        w = sample.boundingRect().width() + label.itemRect().width() + legend.layout.horizontalSpacing() + 6.0
        widths[i % columns] = max(widths[i % columns], w)
    return sum(widths)


def laid_out_width(legend: pg.LegendItem) -> float:
    """The minimum width of `legend` as laid out now (its grid's spacing and margins included)."""
    return legend.layout.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()


def fit_legend(legend: pg.LegendItem, width: float, max_columns: int) -> int:
    """The most columns up to `max_columns` whose legend fits `width`; applied, and returned.

    `legend_width` guesses from the items (no relayout); the grid as laid out decides, as
    it is wider by its spacing and margins.
    """
    count = max(1, len(legend.items))
    columns = max(1, min(max_columns, count))
    while columns > 1 and legend_width(legend, columns) > width:
        columns -= 1
    if columns != legend.columnCount:
        legend.setColumnCount(columns)
    while columns > 1 and laid_out_width(legend) > width:
        columns -= 1
        legend.setColumnCount(columns)
    return columns


def fit_width(
    view: pg.GraphicsView,
    layout: pg.GraphicsLayout,
    labels: list[pg.LabelItem],
    legend: pg.LegendItem,
    max_columns: int,
) -> None:
    """Wrap `labels` and set the legend's columns so that everything fits the view's width."""
    width = available_width(view, layout)
    for label in labels:
        wrap_label(label, width)
    fit_legend(legend, width, max_columns)
    rect = view.range  # the view's pixel rectangle, which it gave the layout when it was resized
    if layout.geometry() != rect:
        layout.setGeometry(rect)
