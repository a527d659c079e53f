"""`depthlens export` and `depthlens presets`: round trips, bad options, atomic writes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from depthlens.cli import main
from depthlens.engine import COLUMNS, PRESETS, Engine, Settings
from depthlens.engine.export import csv_text


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_csv_round_trip_with_pandas_and_csv_module(tmp_path, capsys):
    path = tmp_path / "out.csv"
    code, _, _ = run_cli(["export", "--preset", "lecture-explode", "--csv", str(path)], capsys)
    assert code == 0
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0].startswith("# depthlens ")
    assert lines[1].startswith("# ") and "scale=1.5" in lines[1] and "depth=50" in lines[1]
    df = pd.read_csv(path, comment="#")
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 51
    np.testing.assert_allclose(df["activation_rms"], 1.5 ** np.arange(51), rtol=1e-15)
    assert np.isnan(df["weight_grad_rms"][0]) and np.isnan(df["inactive_fraction"][0])
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert rows[49]["activation_rms"] == "425081000.14269972"
    assert rows[0]["weight_grad_rms"] == ""
    assert float(rows[50]["gradient_rms"]) == 1.0


def test_csv_to_stdout_equals_file(tmp_path, capsys):
    code, out, _ = run_cli(["export", "--preset", "he-relu", "--depth", "7", "--csv", "-"], capsys)
    assert code == 0
    s = PRESETS["he-relu"].settings.replace(depth=7)
    assert out == csv_text(Engine().compute(s))


def test_inf_and_nan_are_spelled_out(tmp_path, capsys):
    path = tmp_path / "o.csv"
    args = ["export", "--preset", "lecture-explode", "--depth", "300", "--dtype", "float32", "--csv", str(path)]
    assert run_cli(args, capsys)[0] == 0
    df = pd.read_csv(path, comment="#")
    assert np.isinf(df["activation_rms"][219]) and np.isfinite(df["activation_rms"][218])
    assert ",inf," in path.read_text()


def test_npz_round_trip(tmp_path, capsys):
    path = tmp_path / "net.npz"
    args = [
        "export",
        "--preset",
        "xavier-tanh",
        "--depth",
        "4",
        "--width",
        "8",
        "--batch",
        "3",
        "--bias-std",
        "0.1",
        "--npz",
        str(path),
    ]
    assert run_cli(args, capsys)[0] == 0
    with np.load(path, allow_pickle=False) as z:
        W, b, x, config = z["W"], z["b"], z["x"], json.loads(str(z["config"]))
    assert W.shape == (4, 8, 8) and b.shape == (4, 8) and x.shape == (3, 8)
    assert W.dtype == np.float32 and b.dtype == np.float32 and x.dtype == np.float32
    s = Settings.from_dict(config)
    assert s == PRESETS["xavier-tanh"].settings.replace(depth=4, width=8, batch=3, bias_std=0.1)
    # Recomputing from the NPZ gives the engine's numbers.
    a = x.astype(np.float64)
    for layer in range(4):
        a = np.tanh(a @ W[layer].T.astype(np.float64) + b[layer])
    res = Engine().compute(s)
    assert res.measured.activation_rms[4] == pytest.approx(np.sqrt(np.mean(a**2)), rel=1e-5)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--depth", "0"], "--depth must be an integer from 1 to 1000"),
        (["--depth", "abc"], "--depth must be an integer from 1 to 1000"),
        (["--width", "2000"], "--width must be an integer from 1 to 1024"),
        (["--scale", "0"], "--scale must be a number > 0 and <= 32"),
        (["--scale", "nan"], "--scale"),
        (["--bias-std", "2"], "--bias-std must be a number from 0 to 1"),
        (["--activation", "softmax"], "--activation must be one of linear, relu"),
        (["--init", "xavier"], "--init must be one of identity, gaussian, orthogonal, uniform, zeros"),
        (["--loss", "mse"], "--loss must be one of sum, random, got 'mse'"),
        (["--preset", "nope"], "--preset must be one of lecture-explode"),
        (["--depht", "3"], "unknown option --depht"),
        (["--size", "big"], "--size must be WIDTHxHEIGHT"),
        (["--cache-mb", "8"], "--cache-mb must be an integer from 16 to 1048576"),
        (["--cache-mb", "lots"], "--cache-mb must be an integer from 16 to 1048576"),
    ],
)
def test_bad_options_exit_2_with_one_line(args, needle, capsys, tmp_path):
    target = tmp_path / "x.csv"
    code, _out, err = run_cli(["export", *args, "--csv", str(target)], capsys)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert not target.exists()


def test_cache_mb_sizes_the_export_engines_weight_cache(tmp_path, capsys, monkeypatch):
    from depthlens.engine import engine as engine_module

    budgets = []
    real = engine_module.Engine.__init__

    def spy(self, budget_bytes=None):
        real(self, budget_bytes)
        budgets.append(self.cache.budget_bytes)

    monkeypatch.setattr(engine_module.Engine, "__init__", spy)
    for extra in (["--cache-mb", "16"], []):
        args = ["export", "--depth", "3", "--width", "8", *extra, "--csv", str(tmp_path / "a.csv")]
        code, _out, err = run_cli(args, capsys)
        assert code == 0, err
    from depthlens.engine.weights import MIB

    assert budgets[0] == 16 * MIB and budgets[1] >= 64 * MIB  # the automatic one


def test_unwritable_path_exits_1_and_leaves_nothing(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    missing = tmp_path / "missing-dir" / "x.csv"
    code, _, err = run_cli(["export", "--csv", str(missing)], capsys)
    assert code == 1 and "cannot write" in err
    if os.geteuid() != 0:  # root ignores permission bits
        folder.chmod(0o500)
        code, _, err = run_cli(["export", "--csv", str(folder / "x.csv")], capsys)
        assert code == 1
        folder.chmod(0o700)
    # A directory as the target: the rename fails, the temporary file is removed.
    code, _, err = run_cli(["export", "--csv", str(folder)], capsys)
    assert code == 1
    assert list(folder.iterdir()) == []


def test_a_network_too_large_for_the_memory_exits_1_in_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    from depthlens.engine import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 2 * 10**9)
    target = tmp_path / "x.csv"
    code, _, err = run_cli(
        ["export", "--csv", str(target), "--depth", "1000", "--width", "1024", "--batch", "512"], capsys
    )
    assert code == 1
    assert err.count("\n") == 1 and "too large for this machine" in err and "of the 2.0 GB free" in err
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    from depthlens.engine import export

    target = tmp_path / "x.csv"
    target.write_text("old content")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "replace", boom)
    with pytest.raises(OSError):
        export.atomic_write(target, b"new")
    assert target.read_text() == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_presets_lists_every_preset(capsys):
    code, out, _ = run_cli(["presets"], capsys)
    assert code == 0
    for name in (
        "lecture-explode",
        "lecture-vanish",
        "lecture-0.9",
        "gaussian-tanh-unscaled",
        "xavier-tanh",
        "xavier-relu",
        "he-relu",
        "selu-lecun",
        "orthogonal-linear",
        "cs231n-small",
        "cs231n-randn",
        "cs231n-xavier",
        "glorot-standard-tanh",
    ):
        assert name in out
    assert len(out.strip().splitlines()) == len(PRESETS)


def test_explicit_options_override_the_preset(capsys):
    code, out, _ = run_cli(["export", "--preset", "lecture-explode", "--scale", "0.5", "--csv", "-"], capsys)
    assert code == 0 and "scale=0.5" in out and "init=identity" in out


def test_console_entry_point_and_python_m_app(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "depthlens")
    for cmd in ([exe], [sys.executable, "-m", "depthlens"]):
        out = subprocess.run(
            [*cmd, "export", "--preset", "lecture-vanish", "--csv", "-"], capture_output=True, text=True, check=True
        )
        assert out.stdout.splitlines()[3].startswith("0,1,1,")
        bad = subprocess.run([*cmd, "export", "--depth", "-3", "--csv", "-"], capture_output=True, text=True)
        assert bad.returncode == 2 and "--depth" in bad.stderr


def test_no_display_says_so_in_one_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "depthlens"], capture_output=True, text=True, env=env)
    assert out.returncode == 1
    assert "no display" in out.stderr and "depthlens export" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_exported_files_get_the_usual_permissions(tmp_path):
    from depthlens.engine import export

    old = os.umask(0o022)
    try:
        export.atomic_write(tmp_path / "a.csv", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    "settings",
    [
        PRESETS["lecture-explode"].settings,
        Settings(depth=7, width=5, batch=3, bias_std=0.3, dtype="float64"),
        Settings(depth=3, width=4, batch=2, init="orthogonal", activation="relu"),
    ],
)
def test_streamed_npz_equals_the_in_memory_npz(tmp_path, settings):
    from depthlens.engine import drive
    from depthlens.engine.export import write_network_npz_steps, write_npz

    engine = Engine()
    write_npz(engine.network(settings), tmp_path / "mem.npz")
    fractions = []
    drive(write_network_npz_steps(engine, settings, tmp_path / "stream.npz"), progress=fractions.append)
    with np.load(tmp_path / "mem.npz") as a, np.load(tmp_path / "stream.npz") as b:
        assert sorted(a.files) == sorted(b.files) == ["W", "b", "config", "output_grad", "x"]
        for key in a.files:
            assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape
            np.testing.assert_array_equal(a[key], b[key])
    assert fractions[-1] == 1.0 and len(fractions) == settings.depth


def test_cancelled_streamed_npz_leaves_nothing(tmp_path):
    from depthlens.engine import Cancelled, drive
    from depthlens.engine.export import write_network_npz_steps

    (tmp_path / "net.npz").write_bytes(b"old")  # an existing file is left as it was
    calls = [0]

    def cancel():
        calls[0] += 1
        return calls[0] > 3

    with pytest.raises(Cancelled):
        steps = write_network_npz_steps(Engine(), Settings(depth=10, width=8, batch=2), tmp_path / "net.npz")
        drive(steps, cancel=cancel)
    assert os.listdir(tmp_path) == ["net.npz"]
    assert (tmp_path / "net.npz").read_bytes() == b"old"


def test_exports_keep_the_process_umask(tmp_path):
    from depthlens.engine.export import atomic_write
    from depthlens.engine.fileio import _umask

    old = os.umask(0o027)
    try:
        assert _umask() == 0o027
        atomic_write(tmp_path / "f.csv", b"x")
        assert (tmp_path / "f.csv").stat().st_mode & 0o777 == 0o640
        assert os.umask(0o027) == 0o027  # unchanged by the export
    finally:
        os.umask(old)


def test_loss_option_reaches_csv_header_and_npz_which_replays_the_backward_pass(tmp_path, capsys):
    # The NPZ holds g_L as used (output_grad), so a notebook can replay the backward pass.
    npz, csv_path = tmp_path / "net.npz", tmp_path / "a.csv"
    args = [
        "export",
        "--activation",
        "tanh",
        "--depth",
        "5",
        "--width",
        "6",
        "--batch",
        "3",
        "--bias-std",
        "0.2",
        "--dtype",
        "float64",
        "--npz",
        str(npz),
        "--csv",
        str(csv_path),
    ]
    for loss in ("random", "sum"):
        assert run_cli([*args, "--loss", loss], capsys)[0] == 0
        assert f" loss={loss} " in csv_path.read_text().splitlines()[1]
        with np.load(npz, allow_pickle=False) as z:
            W, b, x, r = z["W"], z["b"], z["x"], z["output_grad"]
            assert json.loads(str(z["config"]))["loss"] == loss
        assert r.shape == x.shape and r.dtype == np.float64
        if loss == "sum":
            assert np.all(r == 1)
        else:
            np.testing.assert_allclose(np.sqrt(np.mean(r**2, axis=1)), 1.0, rtol=1e-14)
        zs, a = [], x
        for layer in range(5):
            zs.append(a @ W[layer].T + b[layer])
            a = np.tanh(zs[-1])
        g = r
        for layer in range(4, -1, -1):
            g = (g * (1 - np.tanh(zs[layer]) ** 2)) @ W[layer]
        df = pd.read_csv(csv_path, comment="#")
        assert df["gradient_rms"][0] == pytest.approx(np.sqrt(np.mean(g**2)), rel=1e-12)
    # Without --loss the default is random; the lecture presets use sum.
    assert run_cli(["export", "--depth", "3", "--width", "2", "--csv", str(csv_path)], capsys)[0] == 0
    assert " loss=random " in csv_path.read_text().splitlines()[1]
    assert run_cli(["export", "--preset", "lecture-explode", "--csv", str(csv_path)], capsys)[0] == 0
    assert " loss=sum " in csv_path.read_text().splitlines()[1]


def _stderr_of(args, *, tty: bool, tmp_path) -> bytes:
    """Run `depthlens args` with stderr on a pseudo-terminal (`tty`) or a pipe; what it wrote there."""
    cmd = [sys.executable, "-m", "depthlens", *args]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if not tty:
        done = subprocess.run(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stderr
    master, slave = os.openpty()
    try:
        p = subprocess.Popen(cmd, stderr=slave, stdout=subprocess.DEVNULL, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert p.wait(timeout=120) == 0, b"".join(chunks)
    finally:
        os.close(master)
    return b"".join(chunks)


def test_a_long_export_shows_its_progress_on_a_terminal_and_nothing_on_a_pipe(tmp_path):
    # ~3 s on this machine: well past the progress line's 1 s delay.
    args = ["export", "--csv", str(tmp_path / "big.csv"), "--depth", "600", "--width", "512", "--batch", "256"]
    shown = _stderr_of(args, tty=True, tmp_path=tmp_path)
    assert b"depthlens: computing the network:" in shown and b"%" in shown and b"s left" in shown, shown
    assert shown.endswith(b"\r\x1b[K")  # the line is cleared at the end
    assert (tmp_path / "big.csv").stat().st_size > 0
    assert _stderr_of(args, tty=False, tmp_path=tmp_path) == b""


def test_cache_mb_reaches_the_window(monkeypatch):
    import depthlens.cli as cli
    import depthlens.main as gui_main

    seen = {}
    monkeypatch.setattr(cli, "has_display", lambda: True)
    monkeypatch.setattr(gui_main, "run_gui", lambda settings, **kw: seen.update(kw) or 0)
    assert main(["--cache-mb", "64"]) == 0
    assert seen["cache_mb"] == 64
    assert main([]) == 0
    assert seen["cache_mb"] is None
