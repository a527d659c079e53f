"""Every file depthlens writes or reads goes through here.

Writing: a regular file (or a new name) is written atomically beside its real target (a
symlink is followed and stays a symlink; the temporary name is short, so any valid file
name works; mode and, where permitted, owner of an existing file are kept). A character
device, a FIFO or ``-`` (standard output) is written directly as a stream, never
replaced. A directory or anything else is refused. A multi-file write either puts every
file in place or none. Errors are `FileError`, one line naming the user's own path.

Reading: only a regular file of sane size is opened, non-blocking (a FIFO cannot hang the
reader), and its bytes are handed to the caller to parse as data.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

Writer = Callable[[BinaryIO], object]
STDOUT = "-"

_live_temps: set[str] = set()  # temporary files being written, removed on a signal
_live_lock = threading.Lock()


class FileError(OSError):
    """A path that cannot be written or read; str() is one line naming the user's path."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.user_path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{shown(self.user_path)}: {reason}")
        self.filename = self.user_path
        self.strerror = reason

    def __str__(self) -> str:
        return f"{shown(self.user_path)}: {self.reason}"


def shown(path: str | os.PathLike, limit: int = 200) -> str:
    """`path` for a message: standard output spelled so, very long paths shortened."""
    text = os.fspath(path)
    if text == STDOUT:
        return "standard output"
    return text if len(text) <= limit else text[: limit // 2] + "..." + text[-(limit // 2) :]


def reason_of(exc: BaseException) -> str:
    """A short human reason for an OSError (no temp names, no errno numbers)."""
    if isinstance(exc, FileError):
        return exc.reason
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOENT:
            return "the folder does not exist"
        if exc.errno == errno.ENOTDIR:
            return "a part of the path is not a folder"
        if exc.errno == errno.EISDIR:
            return "is a directory"
        if exc.errno == errno.EPIPE:
            return "the reader closed the pipe"
        if exc.strerror:
            return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


def remove_live_temps() -> None:
    """Remove every temporary file still being written (called on SIGINT/SIGTERM)."""
    with _live_lock:
        names = list(_live_temps)
        _live_temps.clear()
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _umask() -> int:
    """The process umask, read without changing it (exports run on two threads)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    return _UMASK_AT_IMPORT


def _read_umask_once() -> int:
    mask = os.umask(0o022)  # at import, before any export thread exists
    os.umask(mask)
    return mask


_UMASK_AT_IMPORT = _read_umask_once()


@dataclass(frozen=True, slots=True)
class Target:
    """Where a write goes: `kind` is "file" (atomic), "stream" (device/FIFO) or "stdout"."""

    user_path: str
    kind: str
    real_path: str  # the file that is replaced (symlinks resolved), or the stream's path
    existing: os.stat_result | None  # the regular file being replaced, if any


def resolve(path: str | os.PathLike, *, streams: bool = True) -> Target:
    """Decide how `path` is written; raise `FileError` for what cannot be written.

    With `streams=False` (the settings store, session files) only regular files are
    accepted: a device, FIFO or ``-`` is refused.
    """
    user = os.fspath(path)
    if user == "":
        raise FileError(user, "empty file name")
    if user == STDOUT:
        if not streams:
            raise FileError(user, "cannot be written to standard output")
        return Target(user, "stdout", user, None)
    if "\0" in user:
        raise FileError(user, "file name contains a NUL character")
    real = os.path.realpath(user) if os.path.islink(user) else user
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise FileError(user, reason_of(exc)) from None
    if st is None:  # a new file (or a dangling symlink's target, created; the link stays)
        folder = os.path.dirname(real) or "."
        if not os.path.isdir(folder):
            raise FileError(user, "the folder does not exist")
        return Target(user, "file", real, None)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return Target(user, "file", real, st)
    if stat.S_ISDIR(mode):
        raise FileError(user, "is a directory")
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        if not streams:
            raise FileError(user, "is not a regular file (device or FIFO)")
        return Target(user, "stream", real, None)
    kind = "block device" if stat.S_ISBLK(mode) else "socket" if stat.S_ISSOCK(mode) else "special file"
    raise FileError(user, f"is a {kind}; refusing to write to it")


def _temp_beside(target: Target, tag: str = "") -> tuple[int, str]:
    """A new private temporary file in the target's folder: (fd, name); short name."""
    folder = os.path.dirname(target.real_path) or "."
    try:
        fd, name = tempfile.mkstemp(prefix=".dl", suffix=tag or ".part", dir=folder)
    except OSError as exc:
        raise FileError(target.user_path, reason_of(exc)) from None
    with _live_lock:
        _live_temps.add(name)
    return fd, name


def _forget(name: str, *, remove: bool) -> None:
    with _live_lock:
        _live_temps.discard(name)
    if remove:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _match_existing(name: str, target: Target) -> None:
    """Give the temp file the mode (and owner, where allowed) it will replace."""
    st = target.existing
    if st is None:
        os.chmod(name, 0o666 & ~_umask())  # what a newly created file gets
        return
    os.chmod(name, stat.S_IMODE(st.st_mode))
    if hasattr(os, "chown") and (st.st_uid != os.geteuid() or st.st_gid != os.getegid()):
        with contextlib.suppress(OSError):
            os.chown(name, st.st_uid, st.st_gid)


def _open_stream(target: Target) -> BinaryIO:
    """Open a device or FIFO for writing without blocking on a FIFO with no reader."""
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(target.real_path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise FileError(target.user_path, "is a FIFO with no reader") from None
        raise FileError(target.user_path, reason_of(exc)) from None
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)  # a reader exists: now block normally while it reads
    return os.fdopen(fd, "wb")


def _stdout_stream(target: Target) -> BinaryIO:
    out = sys.stdout
    if out is None:
        raise FileError(target.user_path, "it is closed")
    buf = getattr(out, "buffer", None)
    if buf is None:
        raise FileError(target.user_path, "standard output takes no bytes")
    out.flush()
    return buf


@dataclass
class _Job:
    target: Target
    writer: Writer
    temp: str | None = None


def write_files(items: Iterable[tuple[str | os.PathLike, Writer]], *, streams: bool = True) -> None:
    """Write several files: every one is in place at the end, or none is.

    Each writer fills an open binary file. All temporary files are written first, then
    the streams, then every temporary file is renamed onto its target. On any error
    (or a `Cancelled` raised by a writer, or a signal) every temporary file is removed
    and each target is left as it was; the error is a `FileError` naming the user's path
    (other exceptions pass through unchanged).
    """
    jobs = [_Job(resolve(path, streams=streams), writer) for path, writer in items]
    seen: set[str] = set()
    for job in jobs:
        key = "stdout" if job.target.kind == "stdout" else os.path.abspath(job.target.real_path)
        if key in seen:
            raise FileError(job.target.user_path, "named twice in one export")
        seen.add(key)
    try:
        for job in (j for j in jobs if j.target.kind == "file"):
            _write_temp(job)
        for job in (j for j in jobs if j.target.kind != "file"):
            _write_stream(job)
        for job in (j for j in jobs if j.temp is not None):
            assert job.temp is not None
            try:
                os.replace(job.temp, job.target.real_path)
            except OSError as exc:
                raise FileError(job.target.user_path, reason_of(exc)) from None
            _forget(job.temp, remove=False)
            job.temp = None
    finally:
        for job in jobs:
            if job.temp is not None:
                _forget(job.temp, remove=True)


def _write_temp(job: _Job) -> None:
    """Fill a new temporary file beside the job's target (kept in `job.temp`)."""
    fd, job.temp = _temp_beside(job.target)
    try:
        with os.fdopen(fd, "wb") as fh:
            _match_existing(job.temp, job.target)
            job.writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise FileError(job.target.user_path, reason_of(exc)) from None


def _write_stream(job: _Job) -> None:
    """Write straight into standard output, a device or a FIFO."""
    try:
        if job.target.kind == "stdout":
            out = _stdout_stream(job.target)
            job.writer(out)
            out.flush()
            return
        with _open_stream(job.target) as fh:
            job.writer(fh)
    except FileError:
        raise
    except OSError as exc:
        raise FileError(job.target.user_path, reason_of(exc)) from None


def write_with(path: str | os.PathLike, writer: Writer, *, streams: bool = True) -> None:
    """Write one file by `writer(fh)`; see `write_files`."""
    write_files([(path, writer)], streams=streams)


def write_bytes(path: str | os.PathLike, data: bytes, *, streams: bool = True) -> None:
    """Write `data` to `path`; see `write_files`."""
    write_files([(path, lambda fh: fh.write(data))], streams=streams)


def check_writable(path: str | os.PathLike, *, streams: bool = True) -> None:
    """Raise `FileError` now if `path` could not be written (nothing is left behind)."""
    target = resolve(path, streams=streams)
    if target.kind == "stdout":
        _stdout_stream(target)
        return
    if target.kind == "stream":
        if not os.access(target.real_path, os.W_OK):
            raise FileError(target.user_path, "permission denied")
        return
    fd, name = _temp_beside(target, ".probe")
    os.close(fd)
    _forget(name, remove=True)


# ---- reading -------------------------------------------------------------------------


def read_regular(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; `FileError` otherwise.

    Checked before opening (a FIFO or device is never opened) and opened non-blocking
    (so a FIFO swapped in after the check cannot hang the reader either).
    """
    user = os.fspath(path)
    try:
        st = os.stat(user)
    except OSError as exc:
        raise FileError(user, "cannot read: " + reason_of(exc)) from None
    _check_regular(user, st, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(user, flags)
    except OSError as exc:
        raise FileError(user, "cannot read: " + reason_of(exc)) from None
    try:
        _check_regular(user, os.fstat(fd), max_bytes)
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FileError(user, "cannot read: " + reason_of(exc)) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > max_bytes:
        raise FileError(user, f"too large (over {max_bytes} bytes)")
    return data


def _check_regular(user: str, st: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise FileError(user, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise FileError(user, "is not a regular file (a FIFO, device or socket); not read")
    if st.st_size > max_bytes:
        raise FileError(user, f"too large ({st.st_size} bytes; at most {max_bytes})")


def move_aside(path: str | os.PathLike) -> str | None:
    """Rename a bad file to `<name>.bad` (keeping it); return the new name or None."""
    src = Path(path)
    dst = src.with_name(src.name + ".bad")
    try:
        os.replace(src, dst)
    except OSError:
        return None
    return os.fspath(dst)


@contextlib.contextmanager
def removing_temps_on_exit() -> Iterator[None]:
    """Remove any temporary file still being written when the block exits abnormally."""
    try:
        yield
    except BaseException:
        remove_live_temps()
        raise
