"""`depthlens export --hist-csv/--spread-csv/--phase-csv/--jacobian-csv` and `depthlens theory`."""

from __future__ import annotations

import io
import math
import os
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from depthlens.cli import main
from depthlens.engine import Settings
from depthlens.engine.analysis import critical_scale, jacobian_spectrum, phase_diagram, spread

ROOT = pathlib.Path(__file__).resolve().parents[2]
SMALL = ["--depth", "6", "--width", "8", "--batch", "4", "--activation", "relu", "--scale", "1.4", "--seed", "5"]
SMALL_SETTINGS = Settings(depth=6, width=8, batch=4, activation="relu", scale=1.4, seed=5)


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def header(path):
    return [line for line in path.read_text().splitlines() if line.startswith("#")]


def test_all_four_csvs(tmp_path, capsys):
    paths = {k: tmp_path / f"{k}.csv" for k in ("hist", "spread", "phase", "jacobian")}
    args = ["export", *SMALL, "--seeds", "3"]
    for k, p in paths.items():
        args += [f"--{k}-csv", str(p)]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    assert out == "" and err == ""
    for k, p in paths.items():
        h = header(p)
        assert h[0].startswith("# depthlens ")
        assert "depth=6" in h[1] and "width=8" in h[1] and "seed=5" in h[1]
        assert f"analysis={'histogram' if k == 'hist' else k}" in h[2]
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in paths.values())  # no temp files left

    # spread: per quantity and layer p10, p50, p90 over the 3 seeds
    sp = pd.read_csv(paths["spread"], comment="#")
    assert list(sp.columns) == ["quantity", "layer", "p10", "p50", "p90"]
    assert len(sp) == 3 * 7 and "seeds=3" in header(paths["spread"])[2]
    ref = spread(SMALL_SETTINGS, seeds=3)
    got = sp[sp.quantity == "gradient_rms"].sort_values("layer")
    np.testing.assert_allclose(got.p50, ref.p50[1], rtol=1e-15)
    assert np.isnan(sp[(sp.quantity == "weight_grad_rms") & (sp.layer == 0)].p10).all()
    assert np.all(sp.p10.dropna() <= sp.p90.dropna())

    # phase: default grid 41 x 26 of relu: chi_1 = sigma_w2 / 2 exactly
    ph = pd.read_csv(paths["phase"], comment="#")
    assert list(ph.columns) == ["sigma_w2", "sigma_b2", "q_star", "chi_1", "xi"]
    assert len(ph) == 41 * 26
    assert ph.sigma_w2.min() == 0 and ph.sigma_w2.max() == 4 and ph.sigma_b2.max() == 0.5
    np.testing.assert_array_equal(ph.chi_1, ph.sigma_w2 / 2)
    assert np.isinf(ph[(ph.sigma_w2 == 3.0) & (ph.sigma_b2 > 0)].q_star).all()

    # jacobian: the singular values, decreasing
    jc = pd.read_csv(paths["jacobian"], comment="#")
    assert list(jc.columns) == ["index", "singular_value", "log10_singular_value"]
    np.testing.assert_allclose(jc.singular_value, jacobian_spectrum(SMALL_SETTINGS).singular_values, rtol=1e-15)

    # hist: every layer's counts (bins and non-finite rows) add up to B * n
    hs = pd.read_csv(paths["hist"], comment="#", keep_default_na=False, dtype={"bin": str})
    assert list(hs.columns) == ["quantity", "layer", "bin", "lower", "upper", "count", "inactive_fraction"]
    totals = hs.groupby(["quantity", "layer"])["count"].sum()
    assert len(totals) == 2 * 7 and (totals == 32).all()
    finite_bins = hs[~hs.bin.isin(["posinf", "neginf", "nan"])]
    lower = finite_bins.lower.astype(float)
    upper = finite_bins.upper.astype(float)
    assert (lower < upper).all() and (finite_bins["count"] > 0).all()
    assert set(hs[hs.layer == 0].inactive_fraction) == {""}


