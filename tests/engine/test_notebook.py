"""Notebook use: a Result's columns as numpy arrays or a DataFrame; the README's example runs."""

from __future__ import annotations

import importlib.util
import io
import pathlib
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from depthlens.engine import COLUMNS, PRESETS, Engine, Settings
from depthlens.engine.export import csv_text

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def result():
    return Engine().compute(PRESETS["lecture-explode"].settings.replace(depth=20))


def test_to_dict_holds_the_csv_columns_as_float64_arrays(result):
    cols = result.to_dict()
    assert list(cols) == list(COLUMNS)
    assert all(a.dtype == np.float64 and a.shape == (21,) for a in cols.values())
    np.testing.assert_array_equal(cols["layer"], np.arange(21))
    np.testing.assert_allclose(cols["activation_rms"], 1.5 ** np.arange(21), rtol=1e-15)
    from_csv = pd.read_csv(io.StringIO(csv_text(result)), comment="#")
    for name in COLUMNS:
        np.testing.assert_array_equal(cols[name], from_csv[name].to_numpy(dtype=np.float64))


def test_to_dict_gives_copies(result):
    cols = result.to_dict()
    cols["activation_rms"][:] = -1.0
    assert result.to_dict()["activation_rms"][3] == pytest.approx(1.5**3, rel=1e-15)


def test_to_frame_is_indexed_by_layer(result):
    df = result.to_frame()
    assert df.index.name == "layer" and list(df.index) == list(range(21))
    assert list(df.columns) == list(COLUMNS[1:])
    np.testing.assert_array_equal(df["gradient_rms"].to_numpy(), result.to_dict()["gradient_rms"])
    assert np.isnan(df.loc[0, "weight_grad_rms"])


def test_to_frame_without_pandas_says_what_to_use(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(ImportError, match=r"needs pandas; Result.to_dict\(\) gives numpy arrays"):
        result.to_frame()


def test_the_engine_imports_neither_pandas_nor_matplotlib():
    package = Engine.__module__.rpartition(".")[0]  # the engine package, whatever it is installed as
    code = (
        "import importlib, sys\n"
        f"e = importlib.import_module({package!r})\n"
        f"importlib.import_module({package + '.export'!r}); importlib.import_module({package + '.analysis'!r})\n"
        "e.Engine().compute(e.Settings(depth=3, width=4)).to_dict()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'matplotlib')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Notebook use", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_and_has_five_lines(monkeypatch):
    code = readme_example()
    lines = code.strip().splitlines()
    assert len(lines) == 5
    assert "to_dict()" in code and "to_frame()" in code and ".plot(" in lines[-1]
    if importlib.util.find_spec("matplotlib") is None:  # plotting is optional: run up to the plot
        code = "\n".join(lines[:-1])
    else:
        import matplotlib

        matplotlib.use("Agg")
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    s = scope["result"].settings
    assert isinstance(s, Settings)
    assert list(scope["cols"]) == list(COLUMNS)
    assert scope["df"].shape == (s.depth + 1, len(COLUMNS) - 1)
