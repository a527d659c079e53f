"""Residual connections and normalisation on every surface: CLI, presets, files, controls, readout, views."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import wait_shown

from depthlens.cli import main
from depthlens.engine import PRESETS, Engine, Settings
from depthlens.widgets.readout import describe

NEW_PRESETS = (
    "plain-relu-152",
    "resnet-relu-152",
    "resnet-relu-152-scaled",
    "layernorm-tanh-200",
    "batchnorm-relu-50",
    "resnet-layernorm-relu-152",
)
SMALL = Settings(depth=6, width=8, batch=4, activation="relu", scale=1.4)


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_presets_list_the_new_ones_one_line_each(capsys):
    code, out, _ = run_cli(["presets"], capsys)
    assert code == 0
    lines = out.strip().splitlines()
    for name in NEW_PRESETS:
        assert sum(line.split()[0] == name for line in lines) == 1, name
    assert PRESETS["plain-relu-152"].settings.depth == 152 and PRESETS["plain-relu-152"].settings.width == 256
    assert PRESETS["resnet-relu-152"].settings.residual == 1.0
    assert PRESETS["resnet-relu-152-scaled"].settings.residual_scaling == "sqrt_depth"
    assert PRESETS["layernorm-tanh-200"].settings.norm == "layer"
    assert PRESETS["batchnorm-relu-50"].settings.norm == "batch"
    assert PRESETS["resnet-layernorm-relu-152"].settings.norm == "layer"


def test_options_reach_csv_header_and_npz_config(tmp_path, capsys):
    csv_path, npz = tmp_path / "a.csv", tmp_path / "n.npz"
    args = ["export", "--depth", "4", "--width", "5", "--batch", "3", "--residual", "0.5",
            "--residual-scaling", "sqrt_depth", "--norm", "layer",
            "--csv", str(csv_path), "--npz", str(npz)]  # fmt: skip
    assert run_cli(args, capsys)[0] == 0
    header = csv_path.read_text().splitlines()[1]
    assert "residual=0.5" in header and "residual_scaling=sqrt_depth" in header and "norm=layer" in header
    with np.load(npz, allow_pickle=False) as z:
        cfg = json.loads(str(z["config"]))
    assert (cfg["residual"], cfg["residual_scaling"], cfg["norm"]) == (0.5, "sqrt_depth", "layer")


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--residual", "3"], "--residual must be a number from 0 to 2"),
     (["--residual", "nan"], "--residual"),
     (["--norm", "group"], "--norm must be one of none, layer, batch"),
     (["--residual-scaling", "log"], "--residual-scaling must be one of none, sqrt_depth")],
)  # fmt: skip
def test_bad_block_options_exit_2_with_one_line(args, needle, capsys, tmp_path):
    code, _, err = run_cli(["export", *args, "--csv", str(tmp_path / "x.csv")], capsys)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_sessions_keep_the_block_settings(tmp_path):
    from depthlens.session import Session, parse_session

    s = SMALL.replace(residual=0.7, residual_scaling="sqrt_depth", norm="batch")
    text = json.dumps(Session(s).to_dict())
    assert parse_session(text).settings == s
    old = json.loads(text)
    for key in ("residual", "residual_scaling", "norm"):
        del old["settings"][key]
    assert parse_session(json.dumps(old)).settings == SMALL  # a session from before: a plain net


def test_readout_names_the_regime():
    eng = Engine()
    texts = {}
    for name in ("resnet-relu-152", "resnet-relu-152-scaled", "resnet-layernorm-relu-152", "batchnorm-relu-50"):
        s = PRESETS[name].settings.replace(depth=20, width=16, batch=8)
        texts[name] = "\n".join(t for t, _ in describe(eng.compute(s)))
    assert "explodes" in texts["resnet-relu-152"] and "χ = 1 + α²·s²·E[φ'²]" in texts["resnet-relu-152"]
    assert "α = 1/√L = 0.224" in texts["resnet-relu-152-scaled"]
    assert "exp(c·√L)" in texts["resnet-relu-152-scaled"]
    assert "polynomial" in texts["resnet-layernorm-relu-152"] and "/(q+ε)" in texts["resnet-layernorm-relu-152"]
    assert "the bars are the truth" in texts["batchnorm-relu-50"] and "Yang et al. 2019" in texts["batchnorm-relu-50"]
    tanh = Settings(depth=20, width=16, activation="tanh", residual=1.0, residual_scaling="sqrt_depth")
    assert "bounded" in "\n".join(t for t, _ in describe(eng.compute(tanh)))
    plain = "\n".join(t for t, _ in describe(eng.compute(SMALL)))
    assert "Architecture" not in plain


def test_controls_request_residual_scaling_and_norm(qtbot, make_window):
    w = make_window(SMALL)
    c = w.controls
    steps = [
        (lambda: c.residual.slider.setValue(c.residual.slider_pos(1.0)), {"residual": 1.0}),
        (lambda: c.residual_scaling.setChecked(True), {"residual_scaling": "sqrt_depth"}),
        (lambda: c.norm.setCurrentText("layer"), {"norm": "layer"}),
    ]
    want = SMALL
    for action, change in steps:
        action()
        w.throttle.flush()
        want = want.replace(**change)
        assert wait_shown(qtbot, w, want).settings == want  # the request carries exactly this change
    assert "Architecture" in w.readout.plain_text()
    seen = []
    original = w.worker.compute

    def compute(settings, *a, **k):
        seen.append(settings)
        return original(settings, *a, **k)

    w.worker.compute = compute
    # Pushing a preset shows it in the controls without an echo.
    n = len(seen)
    w.set_settings(PRESETS["resnet-relu-152-scaled"].settings.replace(depth=20, width=16))
    assert c.residual_scaling.isChecked() and c.residual.spin.value() == 1.0 and c.norm.currentText() == "none"
    assert all(s.depth == 20 for s in seen[n:])


def test_phase_view_says_it_shows_the_plain_net_and_jacobian_refuses_batch_norm(qtbot, make_window):
    from test_analysis_docks import open_view

    w = make_window(SMALL)
    phase = open_view(qtbot, w, "phase")
    qtbot.waitUntil(lambda: phase.diagram is not None, timeout=20000)
    assert phase.plain_note.isHidden()
    res = SMALL.replace(residual=1.0, norm="layer")
    w.set_settings(res)
    qtbot.waitUntil(lambda: not phase.plain_note.isHidden(), timeout=20000)
    assert "plain net's phases" in phase.plain_note.text()
    w.set_settings(SMALL)
    qtbot.waitUntil(lambda: phase.plain_note.isHidden(), timeout=20000)
    jac = open_view(qtbot, w, "jacobian")
    w.set_settings(res)  # layer norm and a skip connection: a spectrum
    qtbot.waitUntil(lambda: jac.spectrum is not None and jac.spectrum.settings == res, timeout=20000)
    bn = SMALL.replace(norm="batch")
    w.set_settings(bn)
    qtbot.waitUntil(lambda: "per-sample Jacobian does not exist" in jac.message, timeout=20000)
    assert "Too large" not in jac.message
    w.set_settings(SMALL)
    qtbot.waitUntil(lambda: jac.spectrum is not None and jac.spectrum.settings == SMALL, timeout=20000)


def test_jacobian_csv_with_batch_norm_says_why_in_one_line(capsys, tmp_path):
    code, _, err = run_cli(["export", "--depth", "3", "--width", "4", "--norm", "batch",
                            "--jacobian-csv", str(tmp_path / "j.csv")], capsys)  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--jacobian-csv is not available with --norm batch" in err and "per-sample Jacobian" in err
    assert not (tmp_path / "j.csv").exists()
    code, out, _ = run_cli(["export", "--depth", "3", "--width", "4", "--norm", "layer", "--residual", "1",
                            "--jacobian-csv", "-"], capsys)  # fmt: skip
    assert code == 0 and "norm=layer" in out
