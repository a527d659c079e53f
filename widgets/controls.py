"""The control panel: sliders with linked spin boxes, combo boxes, seed, presets.

The panel keeps its own `Settings` as the source of truth, so values that the widgets
cannot show exactly (scale = √2, seeds above 2³¹) survive a round trip untouched.
Every user change is emitted at once as `settings_changed`; the rate at which a drag
reaches the engine is the application's business (`app/throttle.py`). `set_settings`
pushes values in with signals blocked (QSignalBlocker), so presets never echo back as
user changes.
"""

from __future__ import annotations

import math
import random

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from depthlens.engine import ACTIVATIONS, DTYPES, INITS, INPUTS, LOSSES, PRESETS, Settings
from depthlens.engine.config import NORMS
from depthlens.engine.limits import CONTROL_RANGES

SLIDER_STEPS = 1000
MAX_SPIN_SEED = 2**31 - 1  # QSpinBox is 32-bit signed
PRIMARY = ("depth", "scale", "activation")  # the controls a compact panel keeps
SECONDARY = ("init", "width", "bias_std")  # the other rows of the "Network" group
SCALE_LO, SCALE_HI = CONTROL_RANGES["scale"]
# Inits whose entries have standard deviation sigma_w = s / sqrt(n) (identity: s on the
# diagonal; zeros: 0), so the sigma_w box means something only for these.
SIGMA_W_INITS = ("gaussian", "orthogonal", "uniform")


def sigma_w(s: Settings) -> float:
    """The standard deviation of a weight entry as used: s / sqrt(n) (0 for zeros init)."""
    return 0.0 if s.init == "zeros" else s.scale / math.sqrt(s.width)


class LogMapping:
    """Slider position 0..SLIDER_STEPS <-> value in [lo, hi] on a log(value + offset) scale.

    With offset > 0 small values get many slider steps each (depth 1..10 uses ~14 % of
    the track at offset 9) without starving the large ones.
    """

    def __init__(self, lo: float, hi: float, offset: float = 0.0, integer: bool = False) -> None:
        self.lo, self.hi, self.offset, self.integer = lo, hi, offset, integer
        self._a = math.log(lo + offset)
        self._b = math.log(hi + offset)

    def to_value(self, pos: int) -> float:
        """The value at slider position `pos`."""
        f = min(max(pos, 0), SLIDER_STEPS) / SLIDER_STEPS
        v = math.exp(self._a + f * (self._b - self._a)) - self.offset
        v = min(max(v, self.lo), self.hi)
        if self.integer:
            return float(round(v))
        return float(f"{v:.3g}")  # 3 significant digits: nice numbers while dragging

    def to_pos(self, value: float) -> int:
        """The slider position nearest to `value`."""
        v = min(max(value, self.lo), self.hi)
        f = (math.log(v + self.offset) - self._a) / (self._b - self._a)
        return round(f * SLIDER_STEPS)


class SigFigSpinBox(QDoubleSpinBox):
    """A double spin box that shows 3 significant digits (0.0500, 1.41, 10.0)."""

    def textFromValue(self, value: float) -> str:  # Qt override
        """Three significant digits."""
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:  # Qt override
        """Parse what the user typed."""
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        """Accept any prefix of a float in range."""
        from PySide6.QtGui import QValidator

        if text in ("", ".", "-"):
            return QValidator.State.Intermediate, text, pos
        try:
            v = float(text)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if self.minimum() <= v <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos


class SliderSpin(QWidget):
    """A slider and a spin box showing one number; each moves the other (signals blocked)."""

    value_changed = Signal(float)

    def __init__(self, spin: QSpinBox | QDoubleSpinBox, mapping: LogMapping | None, step: float = 1.0) -> None:
        super().__init__()
        self.spin = spin
        self.mapping = mapping
        self.step = step
        self.slider = QSlider(Qt.Orientation.Horizontal)
        if mapping is not None:
            self.slider.setRange(0, SLIDER_STEPS)
        else:
            self.slider.setRange(round(spin.minimum() / step), round(spin.maximum() / step))
        self.spin.setKeyboardTracking(False)  # typing "100" is one change, not 1, 10, 100
        self.spin.setMinimumWidth(80)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)

    def slider_value(self, pos: int) -> float:
        """The value a slider position stands for."""
        if self.mapping is not None:
            return self.mapping.to_value(pos)
        return round(pos * self.step, 6)

    def slider_pos(self, value: float) -> int:
        """The slider position of `value`."""
        if self.mapping is not None:
            return self.mapping.to_pos(value)
        return round(value / self.step)

    def set_value(self, value: float) -> None:
        """Show `value` in both widgets without emitting anything."""
        with QSignalBlocker(self.slider), QSignalBlocker(self.spin):
            self.slider.setValue(self.slider_pos(value))
            self._show(value)

    def setToolTip(self, text: str) -> None:  # Qt override
        """Put the tooltip on both parts."""
        super().setToolTip(text)
        self.slider.setToolTip(text)
        self.spin.setToolTip(text)

    def _show(self, value: float) -> None:
        if isinstance(self.spin, QDoubleSpinBox):
            self.spin.setValue(value)
        else:
            self.spin.setValue(int(value))  # what Qt does with a float: the integer part

    def _from_slider(self, pos: int) -> None:
        value = self.slider_value(pos)
        with QSignalBlocker(self.spin):
            self._show(value)
        self.value_changed.emit(value)

    def _from_spin(self, value: float) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(self.slider_pos(value))
        self.value_changed.emit(float(value))


