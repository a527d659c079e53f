"""`depthlens install-desktop` / `uninstall-desktop`: a valid freedesktop entry, icons, clean removal."""

from __future__ import annotations

import configparser
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage

from depthlens import desktop_entry, identity
from depthlens.cli import main

EXE = str(pathlib.Path(sys.executable).with_name("depthlens"))
VALIDATE = shutil.which("desktop-file-validate")
needs_validator = pytest.mark.skipif(
    VALIDATE is None, reason="desktop-file-validate missing (`make test` installs desktop-file-utils)"
)


def tree(root: pathlib.Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder under root."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def read_entry(path: pathlib.Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def unquote_exec(value: str) -> list[str]:
    """The Exec argument list, decoded as the Desktop Entry spec says (string escapes, then quoting)."""
    text = value.replace("\\\\", "\x00").replace("\\s", " ").replace("\\n", "\n").replace("\\t", "\t")
    text = text.replace("\x00", "\\")
    args, cur, i, quoted, started = [], "", 0, False, False
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\" and i + 1 < len(text) and text[i + 1] in '"`$\\':
                cur += text[i + 1]
                i += 1
            elif c == '"':
                quoted = False
            else:
                cur += c
        elif c == '"':
            quoted = started = True
        elif c == " ":
            if started:
                args.append(cur)
            cur, started = "", False
        else:
            cur += c
            started = True
        i += 1
    if started:
        args.append(cur)
    return [a.replace("%%", "%") for a in args]


def validate(path: pathlib.Path) -> str:
    out = subprocess.run([VALIDATE, str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "error:" not in out.stdout + out.stderr
    return out.stdout + out.stderr


@needs_validator
def test_installed_command_writes_a_valid_entry_and_the_icons(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    out = subprocess.run([EXE, "install-desktop"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    paths = desktop_entry.targets(tmp_path)
    assert paths["entry"] == tmp_path / "applications" / "depthlens.desktop"
    assert paths["svg"] == tmp_path / "icons/hicolor/scalable/apps/depthlens.svg"
    assert paths["png"] == tmp_path / "icons/hicolor/256x256/apps/depthlens.png"
    assert out.stdout.splitlines() == [f"wrote {paths[k]}" for k in ("svg", "png", "entry")]
    validate(paths["entry"])

    entry = read_entry(paths["entry"])
    assert entry["Type"] == "Application" and entry["Name"] == "depthlens"
    assert entry["Categories"] == "Education;Science;"
    assert entry["StartupWMClass"] == identity.APP_NAME == identity.DESKTOP_ID
    assert entry["Icon"] == "depthlens" and entry["Terminal"] == "false"
    assert unquote_exec(entry["Exec"]) == [EXE] and entry["TryExec"] == EXE
    ran = subprocess.run([*unquote_exec(entry["Exec"]), "--version"], capture_output=True, text=True, timeout=60)
    assert ran.stdout.startswith("depthlens ")

    assert paths["svg"].read_bytes() == identity.icon_svg_bytes()
    png = QImage(str(paths["png"]))
    assert (png.width(), png.height()) == (256, 256)
    assert png == identity.icon_image(256).convertToFormat(png.format())


@needs_validator
@pytest.mark.parametrize(
    "command",
    [
        ["/opt/my apps/depthlens"],
        ['/tmp/we"ird $dir/back\\slash/100%/depthlens', "--theme", "dark"],
        [sys.executable, "-m", "depthlens"],
    ],
)
def test_exec_quoting_round_trips_and_validates(tmp_path, command):
    path = tmp_path / "depthlens.desktop"
    path.write_text(desktop_entry.entry_text(command), encoding="utf-8")
    validate(path)
    entry = read_entry(path)
    assert unquote_exec(entry["Exec"]) == command
    assert entry["TryExec"].replace("\\\\", "\\") == command[0]


def test_the_window_is_matched_to_the_entry(qapp):
    saved = qapp.applicationName(), qapp.desktopFileName()
    identity.apply(qapp)
    try:
        entry = desktop_entry.entry_text(["/usr/bin/depthlens"])
        assert f"StartupWMClass={qapp.applicationName()}\n" in entry  # X11: WM_CLASS class = application name
        assert f"{qapp.desktopFileName()}.desktop" == desktop_entry.targets(pathlib.Path("/x"))["entry"].name
    finally:
        qapp.setApplicationName(saved[0])
        qapp.setDesktopFileName(saved[1])


def test_uninstall_removes_exactly_what_install_wrote(tmp_path, capsys):
    (tmp_path / "applications").mkdir()
    (tmp_path / "applications" / "other.desktop").write_text("[Desktop Entry]\nName=other\n")
    (tmp_path / "icons/hicolor/scalable/apps").mkdir(parents=True)
    (tmp_path / "icons/hicolor/scalable/apps/other.svg").write_text("<svg/>")
    before = tree(tmp_path)
    assert main(["install-desktop", "--data-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert len(tree(tmp_path)) == len(before) + 5  # 3 files, folders 256x256 and 256x256/apps
    assert main(["uninstall-desktop", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [f"removed {p}" for p in desktop_entry.targets(tmp_path).values()]
    assert tree(tmp_path) == before


def test_install_into_a_fresh_folder_then_uninstall_leaves_it_empty(tmp_path, capsys):
    root = tmp_path / "share"
    assert main(["install-desktop", "--data-dir", str(root)]) == 0
    assert main(["uninstall-desktop", "--data-dir", str(root)]) == 0
    assert tree(root) == {}
    assert main(["uninstall-desktop", "--data-dir", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"nothing to remove: no depthlens entry under {root}"


def test_uninstall_keeps_an_entry_it_did_not_write(tmp_path):
    entry = desktop_entry.targets(tmp_path)["entry"]
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nType=Application\nName=someone else's depthlens\nExec=/x\n")
    assert desktop_entry.uninstall(tmp_path) == []
    assert entry.is_file()


def test_the_default_is_the_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert desktop_entry.data_home() == tmp_path / "data"
    for ignored in ("", "relative/dir"):  # the XDG spec: unset, empty or relative -> ~/.local/share
        monkeypatch.setenv("XDG_DATA_HOME", ignored)
        assert desktop_entry.data_home() == tmp_path / ".local" / "share"


def test_an_unwritable_data_dir_exits_1_naming_it(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["install-desktop", "--data-dir", str(blocker / "share")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("depthlens: error: cannot write ") and str(blocker) in err
    assert blocker.read_text() == "not a folder"


def test_subcommand_rejects_unknown_options(capsys):
    assert main(["install-desktop", "--prefix", "/usr"]) == 2
    assert "unknown option --prefix" in capsys.readouterr().err
