"""The main window's menus (File, View, Presets) and its export toolbar.

Built once by `build(window)`; the actions stay on the window (`png_actions`,
`svg_action`, ..., `pin_action`, `linear_action`) for its other parts and the add-ons.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QToolBar, QToolButton, QWidget

from depthlens.engine import PRESETS
from depthlens.engine.views import VIEW_LABELS, VIEWS

from .cache_size import CacheSize

VIEW_TOOLTIPS = {
    "activations": "Show the RMS of each layer's activations a_l (the forward signal).",
    "gradients": "Show the RMS of the loss gradient with respect to each layer's activations (the backward signal).",
    "weight_gradients": "Show the RMS of the gradient of each layer's weight matrix (what training would use).",
    "both": "Show activations (solid) and gradients (outlined) side by side for every layer.",
}

PNG_SIZES: dict[str, tuple[int, int] | None] = {
    "Window size": None,
    "1920 × 1080": (1920, 1080),
    "3840 × 2160": (3840, 2160),
}


def _action(
    w, text: str, slot, tip: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None
) -> QAction:
    act = QAction(text, w)
    act.setToolTip(tip)
    act.setStatusTip(tip)
    if shortcut:
        act.setShortcut(QKeySequence(shortcut))
    act.triggered.connect(lambda _=False: slot())
    return act


def build(w) -> None:
    """The window's File, View and Presets menus and its export toolbar (actions kept on `w`)."""
    bar = w.menuBar()
    w.file_menu = bar.addMenu("&File")
    png_menu = w.file_menu.addMenu("Export chart as &PNG")
    png_menu.setToolTip("Save the chart as a PNG image at the chosen resolution.")
    w.png_actions = {}
    for label, size in PNG_SIZES.items():
        act = _action(w, label, lambda s=size: w.export_chart_png(size=s), f"Save the chart as a PNG image ({label}).")
        png_menu.addAction(act)
        w.png_actions[label] = act
    w.svg_action = _action(w, "Export chart as &SVG…", w.export_chart_svg, "Save the chart as a scalable SVG drawing.")
    w.screenshot_action = _action(
        w, "Export &window screenshot as PNG…", w.export_screenshot, "Save a PNG of the whole window."
    )
    w.csv_action = _action(
        w, "Export &CSV…", w.export_csv, "Save the per-layer numbers as CSV (same format as depthlens export)."
    )
    w.npz_action = _action(
        w, "Export &network (NPZ)…", w.export_npz, "Save the exact weights, biases and inputs as a NumPy NPZ file."
    )
    w.copy_action = _action(
        w,
        "Cop&y chart image",
        w.copy_chart,
        "Copy the chart as an image to the clipboard.",
        QKeySequence.StandardKey.Copy,
    )
    quit_action = _action(w, "&Quit", w.close, "Close depthlens.", QKeySequence.StandardKey.Quit)
    w.caption_action = QAction("Chart exports &with the readout (figure with caption)", w, checkable=True)
    w.caption_action.setToolTip("PNG, SVG and Copy put the readout's sentences under the chart, for slides.")
    w.caption_action.setStatusTip(w.caption_action.toolTip())
    for act in (w.svg_action, w.screenshot_action, w.csv_action, w.npz_action):
        w.file_menu.addAction(act)
    w.file_menu.addAction(w.caption_action)
    w.file_menu.addSeparator()
    w.file_menu.addAction(w.copy_action)
    w.file_menu.addSeparator()
    w.cache = CacheSize(w, w.file_menu)  # File > Weight cache
    w.file_menu.addSeparator()
    w.file_menu.addAction(quit_action)

    w.view_menu = bar.addMenu("&View")
    group = QActionGroup(w)
    w._view_actions = {}
    for view in VIEWS:
        act = QAction(VIEW_LABELS[view], w, checkable=True)
        act.setToolTip(VIEW_TOOLTIPS[view])
        act.setChecked(view == w.chart.view)
        act.triggered.connect(lambda _=False, v=view: w.set_view(v))
        group.addAction(act)
        w.view_menu.addAction(act)
        w._view_actions[view] = act
    w.view_menu.addSeparator()
    w.pin_action = _action(
        w,
        "&Pin these bars",
        w.pin_chart,
        "Keep the bars shown now as a faded ghost under the next ones (e.g. Xavier, then He), exported too.",
    )
    w.unpin_action = _action(w, "&Remove the pin", w.chart_unpin, "Remove the pinned ghost bars.")
    w.unpin_action.setEnabled(False)
    w.linear_action = QAction("&Linear y axis", w, checkable=True)
    w.linear_action.setToolTip("Plot the RMS itself from 0 instead of its log (how small 1e-15 really is).")
    w.linear_action.setStatusTip(w.linear_action.toolTip())
    w.linear_action.toggled.connect(w.chart.set_linear)
    for act in (w.pin_action, w.unpin_action, w.linear_action):
        w.view_menu.addAction(act)
    w.view_menu.setToolTipsVisible(True)
    w.view_menu.addSeparator()
    w.view_menu.addAction(w.controls_dock_toggle())

    presets_menu = bar.addMenu("&Presets")
    for name, preset in PRESETS.items():
        act = QAction(name, w)
        act.setToolTip(preset.description)
        act.setStatusTip(preset.description)
        act.triggered.connect(lambda _=False, n=name: w.apply_preset(n))
        presets_menu.addAction(act)
    presets_menu.setToolTipsVisible(True)
    w.file_menu.setToolTipsVisible(True)

    tools = w.addToolBar("Export")
    tools.setObjectName("export")
    png_button = QToolButton()
    png_button.setText("PNG")
    png_button.setToolTip("Export the chart as PNG (click: window size; arrow: choose a resolution).")
    png_button.setMenu(png_menu)
    png_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    buttons = [(png_button, w.png_actions["Window size"], "PNG")]
    for act, text in ((w.svg_action, "SVG"), (w.csv_action, "CSV"), (w.copy_action, "Copy")):
        buttons.append((QToolButton(), act, text))
    for b, act, text in buttons:
        _add_button(tools, b, act, text)
    w.export_toolbar = tools
    # In the toolbar, not beside the view buttons: a toolbar folds what does not fit into
    # its extension menu, a row of buttons would widen the window's minimum width.
    tools.addSeparator()
    for act, text in ((w.pin_action, "Pin"), (w.unpin_action, "Unpin"), (w.linear_action, "Linear axis")):
        _add_button(tools, QToolButton(), act, text)


def _add_button(tools: QToolBar, b: QToolButton, act: QAction, text: str) -> None:
    b.setDefaultAction(act)
    b.setText(text)
    # A QToolButton copies its action's text whenever the action changes (e.g. a shortcut
    # is added later): keep the short toolbar label.
    act.changed.connect(lambda b=b, text=text: b.setText(text))
    tools.addWidget(b)


def view_selector(w) -> QWidget:
    """The "Show: Activations | Gradients | ..." row above the chart, one widget (`w.view_selector`)."""
    w.view_selector = QWidget()
    row = QHBoxLayout(w.view_selector)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(QLabel("Show:"))
    w._view_group = QButtonGroup(w)
    w._view_buttons = {}
    for view in VIEWS:
        b = QPushButton(VIEW_LABELS[view])
        b.setCheckable(True)
        b.setToolTip(VIEW_TOOLTIPS[view])
        b.setChecked(view == w.chart.view)
        b.clicked.connect(lambda _=False, v=view: w.set_view(v))
        w._view_group.addButton(b)
        w._view_buttons[view] = b
        row.addWidget(b)
    row.addStretch(1)
    return w.view_selector