TOOLTIPS = {
    "depth": "Number of layers L: the bars show layers 0 (the input) to L.",
    "scale": "Weight scale s: every weight matrix is s times its initialisation (s = 1.5 gives W = 1.5·I).",
    "width": "Units per layer n (the weight matrices are n × n).",
    "batch": "Number of input samples B averaged in every RMS.",
    "bias_std": "Standard deviation of the random biases (0 = no bias).",
    "activation": "The non-linearity φ applied after every layer.",
    "sigma_w": (
        "The weights' standard deviation σ_w = s/√n, as notebooks write it (W = 0.01·randn is σ_w = 0.01, "
        "randn/√n is σ_w = 1/√n): type one and the scale follows. Gaussian, orthogonal and uniform inits."
    ),
    "init": (
        "How the weight matrices are drawn before scaling: identity, Gaussian N(0, 1/n), orthogonal, "
        "uniform U(−√(3/n), √(3/n)) (variance 1/n) or zeros (W = 0: every unit equal, no gradient below the top)."
    ),
    "input": "The input batch: all ones, or standard Gaussian samples.",
    "loss": (
        "What the backward pass starts from: sum = Loss = Σ outputs (g_L = 1, the lecture's); "
        "random = a fixed random readout r with unit RMS per sample (g_L = r, what mean-field theory assumes)."
    ),
    "seed": "Random seed of weights, biases and inputs: the same seed gives the same network.",
    "new_seed": "Draw a new random seed (a new network with the same settings).",
    "dtype": "Floating-point precision: float32 overflows near 10³⁸, float64 near 10³⁰⁸.",
    "residual": (
        "Skip connection α: every layer adds its branch to its input, x_l = x_{l−1} + α·φ(z_l) "
        "(0 = a plain net, as in the lecture)."
    ),
    "residual_scaling": (
        "Multiply α by 1/√L (Hanin & Rolnick 2018; SkipInit, Fixup): the variance the branches add "
        "stays bounded at any depth."
    ),
    "norm": (
        "Normalise z_l before φ: layer = over the n units of each sample, batch = over the B samples "
        "of each unit (training-mode statistics, ε = 1e−5, gain 1, shift 0)."
    ),
}


