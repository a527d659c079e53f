"""`depthlens install-desktop` / `uninstall-desktop`: a launcher entry and icons (freedesktop).

Writes into the user's XDG data directory ($XDG_DATA_HOME, default ~/.local/share):

* `applications/depthlens.desktop` (Exec: the installed `depthlens` command),
* `icons/hicolor/scalable/apps/depthlens.svg` and `icons/hicolor/256x256/apps/depthlens.png`
  (rendered from the SVG now, so the two always agree).

Uninstall removes those files, and the folders on their paths that are then empty.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from depthlens.engine.export import atomic_write

from . import identity

COMMANDS = {"install-desktop": "add depthlens to the desktop's launcher", "uninstall-desktop": "remove that entry"}
MARKER = "X-Depthlens-Version"  # our entries carry it; uninstall leaves other files alone
PNG_SIZE = 256
RESERVED = " \t\n\"'\\><~|&;$*?#()`"  # Exec arguments holding one of these are quoted


def data_home() -> Path:
    """$XDG_DATA_HOME, or ~/.local/share when it is unset, empty or relative (XDG spec)."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    return Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"


def targets(root: Path) -> dict[str, Path]:
    """The files install-desktop writes under `root` (the XDG data directory)."""
    icons = root / "icons" / "hicolor"
    return {
        "entry": root / "applications" / f"{identity.DESKTOP_ID}.desktop",
        "svg": icons / "scalable" / "apps" / f"{identity.DESKTOP_ID}.svg",
        "png": icons / f"{PNG_SIZE}x{PNG_SIZE}" / "apps" / f"{identity.DESKTOP_ID}.png",
    }


def command_line() -> list[str]:
    """How to start this depthlens: the installed command, else `python -m <package>`."""
    here = sys.argv[0] if sys.argv else ""
    if os.path.basename(here) == "depthlens" and os.path.isfile(here):
        return [os.path.abspath(here)]  # keeps pipx's ~/.local/bin link, not the venv inside
    beside = Path(sys.executable).with_name("depthlens")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("depthlens")
    if found:
        return [os.path.abspath(found)]
    return [sys.executable, "-m", __package__ or "app"]


def exec_quote(arg: str) -> str:
    """One Exec argument, quoted as the Desktop Entry spec asks, then escaped as a string value."""
    arg = arg.replace("%", "%%")  # a literal percent sign, quoted or not
    if arg and not set(arg) & set(RESERVED):
        quoted = arg
    else:
        quoted = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return string_value(quoted)


def string_value(text: str) -> str:
    """`text` escaped as a desktop-entry string value (backslash, newline, tab, return)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def entry_text(command: list[str] | None = None) -> str:
    """The .desktop file (Desktop Entry Specification 1.4, what desktop-file-validate 0.26 knows)."""
    command = command or command_line()
    exec_line = " ".join(exec_quote(a) for a in command)
    # TryExec (a path, not quoted): the launcher hides the entry once that file is gone.
    try_exec = [f"TryExec={string_value(command[0])}"] if os.path.isabs(command[0]) else []
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=depthlens",
        "GenericName=Gradient lab",
        "Comment=Watch gradients vanish and explode in deep networks, layer by layer",
        f"Exec={exec_line}",
        *try_exec,
        f"Icon={identity.DESKTOP_ID}",
        "Terminal=false",
        "Categories=Education;Science;",
        "Keywords=neural network;deep learning;gradient;vanishing;exploding;",
        f"StartupWMClass={identity.APP_NAME}",
        "StartupNotify=true",
        f"{MARKER}={identity.version()}",
    ]
    return "\n".join(lines) + "\n"


def icon_png_bytes(size: int = PNG_SIZE) -> bytes:
    """The icon rendered from the SVG as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = identity.icon_image(size).save(buf, "PNG")
    buf.close()
    if not ok:
        raise OSError("could not encode the icon as PNG")
    return bytes(data.data())


def install(root: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Write the entry and the icons under `root`; return the files written (raises OSError)."""
    paths = targets(root or data_home())
    contents = {
        "svg": identity.icon_svg_bytes(),
        "png": icon_png_bytes(),
        "entry": entry_text(command).encode("utf-8"),  # last: the entry appears with its icon
    }
    written = []
    for key, data in contents.items():
        paths[key].parent.mkdir(parents=True, exist_ok=True)
        atomic_write(paths[key], data)
        written.append(paths[key])
    return written


def _ours(entry: Path) -> bool:
    try:
        return any(line.startswith(f"{MARKER}=") for line in entry.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return False


def uninstall(root: Path | None = None) -> list[Path]:
    """Remove what `install` wrote under `root` (an entry without our marker is kept)."""
    base = root or data_home()
    paths = targets(base)
    removed = []
    for key, path in paths.items():
        if not path.is_file() or (key == "entry" and not _ours(path)):
            continue
        path.unlink()
        removed.append(path)
        folder = path.parent
        while folder != base and folder.is_relative_to(base):
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break
            folder = folder.parent
    return removed


def add_parsers(sub) -> None:
    """The two sub-commands, with `--data-dir` (default: the XDG data directory)."""
    for name, what in COMMANDS.items():
        p = sub.add_parser(name, help=what)
        p.add_argument("--data-dir", metavar="DIR", help="instead of $XDG_DATA_HOME (default ~/.local/share)")


def run(ns: argparse.Namespace) -> int:
    """Run install-desktop or uninstall-desktop; print each file written or removed."""
    root = Path(ns.data_dir).expanduser().absolute() if ns.data_dir else data_home()
    try:
        if ns.command == "install-desktop":
            for path in install(root):
                print(f"wrote {path}")
            return 0
        removed = uninstall(root)
    except OSError as exc:
        where = exc.filename or root
        print(f"depthlens: error: cannot write {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for path in removed:
        print(f"removed {path}")
    if not removed:
        print(f"nothing to remove: no depthlens entry under {root}")
    return 0
