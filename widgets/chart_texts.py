"""The layer chart's texts: title, colour rule, the "no theory line" note, overflow labels, legend, y axis title.

A base of `widgets.chart.LayerChart`. Each text is set only when it changes (a new text
relayouts the chart, milliseconds), and the title, rule and legend are fitted to the
chart's width (`widgets.chart_fit`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF

from depthlens.engine import Result
from depthlens.engine.health import SeriesData, overflow_label
from depthlens.engine.views import SERIES_LABELS, VIEW_LABELS

from . import chart_fit, chart_legend
from .axes import baseline_label, fit_axis_width
from .pin import Ghost, pin_label
from .theme import Theme

NOTE_CHARS = 90  # a longer "no theory line" note shows its first clause in the plot (the readout has it all)
SHRINK_AFTER = 3  # results in a row that ask for a narrower y axis before it narrows


def chart_note(note: str) -> str:
    """The plot's one-line note when there is no theory line: "no theory line" once, short.

    A long note (batch norm's is four lines) drawn in one line over the plot runs off both
    of its sides; its first clause names the case and the readout says the rest.
    """
    if len(note) > NOTE_CHARS:
        note = note.split(". ")[0].split(": ")[0] + " (see the readout)"
    return note if note.startswith("no theory line") else f"no theory line: {note}"


WAITING = "Computing the first result…"  # the chart's title before its first result


class ChartTexts(pg.GraphicsLayoutWidget):
    """Title, rule, note, labels, legend and the y axis's title and width.

    The base of `widgets.chart.LayerChart` (which makes every attribute below).
    """

    result: Result | None
    pinned: Result | None
    theme: Theme
    view: str
    linear: bool
    baseline: float
    font_scale: float
    pen_scale: float
    legend_columns: int
    hover_layer: int | None
    hover_text: str
    _series: dict[str, SeriesData]
    _theory_targets: dict[str, np.ndarray]
    _labels: list[pg.TextItem]
    _note: pg.TextItem
    _ghost: Ghost
    _brush_sets: tuple
    _extra_legend: list[tuple[object, str]]
    _legend_key: tuple | None
    _range_to: tuple[float, ...]
    waiting_text: str = WAITING  # the title before any result (set_waiting changes it)
    _range_shown: tuple[float, ...]
    _narrower: int

    def _pt(self, size: float) -> str:
        return f"{size * self.font_scale:.3g}pt"

    def _update_labels(self, floor: float, marker: float, offsets: tuple[float, float]) -> None:
        for label in self._labels:
            label.hide()
        i = 0
        depth = self.result.depth if self.result else 0
        for slot, (col, s) in enumerate(self._series.items()):
            what = SERIES_LABELS[col].replace(" RMS", "")
            if s.first_bad is not None:
                text = overflow_label(self.result, col, s.first_bad)
                lab = self._labels[i]
                i += 1
                lab.setText(text)
                anchor_x = 1.0 if s.first_bad > depth / 2 else 0.0
                lab.setAnchor((anchor_x, 1.0 + 0.9 * slot))
                lab.setPos(s.first_bad + offsets[slot], marker)
                lab.show()
            if s.first_zero is not None:
                if self.result is not None and self.result.settings.init == "zeros":
                    # Not an underflow: W = 0 passes nothing back (and every unit is phi(0) forward).
                    if col == "activation_rms":
                        text = f"{what} exactly 0 from layer {s.first_zero} (W = 0: every unit is φ(0))"
                    else:
                        text = f"{what} exactly 0 below layer {depth} (W = 0 passes nothing back)"
                else:
                    text = f"{what} underflow to 0 at layer {s.first_zero}"
                lab = self._labels[i]
                i += 1
                lab.setText(text)
                anchor_x = 1.0 if s.first_zero > depth / 2 else 0.0
                lab.setAnchor((anchor_x, 1.0 + 0.9 * slot))  # above the stubs, a line per series
                lab.setPos(s.first_zero + offsets[slot], floor)
                lab.show()

    def _update_note(self) -> None:
        r = self.result
        if r is not None and not r.theory.defined:
            self._note.setText(chart_note(r.theory.note))
            self._note.show()
        else:
            self._note.hide()

    def set_waiting(self, text: str) -> None:
        """The title shown until the first result (e.g. why there is none yet)."""
        self.waiting_text = text
        if self.result is None:
            self._update_title()

    def _update_title(self) -> None:
        t = self.theme
        if self.result is None:
            # Not "depthlens": the window's title already says it (it read twice).
            text = self.waiting_text
        else:
            s = self.result.settings
            text = (
                f"{VIEW_LABELS[self.view]} per layer{' —<br>' if self.font_scale > 1.2 else ' — '}"  # 2 lines if large
                f"{s.activation}, {s.init} init, "
                f"s = {s.scale:.3g}, L = {s.depth}, n = {s.width}, B = {s.batch}, {s.dtype}"
            )
        key = (text, t.foreground, self._pt(12))
        if key == getattr(self, "_title_key", None):
            return  # the same title: no relayout (a result at another scale changes it, a tween frame not)
        self._title_key = key
        self.title.setText(text, color=key[1], size=key[2])
        self.fit_width()

    def fit_width(self) -> None:
        """Wrap the title and the colour rule and narrow the legend to the chart's width."""
        if not hasattr(self, "rule") or getattr(self, "closed", False):  # being built, or closed (scene cleared)
            return
        chart_fit.fit_width(self, self.ci, [self.title, self.rule], self.legend, self.legend_columns)

    def set_legend_columns(self, columns: int) -> None:
        """Use at most `columns` legend columns (fewer if they do not fit)."""
        self.legend_columns = max(1, int(columns))
        self.fit_width()

    def _legend_state(self) -> tuple:
        """What the legend shows: rebuilt only when this changes."""
        # Some bar is inf/NaN or exactly 0 (not a blank one: health leaves those out of both).
        shows_bad = any(s.first_bad is not None or s.first_zero is not None for s in self._series.values())
        pinned = pin_label(self.pinned) if self.pinned is not None else ""
        extra = tuple(text for _, text in self._extra_legend)
        looks = (self.theme.name, self.view, self.pen_scale, self.font_scale)
        return (*looks, shows_bad, bool(self._theory_targets), pinned, extra)

    def _update_legend(self) -> None:
        t = self.theme
        key = self._legend_state()
        if key == self._legend_key:
            return  # rebuilding the legend costs ~30 ms: only when its content changes
        self._legend_key = key
        shows_bad, pinned = key[4], key[6]
        self.legend.clear()
        k = self.pen_scale  # sample lines grow with an export's scale like the plot's do
        self.legend.setLabelTextColor(t.foreground)
        self.legend.setLabelTextSize(self._pt(11))
        own = chart_legend.rows(
            t,
            solid=self._brush_sets[0],
            outlined=self._brush_sets[1],
            shows_bad=shows_bad,
            both=self.view == "both",
            theory=bool(self._theory_targets),
            pinned=pinned,
            ghost_pen=self._ghost.pen(t.foreground, max(1.0, t.line_width * 0.75) * k) if pinned else None,
            k=k,
        )
        for sample, text in own:
            self.legend.addItem(sample, text)
        for sample_item, text in self._extra_legend:
            self.legend.addItem(sample_item, text)
        self.fit_width()

    def set_extra_legend(self, entries: list[tuple[object, str]]) -> None:
        """Legend entries of items drawn over the chart by others: (sample item, text)."""
        texts, old = [t for _, t in entries], [t for _, t in self._extra_legend]
        if texts == old:
            return
        rows = self.legend.items
        if old and len(texts) == len(old) and len(rows) >= len(old) and self._legend_key == self._legend_state():
            # Only the words changed (a spread's seed count as its seeds come in): relabel
            # those rows in place; a rebuild would stall the event loop ~30 ms per partial.
            self._extra_legend = [(sample, text) for (sample, _), text in zip(self._extra_legend, texts, strict=True)]
            labels = [label for _, label in rows[-len(texts) :]]
            widths = [label.itemRect().width() for label in labels]
            for label, text in zip(labels, texts, strict=True):
                label.setText(text)
            self._legend_key = self._legend_state()
            if widths != [label.itemRect().width() for label in labels]:
                self.fit_width()  # only a wider or narrower row can change the legend's columns
            return
        self._extra_legend = list(entries)
        self._update_legend()

    def _update_rule(self) -> None:
        """The line under the legend: what a bar's colour is compared with, where bars start."""
        t = self.theme
        ref = {
            "activations": "layer 0 (the input)",
            "gradients": "layer L (the output)",
            "weight_gradients": "layer L (the output)",
            "both": "layer 0 for activations, layer L for gradients",
        }[self.view]
        start = "0" if self.linear else baseline_label(self.baseline)
        where = "" if self.linear else " (below every value shown)"
        bars = f" Bars rise from {start}{where}." if self.result is not None else ""
        key = (f"Colour: each bar compared with {ref}.{bars}", t.foreground, self._pt(9))
        if key == getattr(self, "_rule_key", None):
            return  # unchanged: no relayout
        self._rule_key = key
        self.rule.setText(key[0], color=key[1], size=key[2])
        self.fit_width()

    def _label_left_axis(self, *_args) -> None:
        """The y axis title, shorter when the plot is lower than it (it would run into the title and x axis)."""
        scale = "linear" if self.linear else "log"
        font = QFont()
        font.setPointSizeF(12 * self.font_scale)
        fm = QFontMetricsF(font)
        room = self.plot.vb.height()
        texts = (f"RMS ({scale} scale)", f"RMS ({scale})", "RMS")
        # a line's height to spare at each end: pyqtgraph centres the title on the axis, not the plot
        label = next((t for t in texts if fm.horizontalAdvance(t) + 2 * fm.height() <= room), texts[-1])
        key = (label, self.theme.foreground, self._pt(12))
        if key != getattr(self, "_left_label", None):  # setLabel relayouts the axis: only on a change
            self._left_label = key
            self.plot.getAxis("left").setLabel(label, color=key[1], **{"font-size": key[2]})

    def _fit_left_axis(self) -> None:
        """Make the y axis as wide as its widest tick label in the target range plus its title."""
        left = self.plot.getAxis("left")
        font = left.style.get("tickFont") or QFont()
        _, _, y0, y1 = self._range_to
        height = max(100.0, self.plot.vb.height())
        key = (y0, y1, height, self.font_scale, font.key(), left.label.toHtml() if left.label else "")
        cached = getattr(self, "_left_fit", None)
        if cached is not None and cached[0] == key:
            width = cached[1]  # same range, height and fonts: same labels, same width
        else:
            labels = [t for _, vals in left.tickValues(y0, y1, height) for t in left.tickStrings(vals, 1.0, 1.0)]
            width = fit_axis_width(font, 12 * self.font_scale, labels, left)
            self._left_fit = (key, width)
        current = left.fixedWidth
        # A new width relayouts the whole chart (milliseconds). Wider at once, so no label is
        # cut; narrower only once SHRINK_AFTER results in a row asked for less, so a drag
        # whose range swings between 10¹ and 10¹⁵ does not relayout on every result.
        if current is None or width > current:
            self._narrower = 0
            left.setWidth(width)
        elif width < current:
            self._narrower += 1
            if self._narrower >= SHRINK_AFTER:
                self._narrower = 0
                left.setWidth(width)
        else:
            self._narrower = 0
