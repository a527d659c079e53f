"""Every file depthlens writes or reads goes through here.

Writing: a regular file (or a new name) is written atomically beside its real target (a
symlink is followed and stays a symlink; the temporary name is short, so any valid file
name works; mode and, where permitted, owner of an existing file are kept). A character
device, a FIFO or ``-`` (standard output) is written directly as a stream, never
replaced. A directory or anything else is refused. A multi-file write either puts every
file in place or none (a failed rename rolls back the ones before it). Errors are
`FileError`, one line naming the user's own path.

An export is opened first (`Outputs`: paths checked, FIFOs and devices opened, temporary
files created) and filled later, so a bad target fails before a long computation.

Reading: only a regular file of sane size is opened, non-blocking (a FIFO cannot hang the
reader), and its bytes are handed to the caller to parse as data.
"""

from __future__ import annotations

import contextlib
import errno
import inspect
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .jobs import Steps, drive

Writer = Callable[[BinaryIO], object]  # fills an open file; may return a job (`Steps`) that does
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
    """`path` for a one-line message: stdout spelled so, control characters escaped, long cut."""
    text = os.fspath(path)
    if text == STDOUT:
        return "standard output"
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        text = repr(text)  # a newline or an escape sequence must not reach the terminal raw
    return text if len(text) <= limit else text[: limit // 2] + "..." + text[-(limit // 2) :]


def reason_of(exc: BaseException, *, reading: bool = False) -> str:
    """A short human reason for an OSError (no temp names, no errno numbers)."""
    if isinstance(exc, FileError):
        return exc.reason
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOENT:
            return "no such file" if reading else "the folder does not exist"
        if exc.errno == errno.ENOTDIR:
            return "a part of the path is not a folder"
        if exc.errno == errno.EISDIR:
            return "is a directory"
        if exc.errno == errno.EPIPE:
            return "the reader closed the pipe"
        if exc.errno == errno.ELOOP:
            return "too many levels of symbolic links"
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

    @property
    def key(self) -> object:
        """What two targets share when they are the same file (for 'named twice')."""
        if self.kind == "stdout":
            return "stdout"
        try:
            st = os.stat(self.real_path)
            return (st.st_dev, st.st_ino)
        except OSError:
            return os.path.realpath(self.real_path)


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


class _Sink:
    """What a writer writes into: never seekable, and dead after its first failure.

    Not seekable, so zipfile streams its entries (data descriptors) instead of seeking
    back, which a device, a pipe or stdout opened for append cannot honour. After the
    first failed write (a full disk, a closed pipe) it raises that error once and then
    ignores everything (the clean-up writes of zipfile), so the first error is the one
    reported.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.error: OSError | None = None
        self.written = 0

    def write(self, data) -> int:
        n = len(memoryview(data).cast("B"))
        if self.error is not None:
            return n
        try:
            self.raw.write(data)
        except OSError as exc:
            self.error = exc
            raise
        self.written += n
        return n

    def flush(self) -> None:
        if self.error is None:
            try:
                self.raw.flush()
            except OSError as exc:
                self.error = exc
                raise

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError(errno.ESPIPE, "not seekable")

    def seek(self, *args) -> int:
        raise OSError(errno.ESPIPE, "not seekable")


@dataclass
class _Out:
    target: Target
    temp: str | None = None  # regular files: the temporary file being filled
    handle: BinaryIO | None = None  # open temp file or stream
    backup: str | None = None  # a hard link to the file being replaced, for roll-back


@dataclass
class Outputs:
    """An export's targets, opened in advance; `write` fills them, all or none.

    Opening checks every path, refuses duplicates, opens FIFOs and devices (a FIFO with
    no reader fails now, not after the computation) and creates the temporary files.
    Use as a context manager: leaving it without a successful `write` removes every
    temporary file and leaves every target as it was.
    """

    paths: Sequence[str | os.PathLike]
    streams: bool = True
    _outs: list[_Out] = field(default_factory=list)

    def __post_init__(self) -> None:
        try:
            seen: dict[object, str] = {}
            for path in self.paths:
                target = resolve(path, streams=self.streams)
                key = target.key
                if key in seen:
                    raise FileError(path, f"is named twice in one export (also as {shown(seen[key])})")
                seen[key] = target.user_path
                self._outs.append(_Out(target))
            for out in self._outs:
                self._open(out)
        except BaseException:
            self.abort()
            raise

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc) -> None:
        self.abort()

    def _open(self, out: _Out) -> None:
        t = out.target
        if t.kind == "stdout":
            if sys.stdout is None:
                raise FileError(t.user_path, "it is closed")
            buf = getattr(sys.stdout, "buffer", None)
            if buf is None:
                raise FileError(t.user_path, "standard output takes no bytes")
            sys.stdout.flush()
            out.handle = buf
        elif t.kind == "stream":
            out.handle = _open_stream(t)
        else:
            fd, out.temp = _temp_beside(t)
            try:
                _match_existing(out.temp, t)
            except OSError as exc:
                os.close(fd)
                raise FileError(t.user_path, reason_of(exc)) from None
            out.handle = os.fdopen(fd, "wb")

    def write(self, writers: Sequence[Writer]) -> None:
        """Fill every target with its writer (same order as `paths`), then put files in place."""
        drive(self.write_steps(writers))

    def write_steps(self, writers: Sequence[Writer]) -> Steps[None]:
        """The job of `write`: yields the checkpoints of writers that are jobs themselves.

        Stopped at a checkpoint (`Cancelled` thrown in, or closed), it leaves no file.
        """
        if len(writers) != len(self._outs):
            raise ValueError("one writer per path")
        try:
            for out, writer in sorted(zip(self._outs, writers, strict=True), key=lambda p: p[0].target.kind != "file"):
                yield from self._fill(out, writer)
            self._commit()
        finally:
            self.abort()

    def _fill(self, out: _Out, writer: Writer) -> Steps[None]:
        t = out.target
        assert out.handle is not None
        sink = _Sink(out.handle)
        try:
            produced = writer(sink)  # type: ignore[arg-type]
            if inspect.isgenerator(produced):
                yield from produced
            if sink.error is not None:  # a writer that swallowed the error
                raise sink.error
            sink.flush()
            if t.kind == "file":
                os.fsync(out.handle.fileno())
                out.handle.close()
                out.handle = None
            elif t.kind == "stream":
                out.handle.close()
                out.handle = None
        except OSError as exc:
            raise FileError(t.user_path, reason_of(sink.error or exc)) from None

    def _commit(self) -> None:
        files = [o for o in self._outs if o.temp is not None]
        for out in files:  # keep the old files reachable until every new one is in place
            if out.target.existing is not None and len(files) > 1:
                out.backup = _backup_link(out.target)
        done: list[_Out] = []
        try:
            for out in files:
                assert out.temp is not None
                try:
                    os.replace(out.temp, out.target.real_path)
                except OSError as exc:
                    raise FileError(out.target.user_path, reason_of(exc)) from None
                _forget(out.temp, remove=False)
                out.temp = None
                done.append(out)
        except BaseException:
            for out in reversed(done):  # roll back: the old file (or no file) again
                with contextlib.suppress(OSError):
                    if out.backup is not None:
                        os.replace(out.backup, out.target.real_path)
                        _forget(out.backup, remove=False)
                        out.backup = None
                    else:
                        os.unlink(out.target.real_path)
            raise

    def abort(self) -> None:
        """Close what is open and remove every temporary file and backup link (idempotent)."""
        for out in self._outs:
            if out.handle is not None and out.target.kind != "stdout":
                with contextlib.suppress(OSError):
                    out.handle.close()
            out.handle = None
            for name in (out.temp, out.backup):
                if name is not None:
                    _forget(name, remove=True)
            out.temp = out.backup = None


def _backup_link(target: Target) -> str:
    """A hard link to the file about to be replaced, beside it (removed after success)."""
    folder = os.path.dirname(target.real_path) or "."
    for _ in range(100):
        name = os.path.join(folder, f".dl{os.urandom(4).hex()}.old")
        try:
            os.link(target.real_path, name)
        except FileExistsError:
            continue
        except OSError as exc:
            raise FileError(target.user_path, reason_of(exc)) from None
        with _live_lock:
            _live_temps.add(name)
        return name
    raise FileError(target.user_path, "cannot create a backup name beside it")


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
            fifo = stat.S_ISFIFO(os.stat(target.real_path).st_mode)
            reason = "is a FIFO with no reader" if fifo else "no device is behind this device file"
            raise FileError(target.user_path, reason) from None
        raise FileError(target.user_path, reason_of(exc)) from None
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)  # a reader exists: now block normally while it reads
    return os.fdopen(fd, "wb")


def write_files(items: Iterable[tuple[str | os.PathLike, Writer]], *, streams: bool = True) -> None:
    """Write several files: every one is in place at the end, or none is.

    Each writer fills an open, non-seekable binary file. On any error (or a `Cancelled`
    raised by a writer, or a signal) every temporary file is removed and each target is
    left as it was; the error is a `FileError` naming the user's path (other exceptions
    pass through unchanged). Streams (devices, FIFOs, stdout) cannot be taken back.
    """
    drive(write_files_steps(items, streams=streams))


def write_files_steps(items: Iterable[tuple[str | os.PathLike, Writer]], *, streams: bool = True) -> Steps[None]:
    """The job of `write_files`: the checkpoints of its writers (see `Outputs.write_steps`)."""
    pairs = list(items)
    with Outputs([p for p, _ in pairs], streams=streams) as outs:
        yield from outs.write_steps([w for _, w in pairs])


def write_with(path: str | os.PathLike, writer: Writer, *, streams: bool = True) -> None:
    """Write one file by `writer(fh)`; see `write_files`."""
    write_files([(path, writer)], streams=streams)


def write_bytes(path: str | os.PathLike, data: bytes, *, streams: bool = True) -> None:
    """Write `data` to `path`; see `write_files`."""
    write_files([(path, lambda fh: fh.write(data))], streams=streams)


def check_writable(path: str | os.PathLike, *, streams: bool = True) -> None:
    """Raise `FileError` now if `path` could not be written (nothing is left behind).

    A FIFO is not opened here (opening and closing it would end its reader's input): use
    `Outputs` to open it for the real write.
    """
    target = resolve(path, streams=streams)
    if target.kind == "stdout":
        if sys.stdout is None:
            raise FileError(target.user_path, "it is closed")
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
    if user == "":
        raise FileError(user, "empty file name")
    try:
        st = os.stat(user)
    except OSError as exc:
        raise FileError(user, "cannot read: " + reason_of(exc, reading=True)) from None
    _check_regular(user, st, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(user, flags)
    except OSError as exc:
        raise FileError(user, "cannot read: " + reason_of(exc, reading=True)) from None
    try:
        _check_regular(user, os.fstat(fd), max_bytes)
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FileError(user, "cannot read: " + reason_of(exc, reading=True)) from None
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
    """Rename a bad file to `<name>.bad` (or `.bad.1`, `.bad.2`, … if taken); the new name or None."""
    src = Path(path)
    for i in range(1000):
        dst = src.with_name(src.name + (".bad" if i == 0 else f".bad.{i}"))
        if os.path.lexists(dst):
            continue
        try:
            os.rename(src, dst)
        except OSError:
            return None
        return os.fspath(dst)
    return None
