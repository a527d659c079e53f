"""The layer chart's hover: which layer is under the mouse, and its tooltip (every column, in words).

A base of `widgets.chart.LayerChart` (above `chart_texts.ChartTexts`, which declares the
chart's attributes it reads).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRect
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QToolTip

from depthlens.engine import COLUMNS
from depthlens.engine.health import BLANK, HEALTH_NAMES
from depthlens.engine.numbers import sig
from depthlens.engine.views import COLUMN_WORDS, SERIES_LABELS

from .chart_texts import ChartTexts

TOOLTIP_MS = 600_000  # a bar's tooltip stays while the mouse rests on the bar (Qt's default: ~10 s)


def format_value(x: float) -> str:
    """A value for tooltips: 4 significant digits, inf/NaN spelled out."""
    return sig(x, 4)


class ChartHover(ChartTexts):
    """The hovered layer's tooltip, kept while the mouse rests on its bar."""

    def layer_tooltip(self, layer: int) -> str:
        """Every CSV column of `layer` in words with its number, the bars' health and the pin, as rich text."""
        r = self.result
        if r is None or not 0 <= layer <= r.depth:
            return ""
        rows = []
        pin = self.pinned
        for name in COLUMNS[1:]:
            if name.startswith("theory_") and not r.theory.defined:
                text = "—"
            else:
                v = float(r.column(name)[layer])
                text = "—" if (layer == 0 and name in ("weight_grad_rms", "inactive_fraction")) else format_value(v)
            pinned_row = pin is not None and layer <= pin.depth and not (layer == 0 and name == "weight_grad_rms")
            if pin is not None and pinned_row and name in SERIES_LABELS:
                text += f" (pinned {format_value(float(pin.column(name)[layer]))})"
            rows.append(f"<tr><td>{COLUMN_WORDS[name]}</td><td align='right'>&nbsp;{text}</td></tr>")
        health = ", ".join(
            f"{SERIES_LABELS[c]}: {HEALTH_NAMES[int(s.codes[layer])]}"
            for c, s in self._series.items()
            if s.codes[layer] != BLANK
        )
        return f"<b>layer {layer}</b><br>{health}<table>{''.join(rows)}</table>"

    def layer_at(self, scene_pos: QPointF) -> int | None:
        """The layer under a scene position inside the plot, if any."""
        if self.result is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        layer = round(p.x())
        if 0 <= layer <= self.result.depth and abs(p.x() - layer) <= 0.5:
            return int(layer)
        return None

    def _on_mouse_moved(self, pos: QPointF) -> None:
        layer = self.layer_at(pos)
        if layer == self.hover_layer:
            return
        self.hover_layer = layer
        if layer is None:
            self.hover_text = ""
            QToolTip.hideText()
            return
        self.hover_text = self.layer_tooltip(layer)
        self._show_tooltip()

    def _bar_rect(self, layer: int) -> QRect:
        """The widget rectangle of layer `layer`'s column (the tooltip stays while the mouse is in it)."""
        vb = self.plot.vb
        _, _, y0, y1 = self._range_shown
        a = vb.mapViewToScene(QPointF(layer - 0.5, y1))
        b = vb.mapViewToScene(QPointF(layer + 0.5, y0))
        return QRect(self.mapFromScene(a), self.mapFromScene(b)).normalized()

    def _show_tooltip(self) -> None:
        if self.hover_layer is None or not self.hover_text:
            return
        rect = self._bar_rect(self.hover_layer)
        QToolTip.showText(QCursor.pos(), self.hover_text, self, rect, TOOLTIP_MS)

    def viewportEvent(self, ev) -> bool:  # Qt override
        """Keep the bar's tooltip against Qt's own tooltip event.

        That event goes to the scene, which finds no item with a tooltip under the mouse and
        hides ours: it vanished about a second after the mouse stopped.
        """
        if ev.type() == QEvent.Type.ToolTip:
            if self.hover_layer is not None:
                self._show_tooltip()
            ev.accept()
            return True
        return super().viewportEvent(ev)

    def leaveEvent(self, event) -> None:  # Qt override
        """Forget the hovered layer when the mouse leaves the chart."""
        self.hover_layer = None
        QToolTip.hideText()
        super().leaveEvent(event)
