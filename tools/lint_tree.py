"""Lay the source tree out as it installs, one `depthlens` package, for mypy and import-linter.

Why: the repository keeps `app/`, `engine/`, `widgets/` and `resources/` at the top level,
and setuptools' `package-dir` maps them to `depthlens`, `depthlens.engine`, ... at install
time (an import hook, in an editable install). mypy and import-linter read files, not import
hooks: they would see `app.window` importing a `depthlens.widgets` they cannot find. This
script builds that layout from symbolic links (default `build/lint`), from the mapping in
pyproject.toml, so both tools check `depthlens.*` as it is imported:

    build/lint/depthlens/window.py  -> app/window.py      (every entry of app/)
    build/lint/depthlens/engine     -> engine/
    build/lint/depthlens/widgets    -> widgets/

    python tools/lint_tree.py [DIR]                # (re)build the tree, print DIR
    python tools/lint_tree.py DIR -- mypy ...      # and run a command, paths shown as in the repository

It is rebuilt on every run (`make lint`), so new modules are seen at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = {"__pycache__"}


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """Package name -> source directory, from `[tool.setuptools.package-dir]`."""
    config = tomllib.loads((root / "pyproject.toml").read_text())
    mapping = config["tool"]["setuptools"]["package-dir"]
    return {name: (root / path).resolve() for name, path in mapping.items()}


def build(dest: Path, root: Path = ROOT) -> Path:
    """Replace `dest` with the installed layout as symbolic links; return `dest`."""
    dirs = package_dirs(root)
    if dest.exists() or dest.is_symlink():
        shutil.rmtree(dest)
    for name in sorted(dirs, key=lambda n: n.count(".")):  # parents first
        parts = name.split(".")
        target = dest.joinpath(*parts)
        if len(parts) > 1:  # a subpackage of its own directory: link the directory
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                raise SystemExit(f"lint_tree: {name} clashes with a file of its parent package")
            target.symlink_to(dirs[name], target_is_directory=True)
            continue
        target.mkdir(parents=True)  # a top package: a real directory, one link per entry
        for entry in sorted(dirs[name].iterdir()):
            if entry.name not in SKIP:
                (target / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return dest


def repository_paths(text: str, dest: Path, root: Path = ROOT) -> str:
    """Rewrite paths into the tree (`build/lint/depthlens/engine/x.py`) as repository paths."""
    dirs = package_dirs(root)
    for name in sorted(dirs, key=lambda n: -n.count(".")):  # deepest first
        source = os.path.relpath(dirs[name], Path.cwd()) + os.sep
        for base in (str(dest), os.path.relpath(dest, Path.cwd())):  # absolute, then relative
            text = text.replace(os.path.join(base, *name.split(".")) + os.sep, source)
    return text


def main(argv: list[str]) -> int:
    """Build the tree; with `-- COMMAND...`, run it and show its output with repository paths."""
    command: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, command = argv[:i], argv[i + 1 :]
    dest = Path(argv[0]) if argv else ROOT / "build" / "lint"
    build(dest.resolve())
    if not command:
        print(dest)
        return 0
    path = [str(dest.resolve()), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    sys.stdout.write(repository_paths(proc.stdout, dest.resolve()))
    sys.stderr.write(repository_paths(proc.stderr, dest.resolve()))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