class ControlPanel(QWidget):
    """Every network setting as a control; emits `settings_changed(Settings)` on each user change."""

    settings_changed = Signal(object)

    def __init__(self, settings: Settings | None = None, parent=None) -> None:
        super().__init__(parent)
        self._settings = settings or Settings()

        depth_spin = QSpinBox()
        depth_spin.setRange(1, 1000)
        # `depth_control`, `width_control`: `depth` and `width` would hide QWidget.width() and
        # QPaintDevice.depth(). Look controls up by setting name with `control(name)`.
        self.depth_control = SliderSpin(depth_spin, LogMapping(1, 1000, offset=9, integer=True))
        scale_spin = SigFigSpinBox()
        scale_spin.setRange(SCALE_LO, SCALE_HI)
        scale_spin.setDecimals(6)
        scale_spin.setSingleStep(0.05)
        scale_spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.scale = SliderSpin(scale_spin, LogMapping(SCALE_LO, SCALE_HI))
        self.sigma_w = SigFigSpinBox()
        self.sigma_w.setRange(0.0, SCALE_HI)  # 0 is shown for zeros init; typed, the scale stops at its minimum
        self.sigma_w.setDecimals(8)
        self.sigma_w.setKeyboardTracking(False)
        self.sigma_w.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        width_spin = QSpinBox()
        width_spin.setRange(1, 1024)
        self.width_control = SliderSpin(width_spin, LogMapping(1, 1024, offset=4, integer=True))
        batch_spin = QSpinBox()
        batch_spin.setRange(1, 512)
        self.batch = SliderSpin(batch_spin, LogMapping(1, 512, offset=4, integer=True))
        bias_spin = QDoubleSpinBox()
        bias_spin.setRange(0.0, 1.0)
        bias_spin.setDecimals(2)
        bias_spin.setSingleStep(0.01)
        self.bias_std = SliderSpin(bias_spin, None, step=0.01)
        res_spin = QDoubleSpinBox()
        res_spin.setRange(*CONTROL_RANGES["residual"])
        res_spin.setDecimals(2)
        res_spin.setSingleStep(0.05)
        self.residual = SliderSpin(res_spin, None, step=0.01)
        self.residual_scaling = QCheckBox("scale the branch by 1/√L")
        self.norm = QComboBox()
        self.norm.addItems(NORMS)

        self.activation = QComboBox()
        self.activation.addItems(ACTIVATIONS)
        self.init = QComboBox()
        self.init.addItems(INITS)
        self.input = QComboBox()
        self.input.addItems(INPUTS)
        self.loss = QComboBox()
        self.loss.addItems(LOSSES)
        self.dtype = QComboBox()
        self.dtype.addItems(DTYPES)
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SPIN_SEED)
        self.seed.setKeyboardTracking(False)
        self.new_seed = QPushButton("New seed")

        self._numeric: dict[str, SliderSpin] = {
            "depth": self.depth_control,
            "scale": self.scale,
            "width": self.width_control,
            "batch": self.batch,
            "bias_std": self.bias_std,
            "residual": self.residual,
        }
        self._combos: dict[str, QComboBox] = {
            "activation": self.activation,
            "init": self.init,
            "input": self.input,
            "loss": self.loss,
            "dtype": self.dtype,
            "norm": self.norm,
        }

        net = QGroupBox("Network")
        form = QFormLayout(net)
        form.addRow("Depth L", self.depth_control)
        form.addRow("Scale s", self.scale)
        form.addRow("σ_w = s/√n", self.sigma_w)
        form.addRow("Activation φ", self.activation)
        form.addRow("Init", self.init)
        form.addRow("Width n", self.width_control)
        form.addRow("Bias std", self.bias_std)
        arch = QGroupBox("Skip connections and normalisation")
        form3 = QFormLayout(arch)
        form3.addRow("Residual α", self.residual)
        form3.addRow("", self.residual_scaling)
        form3.addRow("Norm", self.norm)
        data = QGroupBox("Data and numbers")
        form2 = QFormLayout(data)
        form2.addRow("Batch B", self.batch)
        form2.addRow("Input", self.input)
        form2.addRow("Loss", self.loss)
        seed_row = QWidget()
        seed_lay = QHBoxLayout(seed_row)
        seed_lay.setContentsMargins(0, 0, 0, 0)
        seed_lay.addWidget(self.seed, 1)
        seed_lay.addWidget(self.new_seed)
        form2.addRow("Seed", seed_row)
        form2.addRow("Precision", self.dtype)
        lay = QVBoxLayout(self)
        lay.addWidget(net)
        lay.addWidget(arch)
        lay.addWidget(data)
        hint = QLabel("Hover a bar for its numbers.")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        lay.addStretch(1)
        self._network_form = form
        self._compact_hidden: tuple[QWidget, ...] = (data, hint)  # gone in compact mode, with SECONDARY rows
        self._arch = arch  # in compact mode only while the network has a skip connection or a norm
        self._compact = False

        named: dict[str, QWidget] = {**self._numeric, **self._combos}
        for name, widget in named.items():
            widget.setToolTip(TOOLTIPS[name])
            form_label = form.labelForField(widget) or form2.labelForField(widget) or form3.labelForField(widget)
            if form_label is not None:
                form_label.setToolTip(TOOLTIPS[name])
        self.seed.setToolTip(TOOLTIPS["seed"])
        self.sigma_w.setToolTip(TOOLTIPS["sigma_w"])
        sigma_label = form.labelForField(self.sigma_w)
        if sigma_label is not None:
            sigma_label.setToolTip(TOOLTIPS["sigma_w"])
        self.sigma_w.valueChanged.connect(self._from_sigma_w)
        self.new_seed.setToolTip(TOOLTIPS["new_seed"])
        self.residual_scaling.setToolTip(TOOLTIPS["residual_scaling"])

        for name, widget in self._numeric.items():
            widget.value_changed.connect(lambda v, n=name: self._user_change(n, v))
        for name, combo in self._combos.items():
            combo.currentTextChanged.connect(lambda text, n=name: self._user_change(n, text))
        self.seed.valueChanged.connect(lambda v: self._user_change("seed", int(v)))
        self.new_seed.clicked.connect(self.draw_new_seed)
        self.residual_scaling.toggled.connect(
            lambda on: self._user_change("residual_scaling", "sqrt_depth" if on else "none")
        )
        self._push(self._settings)

    # -- public API ------------------------------------------------------------------
    def settings(self) -> Settings:
        """The settings the controls show (exact, including values widgets round)."""
        return self._settings

    def set_settings(self, settings: Settings) -> None:
        """Show `settings` without emitting `settings_changed` (no echo)."""
        self._settings = settings
        self._push(settings)
        if self._compact:
            self._show_arch()  # not on the user's own edits: the group never vanishes under the mouse

    def control(self, name: str) -> QWidget:
        """The widget that shows setting `name` ("depth", "activation", "seed", ...); KeyError if none."""
        if name == "seed":
            return self.seed
        if name == "residual_scaling":
            return self.residual_scaling
        return self._numeric[name] if name in self._numeric else self._combos[name]

    def set_compact(self, compact: bool) -> None:
        """Compact: only depth, scale and activation (presentation mode); else every control.

        The skip connection and norm stay while the network has one (the walkthrough's last steps).
        """
        self._compact = bool(compact)
        for name in SECONDARY:
            self._network_form.setRowVisible(self.control(name), not compact)
        for widget in self._compact_hidden:
            widget.setVisible(not compact)
        self._show_arch()
        self.adjustSize()

    def _show_arch(self) -> None:
        """The skip and norm group: always, or in compact mode while the network uses one."""
        s = self._settings
        self._arch.setVisible(not self._compact or s.residual != 0 or s.norm != "none")

    def is_compact(self) -> bool:
        """True after `set_compact(True)`."""
        return self._compact

    def draw_new_seed(self) -> None:
        """Pick a new random seed and request it."""
        seed = random.randint(0, MAX_SPIN_SEED)
        with QSignalBlocker(self.seed):
            self.seed.setValue(seed)
        self._user_change("seed", seed)

    def dragging(self) -> bool:
        """True while the user holds a slider down (a drag in progress)."""
        return any(w.slider.isSliderDown() for w in self._numeric.values())

    # -- internals -------------------------------------------------------------------
    def _push(self, s: Settings) -> None:
        for name, widget in self._numeric.items():
            widget.set_value(getattr(s, name))
        for name, combo in self._combos.items():
            with QSignalBlocker(combo):
                combo.setCurrentText(getattr(s, name))
        with QSignalBlocker(self.seed):
            self.seed.setValue(min(s.seed, MAX_SPIN_SEED))
        with QSignalBlocker(self.residual_scaling):
            self.residual_scaling.setChecked(s.residual_scaling == "sqrt_depth")
        self._show_sigma_w(s)

    def _show_sigma_w(self, s: Settings) -> None:
        with QSignalBlocker(self.sigma_w):
            self.sigma_w.setValue(sigma_w(s))
        self.sigma_w.setEnabled(s.init in SIGMA_W_INITS)

    def _from_sigma_w(self, value: float) -> None:
        """sigma_w typed: s = sigma_w * sqrt(n), kept inside the scale control's range."""
        s = self._settings
        scale = min(max(float(value) * math.sqrt(s.width), SCALE_LO), SCALE_HI)
        self.scale.set_value(scale)
        self._user_change("scale", scale)
        self._show_sigma_w(self._settings)  # the value as used (clamped if the scale could not follow)

    def _user_change(self, name: str, value) -> None:
        if name in ("depth", "width", "batch", "seed"):
            value = int(value)
        if getattr(self._settings, name) == value:
            return
        self._settings = self._settings.replace(**{name: value})
        if name in ("scale", "width", "init"):
            self._show_sigma_w(self._settings)
        self.settings_changed.emit(self._settings)


class PresetBar(QToolBar):
    """One button per engine preset; a click emits `preset_chosen(name)`."""

    preset_chosen = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__("Presets", parent)
        self.setObjectName("presets")
        label = QLabel(" Presets: ")
        self.addWidget(label)
        self.actions_by_name = {}
        for name, preset in PRESETS.items():
            act = self.addAction(name)
            act.setToolTip(preset.description)
            act.setStatusTip(preset.description)
            act.triggered.connect(lambda _=False, n=name: self.preset_chosen.emit(n))
            self.actions_by_name[name] = act
