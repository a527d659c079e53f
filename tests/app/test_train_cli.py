"""`depthlens train`: the CSVs, the tidy layers CSV, the replay NPZ, the PNG, bad options, atomic writes."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from depthlens.cli import main
from depthlens.engine import Settings
from depthlens.engine.tasks import make_task
from depthlens.engine.train_config import TrainConfig
from depthlens.engine.training import Trainer

NET = ["--depth", "3", "--width", "8", "--batch", "12", "--activation", "tanh", "--dtype", "float64"]


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_writes_every_file(tmp_path, capsys):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.npz"
    args = ["train", *NET, "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.5", "--steps", "25"]
    args += ["--log-every", "5", "--csv", str(a), "--layers-csv", str(b), "--npz", str(c)]
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    lines = a.read_text().splitlines()
    assert lines[0].startswith("# depthlens ")
    assert "task=spirals" in lines[1] and "optimizer=sgd" in lines[1] and "log_every=5" in lines[1]
    df = pd.read_csv(a, comment="#")
    assert list(df.columns) == ["step", "loss", "accuracy", "seconds", "diverged"]
    assert df["step"].tolist() == [0, 5, 10, 15, 20, 24]
    assert (df["diverged"] == 0).all()
    layers = pd.read_csv(b, comment="#")
    assert len(layers) == 6 * 4
    assert list(layers.columns[:2]) == ["step", "layer"]
    assert layers[layers.layer == 0]["update_ratio"].isna().all()
    z = np.load(c, allow_pickle=False)
    assert set(z.files) == {"W0", "b0", "W", "b", "x", "y", "r", "loss", "config"}
    assert z["W0"].shape == (3, 8, 8) and z["b"].shape == (3, 8) and z["x"].shape == (12, 8)
    assert z["loss"].shape == (25,)
    config = json.loads(str(z["config"]))
    assert config["momentum"] == 0.5 and config["log_every"] == 5 and config["depth"] == 3
    # 17 significant digits: the CSV's losses are the NPZ's
    np.testing.assert_array_equal(df["loss"].to_numpy(), z["loss"][df["step"].to_numpy()])


def test_npz_replays_the_run(tmp_path, capsys):
    """A notebook can rebuild the loss at step 0 from x, W0, b0, r and y alone."""
    c = tmp_path / "c.npz"
    assert run_cli(["train", *NET, "--steps", "3", "--npz", str(c)], capsys)[0] == 0
    z = np.load(c, allow_pickle=False)
    a = z["x"]
    for w, b in zip(z["W0"], z["b0"], strict=True):
        a = np.tanh(a @ w.T + b)
    y_hat = a @ z["r"] / math.sqrt(8)
    loss = np.mean(np.logaddexp(0, -z["y"] * y_hat))
    assert loss == pytest.approx(z["loss"][0], rel=1e-12)
    s = Settings(depth=3, width=8, batch=12, activation="tanh", dtype="float64")
    np.testing.assert_array_equal(z["x"], make_task("spirals", 0, 8, 12).x)
    t = Trainer(s, TrainConfig())
    for _ in t.run(3):
        pass
    np.testing.assert_array_equal(z["W"], t.params()[0])


def test_teacher_accuracy_is_blank_and_csv_to_stdout(capsys):
    code, out, _ = run_cli(["train", *NET, "--task", "teacher", "--steps", "2", "--csv", "-"], capsys)
    assert code == 0
    rows = [line for line in out.splitlines() if not line.startswith("#")]
    assert rows[0] == "step,loss,accuracy,seconds,diverged"
    assert rows[1].split(",")[2] == ""


def test_divergence_is_data(tmp_path, capsys):
    a = tmp_path / "a.csv"
    args = ["train", "--depth", "10", "--width", "16", "--batch", "20", "--activation", "relu", "--scale", "2"]
    args += ["--task", "teacher", "--optimizer", "sgd", "--lr", "10", "--steps", "500", "--csv", str(a)]
    code, _, err = run_cli(args, capsys)
    assert code == 0
    assert "diverged at step" in err
    text = a.read_text()
    assert "# diverged at step" in text
    df = pd.read_csv(a, comment="#")
    assert df["diverged"].iloc[-1] == 1 and df["step"].iloc[-1] < 499


def test_png_is_written(tmp_path, capsys):
    p = tmp_path / "loss.png"
    assert run_cli(["train", *NET, "--steps", "5", "--png", str(p)], capsys)[0] == 0
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--lr", "0"], "--lr"),
        (["--lr", "-1"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "11"], "--lr"),
        (["--momentum", "1"], "--momentum"),
        (["--clip", "-1"], "--clip"),
        (["--noise", "inf"], "--noise"),
        (["--steps", "0"], "--steps"),
        (["--log-every", "x"], "--log-every"),
        (["--task", "xor"], "--task"),
        (["--optimizer", "rmsprop"], "--optimizer"),
        (["--depth", "0"], "--depth"),
    ],
)
def test_bad_values_exit_2_naming_the_option(args, option, tmp_path, capsys):
    out = tmp_path / "a.csv"
    code, _, err = run_cli(["train", *args, "--csv", str(out)], capsys)
    assert code == 2
    assert err.startswith(f"depthlens: error: {option} ")
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_needs_an_output_and_names_the_memory_limit(capsys):
    code, _, err = run_cli(["train", "--steps", "1"], capsys)
    assert code == 2 and "--csv" in err
    code, _, err = run_cli(["train", "--depth", "1000", "--width", "1024", "--csv", "-"], capsys)
    assert code == 2 and "limit is 1 GiB" in err


def test_unwritable_path_exits_1_and_leaves_nothing(tmp_path, capsys):
    good = tmp_path / "a.csv"
    code, _, err = run_cli(["train", *NET, "--steps", "2", "--csv", str(good), "--npz", "/nonexistent/x.npz"], capsys)
    assert code == 1 and "/nonexistent/x.npz" in err
    assert not good.exists()
