"""Hostile inputs, kept as regression cases: files, devices, FIFOs, signals, broken stdout.

Everything that could hang runs in a subprocess with a timeout, so a regression fails
this test instead of freezing the suite.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from depthlens.cli import main
from depthlens.engine import Engine, Settings, fileio
from depthlens.session import Session, Store, parse_session, read_session_file
from depthlens.walkthrough import WalkthroughError, load_steps, parse_steps

ROOT = Path(__file__).resolve().parents[2]
CMD = [sys.executable, "-m", "depthlens"]  # the depthlens command, from this tree
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CRASH_STORE = b"[session]\njson=@Variant(\x00\x00\x00\x0b\x7f\xff\xff\xff)\n"  # aborted Qt's INI reader


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def env(tmp_path, **extra):
    e = dict(os.environ)
    e.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "xdg"), PYTHONPATH=str(ROOT))
    e.update(extra)
    return e


def depthlens(args, tmp_path, timeout=60, **kw):
    """Run the real command in a subprocess: (returncode, stdout bytes, stderr text)."""
    cmd = [*CMD, *args]
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env(tmp_path), cwd=tmp_path, **kw)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


# A GUI run in a subprocess: `depthlens ARGS`, then ACTION once the window is up.
GUI_DRIVER = r"""
import os, signal, sys
sys.argv = ["depthlens"]
from depthlens.main import make_app
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from depthlens import cli
from depthlens.window import MainWindow
action, args = sys.argv_extra = (os.environ["DL_ACTION"], os.environ["DL_ARGS"].split())
app = make_app()

def window():
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))

def act():
    w = window()
    if action == "close":
        w.close()
    elif action in ("term", "int"):
        os.kill(os.getpid(), signal.SIGTERM if action == "term" else signal.SIGINT)
    elif action == "npz-term":
        from depthlens.engine import Settings
        big = Settings(depth=300, width=1024, batch=4, init="gaussian", dtype="float32")
        w.set_settings(big)
        folder = os.path.dirname(os.environ["DL_NPZ"])
        def shown():  # the export saves the network of the shown result
            if w.result is not None and w.result.settings == big:
                w.export_npz(os.environ["DL_NPZ"])
                poll()
            else:
                QTimer.singleShot(50, shown)
        def poll():
            parts = [f for f in os.listdir(folder) if f.endswith(".part")]
            size = sum(os.path.getsize(os.path.join(folder, f)) for f in parts)
            if size > 20e6:
                print("PART", size, flush=True)
                os.kill(os.getpid(), signal.SIGTERM)
            else:
                QTimer.singleShot(20, poll)
        shown()
    elif action == "report":
        print("STATUS", w.statusBar().currentMessage(), flush=True)
        w.close()