def test_phase_csv_matches_engine_and_grid_option(tmp_path, capsys):
    p = tmp_path / "p.csv"
    code, _, err = run_cli(["export", "--activation", "tanh", "--phase-grid", "5x3", "--phase-csv", str(p)], capsys)
    assert code == 0, err
    ph = pd.read_csv(p, comment="#")
    ref = phase_diagram("tanh", resolution=(5, 3))
    np.testing.assert_array_equal(ph.q_star.to_numpy().reshape(3, 5), ref.q_star)
    np.testing.assert_array_equal(ph.chi_1.to_numpy().reshape(3, 5), ref.chi_1)
    np.testing.assert_array_equal(ph.sigma_w2[:5], ref.sigma_w2)


def test_stdout_dash(capsys):
    code, out, _ = run_cli(["export", *SMALL, "--jacobian-csv", "-"], capsys)
    assert code == 0
    assert out.startswith("# depthlens ") and out.count("\n") == 3 + 1 + 8


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--seeds", "0"], "--seeds must be an integer from 1 to 256, got '0'"),
        (["--seeds", "many"], "--seeds must be an integer from 1 to 256"),
        (["--phase-grid", "1x5"], "--phase-grid must be NWxNB with each an integer from 2 to 2001"),
        (["--phase-grid", "abc"], "--phase-grid must be NWxNB"),
        (["--width", "600"], "--width too large for --jacobian-csv"),
        (["--depth", "201"], "--depth too large for --jacobian-csv"),
        (["--scale", "0"], "--scale must be a number > 0 and <= 32"),
    ],
)
def test_bad_options_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, args, needle):
    p = tmp_path / "x.csv"
    q = tmp_path / "y.csv"
    code, out, err = run_cli(["export", "--jacobian-csv", str(p), "--spread-csv", str(q), *args], capsys)
    assert code == 2
    assert needle in err and err.count("\n") == 1 and out == ""
    assert os.listdir(tmp_path) == []


def test_export_without_any_output_names_the_new_options(capsys):
    code, _, err = run_cli(["export", "--depth", "3"], capsys)
    assert code == 2 and "--hist-csv" in err and "--jacobian-csv" in err


def test_unwritable_path_exits_1_and_leaves_no_file(tmp_path, capsys):
    missing = tmp_path / "no" / "such" / "dir" / "h.csv"
    code, _, err = run_cli(["export", *SMALL, "--hist-csv", str(missing)], capsys)
    assert code == 1 and "cannot write" in err and err.count("\n") == 1
    assert not missing.exists() and os.listdir(tmp_path) == []
    # a directory as the target: the rename fails, the temporary file is removed
    target = tmp_path / "adir"
    target.mkdir()
    code, _, _ = run_cli(["export", *SMALL, "--phase-grid", "3x3", "--phase-csv", str(target)], capsys)
    assert code == 1 and os.listdir(tmp_path) == ["adir"] and os.listdir(target) == []


def parse(out):
    pairs = [line.split("=", 1) for line in out.strip().splitlines()]
    return [k for k, _ in pairs], dict(pairs)


def test_theory_tanh_reference(capsys):
    code, out, err = run_cli(
        [
            "theory",
            "--activation",
            "tanh",
            "--scale",
            str(math.sqrt(1.76)),
            "--bias-std",
            str(math.sqrt(0.05)),
            "--critical",
        ],
        capsys,
    )
    assert code == 0, err
    keys, kv = parse(out)
    assert keys == ["q_star", "chi_1", "xi", "critical_scale"]
    assert float(kv["q_star"]) == pytest.approx(0.57, abs=0.01)
    assert float(kv["chi_1"]) == pytest.approx(1.0, abs=0.01)
    assert float(kv["xi"]) > 100
    assert float(kv["critical_scale"]) ** 2 == pytest.approx(1.76, abs=0.01)
    assert float(kv["critical_scale"]) == critical_scale("tanh", math.sqrt(0.05))


def test_theory_relu_closed_forms(capsys):
    code, out, _ = run_cli(["theory", "--activation", "relu", "--scale", "1", "--critical"], capsys)
    assert code == 0
    keys, kv = parse(out)
    assert kv == {"q_star": "0", "chi_1": "0.5", "xi": repr(1 / math.log(2)), "critical_scale": repr(math.sqrt(2))}
    code, out, _ = run_cli(["theory", "--activation", "relu", "--scale", "2", "--bias-std", "0.1"], capsys)
    keys, kv = parse(out)
    assert keys == ["q_star", "chi_1", "xi"] and kv["q_star"] == "inf" and kv["chi_1"] == "2"


