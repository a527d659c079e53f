"""CSV and NPZ writers; every file goes through `engine.fileio` (atomic, streams for devices)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npformat

from . import fileio
from .config import Settings
from .engine import COLUMNS, Engine, Network, Result
from .jobs import Progress, Steps, drive
from .numbers import full
from .propagate import input_batch, output_grad

BLANK_ROW0 = {"weight_grad_rms", "inactive_fraction"}


# The project's version, as in pyproject.toml (tests/test_architecture.py checks the two and
# the installed metadata agree). A constant: reading the metadata costs ~30 ms at start-up.
VERSION = "0.1.0"


def version() -> str:
    """The depthlens version (what `depthlens --version` prints and files record)."""
    return VERSION


fmt = full  # 17 significant digits; inf/-inf/nan spelled so (see engine.numbers)


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
    """Write `data` to `path` (atomically for a regular file; see `engine.fileio`)."""
    fileio.write_bytes(path, data)


def probe_writable(path: str | os.PathLike) -> None:
    """Raise `FileError` now if `path` cannot be written (nothing is left)."""
    fileio.check_writable(path)


def atomic_write_with(path: str | os.PathLike, writer: Callable[[BinaryIO], object]) -> None:
    """Let `writer(fh)` fill `path`; on any error (or `Cancelled`) nothing is left."""
    fileio.write_with(path, writer)


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


def write_network_npz(engine: Engine, settings: Settings, path: str | os.PathLike) -> None:
    """Write the same NPZ as `write_npz(engine.network(settings))`, one layer at a time; see below."""
    drive(write_network_npz_steps(engine, settings, path))


def write_network_npz_steps(engine: Engine, settings: Settings, path: str | os.PathLike) -> Steps[None]:
    """The job of `write_network_npz`: yields `Progress` after each layer written.

    Streams W and b into the file, so a 1000 x 1024 x 1024 network never sits in memory
    (4 GB in float32, twice that as NPZ bytes). Stopped at a checkpoint (`Cancelled`), it
    leaves no file. Atomic like every export.
    """
    yield from fileio.write_files_steps([(path, network_npz_writer(engine, settings))])


def network_npz_writer(engine: Engine, settings: Settings) -> Callable[[BinaryIO], Steps[None]]:
    """The writer that streams the network's NPZ into an open file (seekable or not), as a job."""
    s = settings
    n, L = s.width, s.depth
    dt = np.dtype(s.dtype)

    def entry(zf: zipfile.ZipFile, name: str, shape: tuple[int, ...]) -> BinaryIO:
        f = zf.open(name + ".npy", "w", force_zip64=True)
        header = {"descr": npformat.dtype_to_descr(dt), "fortran_order": False, "shape": shape}
        try:
            npformat.write_array_header_1_0(f, header)
        except BaseException:
            f.close()  # else the ZipFile cannot close and hides the real error
            raise
        return f  # type: ignore[return-value]

    def fill(fh: BinaryIO) -> Steps[None]:
        with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            biases = np.empty((L, n), dtype=dt)
            with entry(zf, "W", (L, n, n)) as f:
                for layer in range(1, L + 1):
                    if layer > 1:
                        yield Progress((layer - 1) / L)
                    w, biases[layer - 1] = engine.layer_params(s, layer)
                    f.write(np.ascontiguousarray(w).tobytes())
            yield Progress(1.0)
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

    return fill
