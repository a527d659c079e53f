"""depthlens engine: pure numpy forward/backward passes, statistics and theory.

Never imports Qt or pyqtgraph (enforced by import-linter and a test).
"""

from .config import ACTIVATIONS, DTYPES, FIELDS, INITS, INPUTS, LOSSES, RANGES, Settings, SettingsError, allowed
from .engine import COLUMNS, Engine, Network, Result
from .presets import PRESETS, Preset
from .propagate import Cancelled, Measured, Trace
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
    "Preset",
    "Result",
    "Settings",
    "SettingsError",
    "Theory",
    "Trace",
    "allowed",
    "predict",
]