def test_theory_none_critical_scale(capsys):
    # issue 10: critical_scale and divergence_scale are printed only where they exist
    code, out, _ = run_cli(["theory", "--activation", "sigmoid", "--critical"], capsys)
    keys, _ = parse(out)
    assert code == 0 and keys == ["q_star", "chi_1", "xi"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scale", "0"], "--scale must be a number > 0 and <= 32, got 0.0"),
        (["--scale", "33"], "--scale must be a number > 0 and <= 32"),
        (["--scale", "x"], "--scale must be a number > 0 and <= 32, got 'x'"),
        (["--bias-std", "2"], "--bias-std must be a number from 0 to 1"),
        (["--activation", "softmax"], "--activation must be one of linear, relu"),
        (["--wat"], "unknown option --wat"),
    ],
)
def test_theory_bad_options(capsys, args, needle):
    code, out, err = run_cli(["theory", *args], capsys)
    assert code == 2 and needle in err and err.count("\n") == 1 and out == ""


def test_subprocess_theory_and_export(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "depthlens", "theory", "--activation", "tanh", "--scale", "1.2", "--critical"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    keys, kv = parse(r.stdout)
    assert keys == ["q_star", "chi_1", "xi", "critical_scale"] and float(kv["critical_scale"]) == pytest.approx(1.0)
    p = tmp_path / "s.csv"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "depthlens",
            "export",
            "--depth",
            "4",
            "--width",
            "4",
            "--seeds",
            "2",
            "--spread-csv",
            str(p),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(p, comment="#")) == 3 * 5
    r = subprocess.run(
        [sys.executable, "-m", "depthlens", "theory", "--scale", "-1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--scale" in r.stderr


def test_theory_gelu_example_finite_fixed_point_and_divergence_scale(capsys):
    # The example: the old iteration gave q_star=inf at s = 1.437, sigma_b = 0.3 and
    # reported the jump of q* as critical_scale=1.437.
    code, out, _ = run_cli(["theory", "--activation", "gelu", "--scale", "1.437", "--bias-std", "0.3"], capsys)
    assert code == 0
    _, kv = parse(out)
    assert float(kv["q_star"]) == pytest.approx(0.325, abs=1e-3)
    assert float(kv["chi_1"]) == pytest.approx(0.773, abs=1e-3)
    code, out, _ = run_cli(["theory", "--activation", "gelu", "--bias-std", "0.3", "--critical"], capsys)
    keys, kv = parse(out)
    assert keys == ["q_star", "chi_1", "xi", "divergence_scale"]  # no chi_1 = 1 crossing at a finite q*
    assert 1.437 < float(kv["divergence_scale"]) < 1.48
    # without a bias gelu's only critical point is s^2 = 4, and nothing else is printed
    code, out, _ = run_cli(["theory", "--activation", "gelu", "--critical"], capsys)
    keys, kv = parse(out)
    assert keys == ["q_star", "chi_1", "xi", "critical_scale"] and kv["critical_scale"] == "2"


@pytest.mark.parametrize("activation", ["linear", "relu", "leaky_relu", "tanh", "gelu"])
@pytest.mark.parametrize("scale", ["1e-200", "1e-300"])
def test_theory_tiny_scale_prints_key_values(capsys, activation, scale):
    code, out, err = run_cli(["theory", "--activation", activation, "--scale", scale, "--critical"], capsys)
    assert code == 0 and err == ""
    keys, kv = parse(out)
    assert keys[:3] == ["q_star", "chi_1", "xi"]
    assert float(kv["q_star"]) == 0.0 and float(kv["chi_1"]) == 0.0
    # xi = 1/|ln chi_1| with ln chi_1 = 2 ln s + ln E[phi'^2]: small but not 0
    assert 0 < float(kv["xi"]) < 2e-3


def test_export_tiny_scale_csv(capsys):
    code, out, err = run_cli(
        [
            "export",
            "--activation",
            "relu",
            "--scale",
            "1e-300",
            "--depth",
            "4",
            "--width",
            "3",
            "--dtype",
            "float64",
            "--csv",
            "-",
        ],
        capsys,
    )
    assert code == 0 and err == ""
    df = pd.read_csv(io.StringIO(out), comment="#")
    assert df["theory_activation_rms"][1] == pytest.approx(1e-300 * math.sqrt(0.5), rel=1e-12)
    assert df["theory_activation_rms"][2] == 0.0
