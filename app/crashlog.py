"""Native crashes leave a report: `faulthandler` writes to a log in the user's state directory.

Each running app writes to `faulthandler-<pid>.log` there. A normal exit deletes the empty
file; a segfault or abort leaves it with the Python traceback of every thread. The next
start renames such a left-over (non-empty, its process gone) to `crash-<time>-<pid>.log`
and says where it is (stderr and a dialog); empty left-overs (a killed process) are deleted.
"""

from __future__ import annotations

import atexit
import faulthandler
import os
import sys
import time
from pathlib import Path
from typing import IO

APP_DIR = "depthlens"
PREFIX = "faulthandler-"


def state_dir() -> Path:
    """The user's state directory for depthlens ($XDG_STATE_HOME/depthlens on Linux)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / APP_DIR
    xdg = os.environ.get("XDG_STATE_HOME", "")
    base_path = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "state"  # relative: ignored (XDG)
    return base_path / APP_DIR


def _pid_of(path: Path) -> int | None:
    try:
        return int(path.stem[len(PREFIX) :])
    except ValueError:
        return None


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill would terminate it; an open log cannot be renamed there
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: someone's process has that id
        return True
    return True


def collect(directory: Path) -> list[Path]:
    """Rename left-over non-empty logs of ended processes to crash-*.log; return them, oldest first."""
    found: list[tuple[float, Path]] = []
    for log in sorted(directory.glob(f"{PREFIX}*.log")):
        pid = _pid_of(log)
        if pid is None or _running(pid):
            continue
        try:
            st = log.stat()
            if st.st_size == 0:
                log.unlink()
                continue
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(st.st_mtime))
            target = directory / f"crash-{stamp}-{pid}.log"
            log.rename(target)
        except OSError:  # in use (Windows) or gone meanwhile: leave it
            continue
        found.append((st.st_mtime, target))
    return [p for _, p in sorted(found)]


class CrashLog:
    """The faulthandler log of this process; `close()` (also at exit) removes it when empty."""

    def __init__(self, directory: Path, previous: list[Path], stream: IO[str] | None, restore: bool = False) -> None:
        self.directory = directory
        self.previous = previous  # reports of earlier crashes found at start, oldest first
        self.stream = stream
        self.restore = restore  # faulthandler wrote to stderr before (python -X faulthandler, pytest)
        self.path = directory / f"{PREFIX}{os.getpid()}.log" if stream is not None else None

    def close(self) -> None:
        """Stop writing; delete the log if nothing was written (a normal exit)."""
        if self.stream is None:
            return
        faulthandler.disable()
        self.stream.close()
        self.stream = None
        if self.restore and sys.__stderr__ is not None:
            faulthandler.enable(sys.__stderr__, all_threads=True)
        try:
            if self.path is not None and self.path.stat().st_size == 0:
                self.path.unlink()
        except OSError:
            pass

    def notice(self) -> str | None:
        """One line for the user about the last crash (None if there was none)."""
        if not self.previous:
            return None
        return f"depthlens stopped unexpectedly last time; its crash report is {self.previous[-1]}"


def start(directory: Path | None = None) -> CrashLog:
    """Collect earlier crash reports, then send this process's native crashes to a new log.

    If the state directory cannot be written, faulthandler writes to stderr instead.
    """
    directory = directory or state_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        previous = collect(directory)
        stream = open(directory / f"{PREFIX}{os.getpid()}.log", "w", encoding="utf-8")
    except OSError as exc:
        print(f"depthlens: no crash log ({exc.strerror or exc}: {directory})", file=sys.stderr)
        if sys.stderr is not None:
            faulthandler.enable()
        return CrashLog(directory, [], None)
    restore = faulthandler.is_enabled()
    faulthandler.enable(stream, all_threads=True)
    log = CrashLog(directory, previous, stream, restore)
    atexit.register(log.close)
    return log
