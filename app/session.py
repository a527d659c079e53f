"""Sessions: what the app remembers between runs and writes to session files.

One versioned JSON shape serves both the store (between runs, with the window geometry,
in the user's config folder) and `File > Save session` files (settings, theme, view).
`parse_session` is strict: anything wrong (not JSON, wrong version, wrong type,
out-of-range or huge number, unknown key) raises `SessionError` with a one-line reason,
and callers fall back to defaults. Plain Python: no Qt here.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from depthlens.engine import Settings, fileio
from depthlens.engine.views import VIEWS
from depthlens.engine.weights import CACHE_MB_RANGE
from depthlens.widgets.theme import THEMES as THEME_TABLE

VERSION = 1
APP_TAG = "depthlens-session"
MAX_BYTES = 256 * 1024  # a session is ~0.5 kB; anything much larger is not one
THEMES: tuple[str, ...] = tuple(THEME_TABLE)
FONT_SCALE_RANGE = (0.5, 4.0)
MAX_COORD = 100_000  # window coordinates/sizes beyond this are nonsense
KEYS = ("app", "version", "settings", "theme", "view", "font_scale", "window", "step", "cache_mb")
MAX_STEP = 99  # walkthrough steps are numbered 0..99 (at most 100 steps)


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
    step: int = -1  # the lecture walkthrough's step shown (0-based), -1: none
    cache_mb: int = 0  # the weight cache's size in MiB, 0: automatic (this machine's: the store only)

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
        if self.step >= 0:
            out["step"] = self.step
        if with_window and self.cache_mb:
            out["cache_mb"] = self.cache_mb
        return out

    def to_json(self, *, with_window: bool = True) -> str:
        """Indented JSON text (readable and editable by hand)."""
        return json.dumps(self.to_dict(with_window=with_window), indent=2) + "\n"

    def replace(self, **changes: Any) -> Session:
        """A copy with `changes`."""
        return replace(self, **changes)


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


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
        why = "a number with too many digits" if "digits" in str(exc) else _one_line(exc)
        raise SessionError(f"not a usable JSON file: {why}") from None
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
    if type(version) is not int or version != VERSION:
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
    font_scale = _number("font_scale", obj["font_scale"], *FONT_SCALE_RANGE) if "font_scale" in obj else base.font_scale
    window = _window(obj["window"]) if "window" in obj else base.window
    step = base.step
    if "step" in obj:
        raw_step = obj["step"]
        if isinstance(raw_step, bool) or not isinstance(raw_step, int):
            raise SessionError(f"step must be an integer, got {_short(raw_step)}")
        step = int(_number("step", raw_step, -1, MAX_STEP))
    cache_mb = base.cache_mb
    if "cache_mb" in obj:
        raw_mb = obj["cache_mb"]
        lo, hi = CACHE_MB_RANGE
        if isinstance(raw_mb, bool) or not isinstance(raw_mb, int) or not (raw_mb == 0 or lo <= raw_mb <= hi):
            raise SessionError(f"cache_mb must be 0 (automatic) or an integer from {lo} to {hi}, got {_short(raw_mb)}")
        cache_mb = raw_mb
    return Session(settings, theme, view, font_scale, window, step, cache_mb)


def read_session_file(path: str | os.PathLike, defaults: Session | None = None) -> tuple[Session, str | None]:
    """(session, None), or (defaults, one-line message) when the file cannot be used.

    Only a regular file is opened (a FIFO or device never blocks the app).
    """
    base = defaults or Session()
    try:
        data = fileio.read_regular(path, MAX_BYTES)
    except fileio.FileError as exc:
        return base, f"Session {exc}; using defaults"
    try:
        return parse_session(data, base), None
    except SessionError as exc:
        return base, f"Session {fileio.shown(path)}: {exc}; using defaults"


def write_session_file(path: str | os.PathLike, session: Session) -> None:
    """Write `session` (without window geometry) atomically; raises OSError (`FileError`)."""
    fileio.write_bytes(path, session.to_json(with_window=False).encode("utf-8"), streams=False)


def config_dir() -> Path:
    """depthlens's folder in the user's configuration directory (XDG on Linux)."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or os.path.expanduser("~")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Preferences")
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(base) / "depthlens"


class Store:
    """The last session between runs: one JSON file that depthlens itself parses.

    Not QSettings: its INI reader decodes `@Variant(...)` values itself, so one crafted
    file could abort every start before any validation ran. A store that cannot be used
    is moved aside as `<name>.bad` (nothing is lost) and reported; the app then starts
    from defaults. A store written by depthlens 0.1 (QSettings INI holding the same JSON
    as a string) is read by a small parser of its own and rewritten as JSON on the next
    save; `@Variant` values are never decoded.
    """

    NAME = "depthlens.conf"

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / self.NAME
        self.save_error: str | None = None  # the last failed save, reported once

    def is_empty(self) -> bool:
        """True on first start (nothing stored yet)."""
        return not os.path.lexists(self.path)

    def load(self, defaults: Session | None = None) -> tuple[Session, str | None]:
        """(session, None), or (defaults, one-line message) if the store is unusable."""
        base = defaults or Session()
        if self.is_empty():
            return base, None
        try:
            data = fileio.read_regular(self.path, MAX_BYTES)
            return parse_session(_legacy_ini_json(data), base), None
        except (fileio.FileError, SessionError) as exc:
            reason = exc.reason if isinstance(exc, fileio.FileError) else str(exc)
            aside = fileio.move_aside(self.path)
            where = f"moved aside to {aside}" if aside else "could not be moved aside"
            return base, f"Saved settings ({self.where()}): {reason}; {where}; using defaults"

    def check(self) -> str | None:
        """At start: a message if the store could not be saved later (folder unwritable)."""
        return self._attempt(lambda: fileio.check_writable(self.path, streams=False))

    def save(self, session: Session) -> str | None:
        """Store `session` (with the window geometry); return a message the first time it fails."""
        data = session.to_json().encode("utf-8")
        return self._attempt(lambda: fileio.write_bytes(self.path, data, streams=False))

    def _attempt(self, action) -> str | None:
        try:
            os.makedirs(self.path.parent, mode=0o700, exist_ok=True)
            action()
        except OSError as exc:
            reason = exc.reason if isinstance(exc, fileio.FileError) else fileio.reason_of(exc)
            message = f"Cannot save settings to {self.where()}: {reason}"
            first = message != self.save_error
            self.save_error = message
            return message if first else None
        self.save_error = None
        return None

    def clear(self) -> None:
        """Forget everything stored."""
        with contextlib.suppress(FileNotFoundError):
            if os.path.isfile(self.path) or os.path.islink(self.path):
                os.unlink(self.path)

    def where(self) -> str:
        """The store's file name, for messages."""
        return os.fspath(self.path)


_INI_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _legacy_ini_json(data: bytes) -> bytes | str:
    """The JSON text of a depthlens 0.1 QSettings INI store, else `data` unchanged.

    Reads only `[session]` / `json="..."` with Qt's string escapes; anything else
    (e.g. an `@Variant(...)` value) is left for `parse_session` to reject as not JSON.
    """
    if not data.lstrip().startswith(b"[session]"):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "json":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                return _unescape_ini(value[1:-1])
            return data
    return data


def _unescape_ini(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 == len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "x":
            j = i + 2
            while j < len(text) and j < i + 6 and text[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(text[i + 2 : j] or "0", 16)))
            i = j
            continue
        out.append(_INI_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)
