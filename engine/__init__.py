"""depthlens engine: pure numpy forward/backward passes, statistics and theory.

Never imports Qt or pyqtgraph (enforced by import-linter and a test).
"""

from .config import ACTIVATIONS, DTYPES, FIELDS, INITS, INPUTS, LOSSES, RANGES, Settings, SettingsError, allowed
from .engine import COLUMNS, Engine, Network, Result
from .jobs import Cancelled, Partial, Progress, Steps, drive
from .presets import PRESETS, Preset
from .propagate import Measured, Trace
from .theory import Theory, predict

__all__ = [
    "ACTIVATIONS",
    "COLUMNS",
    "DTYPES",
    "FIELDS",
    "INITS",
    "INPUTS",
    "LOSSES",
    "PRESETS",
    "RANGES",
    "Cancelled",
    "Engine",
    "Measured",
    "Network",
    "Partial",
    "Preset",
    "Progress",
    "Result",
    "Settings",
    "SettingsError",
    "Steps",
    "Theory",
    "Trace",
    "allowed",
    "drive",
    "predict",
]
