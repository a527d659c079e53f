"""Architecture checks: the engine stays pure numpy, and the import-linter contracts hold on the installed layout."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The engine imports itself relatively: any absolute `depthlens` import is one of the UI.
FORBIDDEN = ("PySide6", "pyqtgraph", "depthlens", "app", "widgets", "PyQt5", "PyQt6")


def test_engine_sources_import_no_ui():
    for path in (ROOT / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_importing_the_engine_loads_no_qt():
    code = (
        "import sys, depthlens.engine, depthlens.engine.export; "
        "print(any(m.startswith(('PySide6','pyqtgraph')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_import_linter_contracts_hold(tmp_path):
    exe = pathlib.Path(sys.executable).with_name("lint-imports")
    if not exe.exists():  # import-linter is a lint extra; the AST test above still guards
        return
    tree = tmp_path / "lint"
    cmd = [sys.executable, "tools/lint_tree.py", str(tree), "--", str(exe), "--no-cache"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("engine is pure numpy", "layers: app -> widgets -> engine", "no import cycles"):
        assert name in out.stdout
    assert "3 kept, 0 broken" in out.stdout


def test_the_lint_tree_is_the_installed_layout(tmp_path):
    """tools/lint_tree.py lays app/ out as `depthlens`, engine/ as `depthlens.engine`, and so on."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import lint_tree
    finally:
        sys.path.remove(str(ROOT / "tools"))
    tree = lint_tree.build(tmp_path / "lint")
    pkg = tree / "depthlens"
    assert (pkg / "window.py").resolve() == ROOT / "app" / "window.py"
    assert (pkg / "engine" / "engine.py").resolve() == ROOT / "engine" / "engine.py"
    assert (pkg / "widgets" / "chart.py").resolve() == ROOT / "widgets" / "chart.py"
    assert {p.name for p in pkg.iterdir()} >= {p.name for p in (ROOT / "app").glob("*.py")}
    text = f"{pkg}/engine/x.py:1: error\n{pkg}/window.py:2: error\n"
    shown = lint_tree.repository_paths(text, tree, ROOT).replace(str(ROOT) + "/", "")
    assert shown == "engine/x.py:1: error\napp/window.py:2: error\n"
