"""CSV and NPZ writers; atomic (temporary file beside the target, then rename)."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from .engine import COLUMNS, Network, Result

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
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    try:
        # mkstemp makes the file private (0600); give it the usual mode a new file gets.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_csv(result: Result, path: str | os.PathLike) -> None:
    """Write the CSV of `result` atomically."""
    atomic_write(path, csv_text(result).encode("utf-8"))


def npz_bytes(net: Network) -> bytes:
    """NPZ with W (L,n,n), b (L,n), x (B,n) and config (0-d JSON string)."""
    buf = io.BytesIO()
    np.savez(
        buf,
        W=net.W,
        b=net.b,
        x=net.x,
        config=np.array(json.dumps(net.settings.to_dict())),
    )
    return buf.getvalue()


def write_npz(net: Network, path: str | os.PathLike) -> None:
    """Write the network's NPZ atomically."""
    atomic_write(path, npz_bytes(net))