QTimer.singleShot(int(os.environ.get("DL_AFTER_MS", "1500")), act)
sys.exit(cli.main(args))
"""


def gui(tmp_path, action, args=(), timeout=90, **extra):
    e = env(tmp_path, DL_ACTION=action, DL_ARGS=" ".join(args), **extra)
    proc = subprocess.run(
        [sys.executable, "-c", GUI_DRIVER], capture_output=True, timeout=timeout, env=e, cwd=tmp_path, text=True
    )
    return proc.returncode, proc.stdout, proc.stderr


def store_path(tmp_path) -> Path:
    return tmp_path / "xdg" / "depthlens" / "depthlens.conf"


# ---- the settings store -----------------------------------------------------------


def test_the_store_that_aborted_every_start_is_moved_aside_and_the_app_starts(tmp_path):
    path = store_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(CRASH_STORE)
    code, _, err = gui(tmp_path, "close")
    assert code == 0, err
    assert "moved aside" in err and "depthlens.conf.bad" in err
    assert (path.parent / "depthlens.conf.bad").read_bytes() == CRASH_STORE  # nothing lost
    assert parse_session(path.read_bytes()).settings == Settings()  # a fresh store was written
    code, _, err = gui(tmp_path, "close")  # and the next start is clean
    assert code == 0 and "moved aside" not in err


def test_a_fifo_as_the_store_neither_hangs_nor_is_opened(tmp_path):
    path = store_path(tmp_path)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    code, _, err = gui(tmp_path, "close", timeout=60)
    assert code == 0, err
    assert "not a regular file" in err
    assert stat.S_ISFIFO((path.parent / "depthlens.conf.bad").lstat().st_mode)


@pytest.mark.parametrize(
    "fault",
    ["garbage", "directory", "huge", "empty", "not utf-8", "symlink to a device", "dangling symlink", "ini list"],
)
def test_every_store_fault_is_reported_and_defaults_used(tmp_path, fault):
    path = tmp_path / "store.conf"
    if fault == "garbage":
        path.write_bytes(os.urandom(300))
    elif fault == "directory":
        path.mkdir()
    elif fault == "huge":
        path.write_bytes(b" " * (2 * 1024 * 1024))
    elif fault == "empty":
        path.write_bytes(b"")
    elif fault == "not utf-8":
        path.write_bytes(b"\xff\xfe{}")
    elif fault == "symlink to a device":
        path.symlink_to("/dev/zero")
    elif fault == "dangling symlink":
        path.symlink_to(tmp_path / "nowhere")
    elif fault == "ini list":
        path.write_bytes(b"[session]\njson=a, b, c\n")
    store = Store(path)
    session, message = store.load(Session(theme="dark"))
    assert session == Session(theme="dark")
    assert message is not None and "\n" not in message and "using defaults" in message


def test_a_store_written_by_version_0_1_is_migrated(tmp_path, qapp):
    from PySide6.QtCore import QSettings

    old = tmp_path / "old.conf"
    qs = QSettings(str(old), QSettings.Format.IniFormat)
    want = Session(Settings(depth=17, activation="tanh"), "dark", "gradients", 1.25)
    qs.setValue("session/json", want.to_json())
    qs.sync()
    del qs
    got, message = Store(old).load()
    assert message is None and got == want


def test_a_symlinked_store_never_writes_through_to_a_device(tmp_path):
    link = tmp_path / "store.conf"
    link.symlink_to("/dev/zero")
    store = Store(link)
    first = store.save(Session())
    assert first is not None and "not a regular file" in first
    assert store.save(Session()) is None  # reported once
    assert link.is_symlink() and os.readlink(link) == "/dev/zero"
    assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)


def test_an_unwritable_config_folder_is_reported_once(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "x").write_text("")
    blocker = folder / "depthlens"
    blocker.write_text("a file where the folder should be")
    store = Store(blocker / "depthlens.conf")
    message = store.check()
    assert message is not None and str(blocker / "depthlens.conf") in message
    assert store.save(Session()) is None  # the same problem is not said twice


def test_the_app_says_at_start_that_it_cannot_save_settings(tmp_path):
    (tmp_path / "xdg").write_text("a file where the config folder should be")
    code, _, err = gui(tmp_path, "close")
    assert code == 0, err
    assert err.count("Cannot save settings to") == 1  # at start, not again on exit


def test_session_version_must_be_the_integer_1():
    with pytest.raises(ValueError, match="version"):
        parse_session(json.dumps({"version": 1.0}))


# ---- files the user opens -------------------------------------------------------------


def test_session_option_on_a_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "s.json"
    os.mkfifo(fifo)
    code, _, err = gui(tmp_path, "close", ["--session", str(fifo)], timeout=60)
    assert code == 0 and "not a regular file" in err


def test_reading_a_fifo_session_or_steps_file_returns_at_once(tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    session, message = read_session_file(fifo)
    assert session == Session() and "not a regular file" in message
    with pytest.raises(WalkthroughError, match="not a regular file"):
        load_steps(fifo)
    assert time.monotonic() - t0 < 5


def test_read_regular_refuses_a_fifo_swapped_in_after_the_check(tmp_path, monkeypatch):
    path = tmp_path / "f"
    os.mkfifo(path)
    real_stat = os.stat
    regular = os.stat_result((stat.S_IFREG | 0o644, 0, 0, 1, 0, 0, 10, 0, 0, 0))
    # the pre-check is fooled into seeing a regular file; the FIFO is then opened
    # non-blocking and fstat tells the truth
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: regular if str(p) == str(path) else real_stat(p, *a, **k))
    t0 = time.monotonic()
    with pytest.raises(fileio.FileError, match="not a regular file"):
        fileio.read_regular(path, 1000)
    assert time.monotonic() - t0 < 5


def test_steps_file_markup_is_shown_as_text_and_bounded(qtbot):
    from depthlens.widgets.walkthrough_panel import WalkthroughPanel

    spec = {"version": 1, "steps": [{"title": "<img src='/tmp/fifo'>", "caption": "<img src='/tmp/fifo'> **bold**"}]}
    (step,) = parse_steps(json.dumps(spec))
    panel = WalkthroughPanel()
    qtbot.addWidget(panel)
    panel.show_step(0, 1, step.title, step.caption)
    assert "<img" not in panel.caption.text() and "&lt;img" in panel.caption.text()
    assert "<b>bold</b>" in panel.caption.text()
    assert panel.title.text() == "<img src='/tmp/fifo'>"  # plain text: shown, never loaded
    table = "<table>" + "<tr><td>x</td></tr>" * 20000 + "</table>"
    with pytest.raises(WalkthroughError, match="longer than"):
        parse_steps(json.dumps({"version": 1, "steps": [{"title": "t", "caption": table}]}))


# ---- writing: devices, FIFOs, symlinks, ownership, all or none --------------------------


@pytest.mark.skipif(not IS_ROOT, reason="mknod needs root")
def test_a_character_device_target_stays_a_device(tmp_path, capsys):
    dev = tmp_path / "null"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    code, _, err = run(["export", "--depth", "3", "--csv", str(dev), "--png", str(dev) + "2"], capsys)
    assert code == 0, err
    assert stat.S_ISCHR(dev.lstat().st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dl")]


@pytest.mark.skipif(not IS_ROOT, reason="mknod needs root")
def test_dev_null_itself_is_safe_now(capsys):
    before = os.stat("/dev/null")
    code, _, _ = run(["export", "--depth", "2", "--csv", "/dev/null"], capsys)
    after = os.stat("/dev/null")
    assert code == 0 and stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_a_fifo_target_is_streamed_not_replaced(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    time.sleep(0.2)
    code, _, err = depthlens(["export", "--depth", "4", "--csv", str(fifo)], tmp_path)
    out = reader.communicate(timeout=30)[0].decode()
    assert code == 0, err
    assert out.startswith("# depthlens") and stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_fifo_with_no_reader_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    code, _, err = depthlens(["export", "--depth", "4", "--csv", str(fifo)], tmp_path, timeout=60)
    assert code == 1 and "no reader" in err and str(fifo) in err


def test_a_symlink_target_is_followed_and_stays_a_symlink(tmp_path, capsys):
    real = tmp_path / "real.csv"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real.name)
    assert run(["export", "--depth", "3", "--csv", str(link)], capsys)[0] == 0
    assert link.is_symlink() and real.read_text().startswith("# depthlens")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


@pytest.mark.skipif(not IS_ROOT, reason="chown to another user needs root")
def test_overwriting_another_users_private_file_keeps_mode_and_owner(tmp_path, capsys):
    path = tmp_path / "theirs.csv"
    path.write_text("x")
    path.chmod(0o600)
    os.chown(path, 4321, 4321)
    assert run(["export", "--depth", "3", "--csv", str(path)], capsys)[0] == 0
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and (st.st_uid, st.st_gid) == (4321, 4321)


def test_a_directory_target_is_refused_naming_the_path(tmp_path, capsys):
    d = tmp_path / "folder"
    d.mkdir()
    code, _, err = run(["export", "--depth", "3", "--csv", str(d)], capsys)
    assert code == 1 and f"{d}: is a directory" in err and err.count("\n") == 1


def test_a_multi_file_export_writes_all_or_none(tmp_path, capsys):
    ok = tmp_path / "ok.csv"
    code, _, err = run(["export", "--depth", "3", "--csv", str(ok), "--npz", str(tmp_path / "no" / "x.npz")], capsys)
    assert code == 1 and "x.npz" in err
    assert not ok.exists() and not list(tmp_path.iterdir())


def test_a_failure_after_the_first_temp_removes_every_temp(tmp_path):
    def boom(fh):
        fh.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(fileio.FileError, match="No space left"):
        fileio.write_files([(tmp_path / "a", lambda fh: fh.write(b"a")), (tmp_path / "b", boom)])
    assert list(tmp_path.iterdir()) == []


def test_a_250_character_name_is_fine_and_errors_name_the_users_path(tmp_path, capsys):
    name = tmp_path / ("n" * 246 + ".csv")
    assert run(["export", "--depth", "2", "--csv", str(name)], capsys)[0] == 0 and name.exists()
    missing = tmp_path / "missing" / "out.csv"
    code, _, err = run(["export", "--depth", "2", "--csv", str(missing)], capsys)
    assert code == 1 and str(missing) in err and ".dl" not in err and ".part" not in err


@pytest.mark.parametrize("option", ["--npz", "--png", "--svg"])
def test_dash_means_standard_output_for_every_format(tmp_path, option):
    code, out, err = depthlens(["export", "--depth", "3", option, "-"], tmp_path)
    assert code == 0, err
    assert not (tmp_path / "-").exists()
    assert out[:4] in (b"PK\x03\x04", b"\x89PNG") or out.lstrip().startswith(b"<?xml")


def test_npz_to_a_pipe_loads(tmp_path):
    import io

    code, out, err = depthlens(["export", "--depth", "3", "--width", "5", "--npz", "-"], tmp_path)
    assert code == 0, err
    with np.load(io.BytesIO(out), allow_pickle=False) as z:
        assert z["W"].shape == (3, 5, 5)


# ---- standard output, signals ---------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["theory"], ["presets"], ["export", "--depth", "2", "--csv", "-"], ["--help"], ["theory", "--help"]]
)
def test_a_full_disk_on_stdout_exits_1_with_one_line(tmp_path, args):
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([*CMD, *args], stdout=full, stderr=subprocess.PIPE, env=env(tmp_path), timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.count("\n") == 1 and "standard output" in err, err
    assert "Traceback" not in err and "Exception ignored" not in err


@pytest.mark.parametrize("args", [["theory"], ["presets"], ["export", "--depth", "2", "--csv", "-"]])
def test_a_closed_stdout_exits_1_with_one_line(tmp_path, args):
    proc = subprocess.run(
        [*CMD, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env(tmp_path),
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.count("\n") == 1 and "standard output" in err, err


def test_sigterm_mid_export_leaves_no_part_file(tmp_path):
    out = tmp_path / "big.npz"
    proc = subprocess.Popen(
        [*CMD, "export", "--depth", "300", "--width", "1024", "--npz", str(out)],
        env=env(tmp_path),
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        parts = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
        if parts and parts[0].stat().st_size > 10e6:
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("the export never started writing")
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=30)[1].decode()
    assert proc.returncode == 143 and err.count("\n") == 1 and "terminated" in err
    assert list(tmp_path.glob("*.part")) == [] and list(tmp_path.glob(".dl*")) == [] and not out.exists()


@pytest.mark.parametrize(("action", "code"), [("term", 143), ("int", 130)])
def test_a_signal_in_the_window_saves_the_session_and_exits(tmp_path, action, code):
    rc, _, err = gui(tmp_path, action, ["--depth", "23"])
    assert rc == code, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert parse_session(store_path(tmp_path).read_bytes()).settings.depth == 23


def test_sigterm_during_a_window_npz_export_leaves_no_part_file(tmp_path):
    target = tmp_path / "out" / "net.npz"
    target.parent.mkdir()
    rc, out, err = gui(tmp_path, "npz-term", DL_NPZ=str(target), timeout=120)
    assert "PART" in out, err
    assert rc == 143, err
    assert list(target.parent.iterdir()) == []
    assert store_path(tmp_path).exists()  # the session was saved on the way out


# ---- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_an_exploding_relu_net_reports_no_false_zero_gradients(activation, dtype):
    r = Engine().compute(Settings(activation=activation, init="gaussian", scale=10, depth=1000, dtype=dtype))
    g, w = r.measured.gradient_rms, r.measured.weight_grad_rms
    first = int(np.nonzero(~np.isfinite(r.measured.activation_rms))[0][0])
    assert first == (45 if dtype == "float32" else 365)
    assert not (g == 0).any() and not (w[1:] == 0).any()  # no exact zeros anywhere
    # below the overflow every layer the NaN reaches is flagged, none reads as a number
    assert np.isnan(g[:-1]).all() and (r.measured.gradient_nonfinite[:-1] > 0).all()
    assert (r.measured.nonfinite_fraction > 0).all()


def test_an_overflowing_weight_gradient_is_counted():
    r = Engine().compute(Settings(activation="linear", init="identity", scale=10, depth=60, dtype="float32"))
    w = r.measured.weight_grad_rms
    inf_rows = np.nonzero(np.isinf(w))[0]
    assert inf_rows.size > 0
    assert (r.measured.nonfinite_fraction[inf_rows] > 0).all()


def test_the_chart_names_the_layer_and_the_cause(qtbot):
    from depthlens.engine.health import overflow_label
    from depthlens.widgets.chart import LayerChart

    r = Engine().compute(Settings(activation="relu", init="gaussian", scale=10, depth=100, dtype="float32"))
    assert overflow_label(r, "gradient_rms", 99) == (
        "gradient NaN at layer 99 and below, after the activations overflowed at layer 45"
    )
    chart = LayerChart()
    qtbot.addWidget(chart)
    chart.animation_ms = 0
    chart.set_result(r, animate=False)
    texts = [lab.textItem.toPlainText() for lab in chart._labels if lab.isVisible()]
    assert any("after the activations overflowed at layer 45" in t for t in texts)
    assert not any("underflow" in t for t in texts)
    chart.stop()


def test_spread_band_of_an_overflowed_net_warns_nothing(qtbot, recwarn):
    import warnings

    from depthlens.engine.spread import spread
    from depthlens.widgets.chart import LayerChart
    from depthlens.widgets.spread_band import SpreadBand

    s = Settings(activation="relu", init="gaussian", scale=10, depth=80, width=16, batch=4, dtype="float32")
    chart = LayerChart()
    qtbot.addWidget(chart)
    chart.animation_ms = 0
    chart.set_result(Engine().compute(s), animate=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        overlay = SpreadBand(chart)
        overlay.set_spread(spread(s, seeds=3))
        for view in ("activations", "gradients", "both", "weight_gradients"):
            chart.set_view(view)
            overlay.redraw()
    chart.stop()


# ---- command-line edges ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["export", "--depth", "١٢", "--csv", "x.csv"], "--depth must be an integer from 1 to 1000, got '١٢'"),
        (["export", "--depth", "1_0", "--csv", "x.csv"], "--depth must be an integer from 1 to 1000, got '1_0'"),
        (["export", "--scale", "1_0.5", "--csv", "x.csv"], "--scale must be"),
        (["export", "--scale", "٣", "--csv", "x.csv"], "--scale must be"),
        (["export", "--scale", "nan", "--csv", "x.csv"], "--scale must be"),
        (["export", "--size", "６４x６４", "--png", "x.png"], "--size must be"),
        (["export", "--seeds", "٣", "--spread-csv", "x.csv"], "--seeds must be"),
    ],
)
def test_numbers_are_ascii_decimal_only(args, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(args, capsys)
    assert code == 2 and needle in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_huge_value_is_echoed_truncated(capsys):
    code, _, err = run(["export", "--depth", "9" * 5000, "--csv", "-"], capsys)
    assert code == 2 and len(err) < 200 and "..." in err


def test_subcommand_option_errors_list_that_subcommands_options(capsys):
    code, _, err = run(["theory", "--depth", "5"], capsys)
    assert code == 2 and "unknown option --depth for `depthlens theory`" in err
    allowed = err.split("allowed options:")[1]
    assert "--depth" not in allowed and "--activation" in allowed and "--critical" in allowed


def test_long_jobs_show_progress_on_a_terminal_only(tmp_path):
    import pty
    import select

    # a grid that takes well over the one-second delay, stopped once progress was seen
    args = [*CMD, "export", "--phase-grid", "2001x2001", "--phase-csv", str(tmp_path / "p.csv")]
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stderr=slave, stdout=subprocess.DEVNULL, env=env(tmp_path))
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while b"%" not in seen and time.monotonic() < deadline and proc.poll() is None:
            if select.select([master], [], [], 0.5)[0]:
                seen += os.read(master, 65536)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        os.close(master)
    tty_err = seen.decode("utf-8", "replace")
    assert "phase diagram:" in tty_err and "%" in tty_err and "left" in tty_err
    piped = subprocess.run(
        [*CMD, "export", "--phase-grid", "401x401", "--phase-csv", str(tmp_path / "q.csv")],
        capture_output=True,
        env=env(tmp_path),
        timeout=300,
    )
    assert piped.returncode == 0 and piped.stderr == b""  # nothing when stderr is not a terminal


# ---- regression cases from the second hostile pass ----------------------------------------


@pytest.mark.skipif(not IS_ROOT, reason="mknod needs root")
def test_npz_to_a_character_device(tmp_path, capsys):
    dev = tmp_path / "null"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    code, _, err = run(["export", "--depth", "3", "--width", "4", "--batch", "2", "--npz", str(dev)], capsys)
    assert code == 0, err
    assert stat.S_ISCHR(dev.lstat().st_mode)


def test_npz_to_stdout_opened_for_append_loads(tmp_path):
    import io

    out = tmp_path / "a.npz"
    out.write_bytes(b"")
    with open(out, "ab") as fh:
        proc = subprocess.run(
            [*CMD, "export", "--depth", "3", "--width", "4", "--batch", "2", "--npz", "-"],
            stdout=fh,
            stderr=subprocess.PIPE,
            env=env(tmp_path),
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    with np.load(io.BytesIO(out.read_bytes()), allow_pickle=False) as z:
        assert z["W"].shape == (3, 4, 4)


def test_npz_into_a_pipe_closed_early_is_one_line(tmp_path):
    proc = subprocess.Popen(
        [*CMD, "export", "--depth", "300", "--width", "256", "--batch", "2", "--npz", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(tmp_path),
    )
    proc.stdout.read(1000)
    proc.stdout.close()
    err = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == 1 and err.count("\n") == 1 and "closed the pipe" in err, err


def test_a_failed_rename_rolls_back_the_files_already_replaced(tmp_path, monkeypatch):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("OLD A")
    real_replace = os.replace

    def replace(src, dst):
        if os.fspath(dst).endswith("b.csv"):
            raise OSError(1, "Operation not permitted")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(fileio.FileError, match=r"b\.csv: Operation not permitted"):
        fileio.write_files([(a, lambda fh: fh.write(b"NEW A")), (b, lambda fh: fh.write(b"NEW B"))])
    monkeypatch.setattr(os, "replace", real_replace)
    assert a.read_text() == "OLD A" and not b.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_the_same_file_through_a_symlinked_folder_is_named_twice(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    (tmp_path / "dl").symlink_to("d")
    same = [str(tmp_path / "d" / "s.csv"), str(tmp_path / "dl" / "s.csv")]
    args = ["export", "--depth", "3", "--csv", same[0], "--hist-csv", same[1]]
    code, _, err = run(args, capsys)
    assert code == 1 and "named twice" in err
    assert list((tmp_path / "d").iterdir()) == []


@pytest.mark.parametrize("option", ["--csv", "--npz", "--png", "--hist-csv"])
def test_an_empty_path_is_a_usage_error(option, capsys):
    code, _, err = run(["export", option, ""], capsys)
    assert code == 2 and f"{option} needs a file name" in err


def test_a_fifo_with_no_reader_fails_before_the_computation(tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    code, _, err = depthlens(
        ["export", "--depth", "1000", "--width", "512", "--batch", "256", "--csv", str(fifo)], tmp_path
    )
    assert code == 1 and "no reader" in err and time.monotonic() - t0 < 10


@pytest.mark.skipif(not IS_ROOT, reason="mknod needs root")
def test_a_device_without_a_driver_is_not_called_a_fifo(tmp_path, capsys):
    dev = tmp_path / "nodev"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(240, 0))
    code, _, err = run(["export", "--depth", "3", "--csv", str(dev)], capsys)
    assert code == 1 and "FIFO" not in err and "no device" in err


def test_a_missing_file_to_read_says_no_such_file(tmp_path):
    _, message = read_session_file(tmp_path / "missing.json")
    assert "no such file" in message and "folder" not in message


def test_long_choice_values_and_control_characters_are_not_echoed_raw(capsys):
    code, _, err = run(["export", "--theme", "x" * 5000, "--csv", "a.csv"], capsys)
    assert code == 2 and len(err) < 300
    code, _, err = run(["export", "--csv", "nodir\nx/\x1b[31mRED.csv"], capsys)
    assert code == 1 and err.count("\n") == 1 and "\x1b" not in err


def test_a_negative_looking_value_gets_a_helpful_message(capsys):
    code, _, err = run(["export", "--scale", "-1e3", "--csv", "x.csv"], capsys)
    assert code == 2 and "--scale=VALUE" in err


def test_a_store_corrupt_twice_keeps_both_bad_copies(tmp_path):
    path = tmp_path / "depthlens.conf"
    path.write_text("first")
    Store(path).load()
    path.write_text("second")
    Store(path).load()
    assert (tmp_path / "depthlens.conf.bad").read_text() == "first"
    assert (tmp_path / "depthlens.conf.bad.1").read_text() == "second"


def test_a_fifo_store_gives_one_message_not_a_false_cannot_save(tmp_path):
    path = store_path(tmp_path)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    code, _, err = gui(tmp_path, "close")
    assert code == 0 and "moved aside" in err and "Cannot save" not in err


def test_a_bad_session_option_keeps_the_remembered_session(tmp_path):
    path = store_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(Session(Settings(depth=7), "dark").to_json())
    code, _, err = gui(tmp_path, "close", ["--session", str(tmp_path / "typo.json")])
    assert code == 0 and "no such file" in err
    kept = parse_session(path.read_bytes())
    assert kept.settings.depth == 7 and kept.theme == "dark"


@pytest.mark.parametrize(
    ("step", "needle"),
    [
        ({"preset": []}, "preset must be"),
        ({"preset": {}}, "preset must be"),
        ({"settings": {"scale": 10**400}}, "scale"),
        ({"checks": [{"column": "activation_rms", "row": 1, "op": ">", "value": 10**400}]}, "finite number"),
        ({"checks": [{"column": "activation_rms", "row": 1, "op": "close", "value": 1, "rtol": 10**400}]}, "finite"),
        (
            {"settings": {"depth": 5}, "checks": [{"column": "activation_rms", "row": 900, "op": ">", "value": 1}]},
            "outside the network",
        ),
        (
            {
                "settings": {"depth": 5},
                "checks": [{"column": "activation_rms", "ratio": [0, 9], "op": ">", "value": 1}],
            },
            "outside the network",
        ),
        ({"caption": "x\n" * 999}, "line breaks"),
    ],
)
def test_bad_steps_are_one_line_errors(step, needle):
    spec = {"title": "t", "caption": "c", **step}
    with pytest.raises(WalkthroughError, match=needle) as exc:
        parse_steps(json.dumps({"version": 1, "steps": [spec]}))
    assert "\n" not in str(exc.value) and len(str(exc.value)) < 300


@pytest.mark.parametrize("version", [1.0, True, "1"])
def test_steps_version_must_be_the_integer_1(version):
    with pytest.raises(WalkthroughError, match="version"):
        parse_steps(json.dumps({"version": version, "steps": [{"title": "t", "caption": "c"}]}))


def test_a_caption_of_one_long_word_wraps(qtbot):
    from depthlens.widgets.walkthrough_panel import WalkthroughPanel

    panel = WalkthroughPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show_step(0, 1, "T" * 120, "W" * 2000)
    panel.show()
    assert panel.minimumSizeHint().width() < 1000 and panel.sizeHint().width() < 1000


def test_a_linear_net_reports_its_finite_gradients_above_an_activation_overflow():
    s = Settings(activation="linear", init="gaussian", scale=10, depth=1000, width=32, batch=16, dtype="float64")
    r = Engine().compute(s)
    acts_bad = int(np.nonzero(~np.isfinite(r.measured.activation_rms))[0][0])
    g = r.measured.gradient_rms
    # g_{l-1} = g_l W_l does not depend on the activations (NaN from layer ~308 on): the
    # gradients stay finite from the output down to where they overflow themselves (~10^308)
    first_finite = int(np.nonzero(np.isfinite(g))[0][0])
    assert acts_bad < first_finite - 300
    assert np.isfinite(g[first_finite:]).all() and np.isfinite(g).sum() == 310


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_a_long_phase_grid_promptly(tmp_path, sig):
    proc = subprocess.Popen(
        [*CMD, "export", "--phase-grid", "2001x2001", "--phase-csv", str(tmp_path / "p.csv")],
        env=env(tmp_path),
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(3)  # well into the grid
    t0 = time.monotonic()
    proc.send_signal(sig)
    err = proc.communicate(timeout=60)[1].decode()
    assert time.monotonic() - t0 < 2.0, err
    assert proc.returncode == 128 + sig and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == [tmp_path / "xdg"] or list(tmp_path.iterdir()) == []
