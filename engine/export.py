"""CSV and NPZ writers; atomic (temporary file beside the target, then rename)."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npformat

from .config import Settings
from .engine import COLUMNS, Engine, Network, Result
from .propagate import Cancelled, input_batch, output_grad

BLANK_ROW0 = {"weight_grad_rms", "inactive_fraction"}


def version() -> str:
    """The installed depthlens version, or 0+unknown when run from a bare tree."""
    try:
        from importlib.metadata import version as _v

        return _v("depthlens")
    except Exception:
        return "0+unknown"


def fmt(x: float) -> str:
    """17 significant digits; inf/-inf/nan spelled so."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.17g}"


def csv_text(result: Result) -> str:
    """The CSV document of `result` (header comments, column names, one row per layer)."""
    s = result.settings
    out = io.StringIO()
    out.write(f"# depthlens {version()}\n")
    out.write("# " + " ".join(f"{k}={v}" for k, v in s.to_dict().items()) + "\n")
    if not result.theory.defined:
        out.write(f"# theory: {result.theory.note}\n")
    out.write(",".join(COLUMNS) + "\n")
    cols = {name: result.column(name) for name in COLUMNS[1:]}
    theory_cols = ("theory_activation_rms", "theory_gradient_rms")
    for row in range(result.depth + 1):
        cells = [str(row)]
        for name in COLUMNS[1:]:
            if (row == 0 and name in BLANK_ROW0) or (name in theory_cols and not result.theory.defined):
                cells.append("")
            else:
                cells.append(fmt(float(cols[name][row])))
        out.write(",".join(cells) + "\n")
    return out.getvalue()


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and a rename.

    On any error the temporary file is removed and the target is left untouched.
    """
    atomic_write_with(path, lambda fh: fh.write(data))


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


def _temp_beside(path: str | os.PathLike, suffix: str) -> tuple[int, str]:
    """A new private temporary file in `path`'s folder: (fd, name)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    return tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)


def probe_writable(path: str | os.PathLike) -> None:
    """Raise OSError now if a file cannot be created beside `path` (nothing is left)."""
    fd, tmp = _temp_beside(path, ".probe")
    os.close(fd)
    os.unlink(tmp)


def atomic_write_with(path: str | os.PathLike, writer: Callable[[BinaryIO], object]) -> None:
    """Let `writer(fh)` fill a temporary file beside `path`, then rename it to `path`.

    On any error (including `Cancelled` raised by the writer) the temporary file is
    removed and the target is left untouched.
    """
    fd, tmp = _temp_beside(path, ".part")
    try:
        # mkstemp makes the file private (0600); give it the usual mode a new file gets.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_csv(result: Result, path: str | os.PathLike) -> None:
    """Write the CSV of `result` atomically."""
    atomic_write(path, csv_text(result).encode("utf-8"))


def npz_bytes(net: Network) -> bytes:
    """NPZ with W (L,n,n), b (L,n), x (B,n), output_grad (B,n) and config (0-d JSON string)."""
    buf = io.BytesIO()
    np.savez(
        buf,
        W=net.W,
        b=net.b,
        x=net.x,
        output_grad=net.output_grad,
        config=np.array(json.dumps(net.settings.to_dict())),
    )
    return buf.getvalue()


def write_npz(net: Network, path: str | os.PathLike) -> None:
    """Write the network's NPZ atomically."""
    atomic_write(path, npz_bytes(net))


def write_network_npz(
    engine: Engine,
    settings: Settings,
    path: str | os.PathLike,
    *,
    cancel: Callable[[], bool] | None = None,
    progress: Callable[[float], None] | None = None,
) -> None:
    """Write the same NPZ as `write_npz(engine.network(settings))`, one layer at a time.

    Streams W and b into the file, so a 1000 x 1024 x 1024 network never sits in memory
    (4 GB in float32, twice that as NPZ bytes). Cancellable between layers (raises
    `Cancelled`; no file is left). Atomic like every export.
    """
    s = settings
    n, L = s.width, s.depth
    dt = np.dtype(s.dtype)

    def entry(zf: zipfile.ZipFile, name: str, shape: tuple[int, ...]) -> BinaryIO:
        f = zf.open(name + ".npy", "w", force_zip64=True)
        header = {"descr": npformat.dtype_to_descr(dt), "fortran_order": False, "shape": shape}
        npformat.write_array_header_1_0(f, header)
        return f  # type: ignore[return-value]

    def fill(fh: BinaryIO) -> None:
        with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            biases = np.empty((L, n), dtype=dt)
            with entry(zf, "W", (L, n, n)) as f:
                for layer in range(1, L + 1):
                    if cancel is not None and cancel():
                        raise Cancelled()
                    w, biases[layer - 1] = engine.layer_params(s, layer)
                    f.write(np.ascontiguousarray(w).tobytes())
                    if progress is not None:
                        progress(layer / L)
            with entry(zf, "b", (L, n)) as f:
                f.write(biases.tobytes())
            small = (
                ("x", input_batch(s)),
                ("output_grad", output_grad(s)),
                ("config", np.array(json.dumps(s.to_dict()))),
            )
            for name, arr in small:
                with zf.open(name + ".npy", "w", force_zip64=True) as f:
                    npformat.write_array(f, np.asanyarray(arr), allow_pickle=False)

    atomic_write_with(path, fill)
