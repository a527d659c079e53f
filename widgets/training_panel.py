"""The Training panel: Train/Pause, Step, Reset, speed, task, optimiser, lr (log slider), momentum, clip.

It only reports what the user asks for (signals) and shows what it is told (`show_*`);
the training itself runs on the engine thread (`depthlens.training_lab`).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from depthlens.engine.train_config import TRAIN_RANGES, TrainConfig

LR_TICKS_PER_DECADE = 100
LR_LOG_MIN, LR_LOG_MAX = -6, 1  # 1e-6 .. 10
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def lr_from_tick(tick: int) -> float:
    """The learning rate of slider position `tick` (10^(-6 + tick/100), rounded to 3 digits)."""
    return float(f"{10.0 ** (LR_LOG_MIN + tick / LR_TICKS_PER_DECADE):.3g}")


def tick_from_lr(lr: float) -> int:
    """The slider position nearest to `lr`."""
    return round((math.log10(lr) - LR_LOG_MIN) * LR_TICKS_PER_DECADE)


class TrainingPanel(QWidget):
    """Controls of the training lab."""

    config_changed = Signal(object)  # TrainConfig
    train_toggled = Signal(bool)  # True: run, False: pause
    step_requested = Signal()
    reset_requested = Signal()
    pin_requested = Signal()
    clear_pins_requested = Signal()
    race_requested = Signal(int)  # steps
    speed_changed = Signal(int)  # steps per second

    def __init__(self, config: TrainConfig | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        config = config or TrainConfig()
        col = QVBoxLayout(self)
        col.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.train_button = QPushButton("Train")
        self.train_button.setCheckable(True)
        self.train_button.setToolTip("Train / pause (Space): full-batch steps on the engine thread.")
        self.train_button.toggled.connect(self._on_train)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Take one training step.")
        self.step_button.clicked.connect(lambda _=False: self.step_requested.emit())
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the chart's initial weights (step 0).")
        self.reset_button.clicked.connect(lambda _=False: self.reset_requested.emit())
        for b in (self.train_button, self.step_button, self.reset_button):
            row.addWidget(b)
        col.addLayout(row)

        form = QFormLayout()
        self.speed = QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"{s} steps/s", s)
        self.speed.setCurrentIndex(SPEEDS.index(100))
        self.speed.setToolTip("How many steps per second to aim for (the engine may be slower).")
        self.speed.currentIndexChanged.connect(lambda _i: self.speed_changed.emit(self.steps_per_second()))
        form.addRow("Speed", self.speed)
        self.task = QComboBox()
        self.task.addItems(list(TRAIN_RANGES["task"]))
        self.task.setToolTip("spirals: TensorFlow Playground's two spirals; teacher: regression on a random tanh net.")
        form.addRow("Task", self.task)
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(TRAIN_RANGES["optimizer"]))
        self.optimizer.setToolTip("sgd (with momentum) or adam, with PyTorch's update rules.")
        form.addRow("Optimiser", self.optimizer)
        lr_row = QHBoxLayout()
        self.lr = QSlider(Qt.Orientation.Horizontal)
        self.lr.setRange(0, (LR_LOG_MAX - LR_LOG_MIN) * LR_TICKS_PER_DECADE)
        self.lr.setToolTip("Learning rate, 1e-6 to 10 on a log scale.")
        self.lr_label = QLabel()
        self.lr_label.setMinimumWidth(52)
        lr_row.addWidget(self.lr, 1)
        lr_row.addWidget(self.lr_label)
        form.addRow("lr", lr_row)
        self.momentum = QDoubleSpinBox()
        self.momentum.setRange(*TRAIN_RANGES["momentum"])
        self.momentum.setSingleStep(0.1)
        self.momentum.setDecimals(2)
        self.momentum.setToolTip("SGD momentum (0 to 0.99; Adam ignores it).")
        form.addRow("Momentum", self.momentum)
        self.clip = QDoubleSpinBox()
        self.clip.setRange(0.0, 1000.0)
        self.clip.setDecimals(2)
        self.clip.setSpecialValueText("off")
        self.clip.setToolTip("Clip the global gradient norm to this (0: off), as clip_grad_norm_.")
        form.addRow("Clip", self.clip)
        self.noise = QDoubleSpinBox()
        self.noise.setRange(*TRAIN_RANGES["noise"])
        self.noise.setSingleStep(0.05)
        self.noise.setToolTip("Spirals noise (TensorFlow Playground's slider / 100).")
        form.addRow("Noise", self.noise)
        col.addLayout(form)

        compare = QHBoxLayout()
        self.pin_button = QPushButton("Pin")
        self.pin_button.setToolTip("Keep this run's loss curve while you change settings.")
        self.pin_button.clicked.connect(lambda _=False: self.pin_requested.emit())
        self.clear_button = QPushButton("Clear pins")
        self.clear_button.clicked.connect(lambda _=False: self.clear_pins_requested.emit())
        compare.addWidget(self.pin_button)
        compare.addWidget(self.clear_button)
        col.addLayout(compare)
        race = QHBoxLayout()
        self.race_button = QPushButton("Init race")
        self.race_button.setToolTip(
            "Train this network from four inits side by side for the same steps: gaussian s = 0.1, "
            "Xavier s = 1, He s = √2, s = 4 (identity 1.5·I and 0.5·I when linear)."
        )
        self.race_steps = QSpinBox()
        self.race_steps.setRange(10, 100_000)
        self.race_steps.setValue(1000)
        self.race_steps.setSuffix(" steps")
        self.race_button.clicked.connect(lambda _=False: self.race_requested.emit(self.race_steps.value()))
        race.addWidget(self.race_button)
        race.addWidget(self.race_steps)
        col.addLayout(race)
        self.status = QLabel("Step 0")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.status)
        self.learning = QLabel("")
        self.learning.setWordWrap(True)
        col.addWidget(self.learning)
        col.addStretch(1)

        self.set_config(config)
        for w in (self.task, self.optimizer):
            w.currentIndexChanged.connect(lambda _i: self._emit())
        self.lr.valueChanged.connect(self._on_lr)
        for spin in (self.momentum, self.clip, self.noise):
            spin.valueChanged.connect(lambda _v: self._emit())

    # -- public ------------------------------------------------------------------------
    def config(self) -> TrainConfig:
        """The training settings shown."""
        return TrainConfig(
            task=self.task.currentText(),
            optimizer=self.optimizer.currentText(),
            lr=lr_from_tick(self.lr.value()),
            momentum=round(self.momentum.value(), 2),
            clip=round(self.clip.value(), 2),
            noise=round(self.noise.value(), 2),
        )

    def set_config(self, config: TrainConfig) -> None:
        """Show `config` (no signal)."""
        widgets = (self.task, self.optimizer, self.lr, self.momentum, self.clip, self.noise)
        blockers = [QSignalBlocker(w) for w in widgets]
        self.task.setCurrentText(config.task)
        self.optimizer.setCurrentText(config.optimizer)
        self.lr.setValue(tick_from_lr(config.lr))
        self.lr_label.setText(f"{config.lr:.3g}")
        self.momentum.setValue(config.momentum)
        self.clip.setValue(config.clip)
        self.noise.setValue(config.noise)
        del blockers

    def steps_per_second(self) -> int:
        """The speed chosen."""
        return int(self.speed.currentData())

    def running(self) -> bool:
        """True while Train is pressed."""
        return self.train_button.isChecked()

    def set_running(self, on: bool) -> None:
        """Show Train (paused) or Pause (running), without a signal."""
        with QSignalBlocker(self.train_button):
            self.train_button.setChecked(on)
        self.train_button.setText("Pause" if on else "Train")

    def show_status(self, text: str, learning: str = "") -> None:
        """The step, loss and accuracy line, and which layers learn."""
        self.status.setText(text)
        self.learning.setText(learning)

    # -- private -----------------------------------------------------------------------
    def _on_train(self, on: bool) -> None:
        self.train_button.setText("Pause" if on else "Train")
        self.train_toggled.emit(on)

    def _on_lr(self, tick: int) -> None:
        self.lr_label.setText(f"{lr_from_tick(tick):.3g}")
        self._emit()

    def _emit(self) -> None:
        self.config_changed.emit(self.config())
