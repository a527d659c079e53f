"""The engine stays pure numpy: it never imports Qt, pyqtgraph or the UI packages."""

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


def test_import_linter_contract_holds():
    exe = pathlib.Path(sys.executable).with_name("lint-imports")
    if not exe.exists():  # import-linter is a lint extra; the AST test above still guards
        return
    out = subprocess.run([str(exe)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
