"""tools/namespace.py rewrites a copy of this tree completely, cleanly and only once."""

from __future__ import annotations

import compileall
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "namespace.py"
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "docs", "shots"
)


def run_tool(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, timeout=300)


def test_the_tool_applies_to_a_copy_of_the_tree_once_and_leaves_nothing_behind(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=IGNORE)
    first = run_tool(tree)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "problem" not in first.stderr
    again = run_tool(tree)
    assert again.returncode == 0 and again.stdout.startswith("depthlens namespace: 0 file(s) changed"), again.stdout
    assert run_tool(tree, "--check").returncode == 0

    assert compileall.compile_dir(tree, quiet=1, force=True)
    config = (tree / "pyproject.toml").read_text()
    assert 'depthlens = "depthlens.launch:main"' in config and '"depthlens.engine" = "engine"' in config
    sources = [p for d in ("app", "widgets", "engine", "tests", "bench") for p in (tree / d).rglob("*.py")]
    old_import = re.compile(r"^\s*(from|import)\s+(app|engine|widgets|resources)\b", re.M)
    assert [str(p) for p in sources if old_import.search(p.read_text())] == []
    assert "from depthlens.launch import main" in (tree / "app" / "__main__.py").read_text()
    assert 'sys.modules.get("depthlens.errors")' in (tree / "tests" / "conftest.py").read_text()
    assert 'files("depthlens.resources")' in (tree / "app" / "walkthrough.py").read_text()
    assert "from depthlens.engine import Engine, Settings" in (tree / "README.md").read_text()
    assert 'path = tmp_path / "app.csv"' in (tree / "tests" / "app" / "test_exports.py").read_text()  # not a module


def test_check_says_whether_it_is_applied(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.setuptools]\npackages = ["app"]\n')
    out = run_tool(tmp_path, "--check")
    assert out.returncode == 1 and "not applied" in out.stdout
