"""Sessions: what the app remembers between runs and writes to session files.

One versioned JSON shape serves both the QSettings store (between runs, with the window
geometry) and `File > Save session` files (settings, theme, view). `parse_session` is
strict: anything wrong (not JSON, wrong version, wrong type, out-of-range or huge number,
unknown key) raises `SessionError` with a one-line reason, and callers fall back to
defaults. Only `Store` touches Qt (QSettings); the rest is plain Python.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from typing import Any

from engine import Settings
from engine.export import atomic_write

VERSION = 1
APP_TAG = "depthlens-session"
MAX_BYTES = 256 * 1024  # a session is ~0.5 kB; anything much larger is not one
THEMES = ("light", "dark", "projector")
VIEWS = ("activations", "gradients", "weight_gradients", "both")
FONT_SCALE_RANGE = (0.5, 4.0)
MAX_COORD = 100_000  # window coordinates/sizes beyond this are nonsense
KEYS = ("app", "version", "settings", "theme", "view", "font_scale", "window")


class SessionError(ValueError):
    """A session file or store that cannot be used; the message is one line."""


@dataclass(frozen=True, slots=True)
class WindowGeometry:
    """The window's normal (not maximised, not full-screen) rectangle and its state."""

    x: int
    y: int
    width: int
    height: int
    maximized: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dict."""
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height, "maximized": self.maximized}


@dataclass(frozen=True, slots=True)
class Session:
    """Everything a session restores."""

    settings: Settings = field(default_factory=Settings)
    theme: str = "light"
    view: str = "both"
    font_scale: float = 1.0
    window: WindowGeometry | None = None

    def to_dict(self, *, with_window: bool = True) -> dict[str, Any]:
        """The JSON shape (version tagged); session files leave out the window."""
        out: dict[str, Any] = {
            "app": APP_TAG,
            "version": VERSION,
            "settings": self.settings.to_dict(),
            "theme": self.theme,
            "view": self.view,
            "font_scale": self.font_scale,
        }
        if with_window and self.window is not None:
            out["window"] = self.window.to_dict()
        return out

    def to_json(self, *, with_window: bool = True) -> str:
        """Indented JSON text (readable and editable by hand)."""
        return json.dumps(self.to_dict(with_window=with_window), indent=2) + "\n"

    def replace(self, **changes: Any) -> Session:
        """A copy with `changes`."""
        return replace(self, **changes)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reject_constant(name: str) -> float:
    raise SessionError(f"{name} is not a number JSON allows")


def _number(name: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SessionError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value) if abs(value) < 1e300 else math.inf
    if not (math.isfinite(v) and lo <= v <= hi):
        raise SessionError(f"{name} must be from {lo:g} to {hi:g}, got {_short(value)}")
    return v


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _word(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise SessionError(f"{name} must be one of {', '.join(allowed)}, got {_short(value)}")
    return value


def _window(value: Any) -> WindowGeometry:
    if not isinstance(value, dict):
        raise SessionError(f"window must be an object, got {type(value).__name__}")
    unknown = sorted(set(value) - {"x", "y", "width", "height", "maximized"})
    if unknown:
        raise SessionError(f"unknown key window.{unknown[0]}")
    nums = {}
    for key, lo in (("x", -MAX_COORD), ("y", -MAX_COORD), ("width", 100), ("height", 100)):
        if key not in value:
            raise SessionError(f"window.{key} is missing")
        v = value[key]
        if isinstance(v, bool) or not isinstance(v, int):
            raise SessionError(f"window.{key} must be an integer, got {_short(v)}")
        nums[key] = int(_number(f"window.{key}", v, lo, MAX_COORD))
    maximized = value.get("maximized", False)
    if not isinstance(maximized, bool):
        raise SessionError(f"window.maximized must be true or false, got {_short(maximized)}")
    return WindowGeometry(nums["x"], nums["y"], nums["width"], nums["height"], maximized)


def parse_session(data: bytes | str, defaults: Session | None = None) -> Session:
    """Parse and validate session JSON; raise `SessionError` (one line) on any problem.

    Missing keys take their value from `defaults`; unknown keys are an error (a typo
    would otherwise be silently ignored).
    """
    base = defaults or Session()
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise SessionError(f"file too large ({len(data)} bytes; a session is at most {MAX_BYTES})")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SessionError("not a text file (invalid UTF-8)") from None
    else:
        text = data
    if not text.strip():
        raise SessionError("empty file")
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise SessionError(f"not valid JSON (truncated or corrupt): {exc.msg} at line {exc.lineno}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer with thousands of digits
        raise SessionError(f"not a usable JSON file: {_one_line(exc)}") from None
    if not isinstance(obj, dict):
        raise SessionError(f"a session must be a JSON object, got {type(obj).__name__}")
    unknown = [k for k in obj if k not in KEYS]
    if unknown:
        raise SessionError(f"unknown key {_short(unknown[0])}")
    if obj.get("app", APP_TAG) != APP_TAG:
        raise SessionError(f"not a depthlens session (app is {_short(obj.get('app'))})")
    if "version" not in obj:
        raise SessionError("no version number")
    version = obj["version"]
    if version != VERSION or isinstance(version, bool):
        raise SessionError(f"unsupported session version {_short(version)} (this depthlens reads version {VERSION})")
    settings = base.settings
    if "settings" in obj:
        raw = obj["settings"]
        if not isinstance(raw, dict):
            raise SessionError(f"settings must be an object, got {type(raw).__name__}")
        if "loss" not in raw:  # written before the loss setting existed: it was Loss = sum of outputs
            raw = {**raw, "loss": "sum"}
        try:
            settings = Settings.from_dict(raw)
        except (TypeError, ValueError, OverflowError) as exc:  # SettingsError is a ValueError
            raise SessionError(_clip(f"settings: {_one_line(exc)}")) from None
    theme = _word("theme", obj["theme"], THEMES) if "theme" in obj else base.theme
    view = _word("view", obj["view"], VIEWS) if "view" in obj else base.view
    font_scale = (
        _number("font_scale", obj["font_scale"], *FONT_SCALE_RANGE) if "font_scale" in obj else base.font_scale
    )
    window = _window(obj["window"]) if "window" in obj else base.window
    return Session(settings, theme, view, font_scale, window)


def read_session_file(path: str | os.PathLike, defaults: Session | None = None) -> tuple[Session, str | None]:
    """(session, None), or (defaults, one-line message) when the file cannot be used."""
    base = defaults or Session()
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        return base, f"Session {os.fspath(path)}: cannot read ({exc.strerror or exc}); using defaults"
    try:
        return parse_session(data, base), None
    except SessionError as exc:
        return base, f"Session {os.fspath(path)}: {exc}; using defaults"


def write_session_file(path: str | os.PathLike, session: Session) -> None:
    """Write `session` (without window geometry) atomically; raises OSError."""
    atomic_write(path, session.to_json(with_window=False).encode("utf-8"))


class Store:
    """The QSettings store of the last session (one JSON value, so it is validated as a whole).

    `qsettings` defaults to the user's QSettings("depthlens", "depthlens"); tests pass
    their own (an ini file in a temporary folder).
    """

    KEY = "session/json"

    def __init__(self, qsettings=None) -> None:
        if qsettings is None:
            from PySide6.QtCore import QSettings

            qsettings = QSettings("depthlens", "depthlens")
        self.qsettings = qsettings

    def is_empty(self) -> bool:
        """True on first start (nothing stored yet)."""
        return not self.qsettings.contains(self.KEY)

    def load(self, defaults: Session | None = None) -> tuple[Session, str | None]:
        """(session, None), or (defaults, one-line message) if the store is unusable."""
        base = defaults or Session()
        if self.is_empty():
            return base, None
        raw = self.qsettings.value(self.KEY)
        if isinstance(raw, bytes | bytearray):
            raw = bytes(raw)
        elif not isinstance(raw, str):
            return base, f"Saved settings ({self.where()}): unreadable value; using defaults"
        try:
            return parse_session(raw, base), None
        except SessionError as exc:
            return base, f"Saved settings ({self.where()}): {exc}; using defaults"

    def save(self, session: Session) -> None:
        """Store `session` (with the window geometry) and flush it to disk."""
        self.qsettings.setValue(self.KEY, session.to_json())
        self.qsettings.sync()

    def clear(self) -> None:
        """Forget everything stored."""
        self.qsettings.remove(self.KEY)
        self.qsettings.sync()

    def where(self) -> str:
        """The store's file name, for messages."""
        return self.qsettings.fileName()
