"""Install depthlens under one `depthlens` package name; the repository's top level stays as it is.

Today `pip install .` puts four top-level packages named `app`, `engine`, `widgets` and
`resources` into site-packages. After this script they install as

    depthlens            <- app/        (so `python -m depthlens` runs app/__main__.py)
    depthlens.engine     <- engine/
    depthlens.widgets    <- widgets/
    depthlens.resources  <- resources/

through setuptools' `package-dir` mapping, and every import in the tree says so
(`from depthlens.engine import Engine, Settings`). The change touches every file, so it is
applied once, after the branches have merged (issue 15):

    python tools/namespace.py            # rewrite the tree in place; run it again: no change
    python tools/namespace.py --check    # exit 0 if applied, 1 if not (writes nothing)
    make test && make lint               # make re-installs the editable package (pyproject changed)

What it rewrites (standard library only; idempotent, it matches only the old names):

* pyproject.toml: the `depthlens` script, `packages` + `package-dir`, package data, ruff's
  first-party name, import-linter (the contract keeps checking the engine's source: it may
  import neither Qt, pyqtgraph nor anything of `depthlens` outside itself);
* in app/ widgets/ engine/ tests/ bench/: `from app|engine|widgets|resources... import`,
  `import engine` and the like, string literals naming a module of the tree
  ("app.worker", "engine.export.x"), `importlib.resources.files("resources")`,
  `[python, "-m", "app"]` and "python -m app" in text;
* README.md: the same imports in examples, `python -m app`, one line on the installed layout;
* tests/test_architecture.py: the engine's imports checked against the new names.

It then lets ruff re-sort the imports (`ruff check --select I --fix`) and lists anything left
that still names the old packages; exit status 1 if something could not be rewritten.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = {"app": "depthlens", "engine": "depthlens.engine", "widgets": "depthlens.widgets"}
PACKAGES["resources"] = "depthlens.resources"
CODE_DIRS = ("app", "widgets", "engine", "tests", "bench")
OLD = "|".join(PACKAGES)

FROM_RE = re.compile(rf"^(?P<indent>[ \t]*)from[ \t]+(?P<mod>(?:{OLD})(?:\.\w+)*)[ \t]+import\b", re.M)
IMPORT_RE = re.compile(rf"^(?P<indent>[ \t]*)import[ \t]+(?P<names>(?:{OLD})\b[^\n#;]*)", re.M)
STRING_RE = re.compile(rf"""(?P<q>["'])(?P<mod>(?:{OLD})\.[A-Za-z_][\w.]*)(?P=q)""")
FILES_RE = re.compile(rf"""files\((?P<q>["'])(?P<mod>{OLD})(?P=q)\)""")
RUN_M_RE = re.compile(r"""(?P<q>["'])-m(?P=q)(?P<sep>,\s*)(?P<q2>["'])app(?P=q2)""")
TEXT_RE = re.compile(r"python -m app\b")

PYPROJECT_EDITS = [
    ('depthlens = "app.launch:main"', 'depthlens = "depthlens.launch:main"'),
    (
        'packages = ["app", "widgets", "engine", "resources"]\n',
        "# Installed as one package: app/ is `depthlens` itself, the others are its subpackages.\n"
        'packages = ["depthlens", "depthlens.engine", "depthlens.widgets", "depthlens.resources"]\n'
        "[tool.setuptools.package-dir]\n"
        '"depthlens" = "app"\n'
        '"depthlens.engine" = "engine"\n'
        '"depthlens.widgets" = "widgets"\n'
        '"depthlens.resources" = "resources"\n',
    ),
    ('\nresources = ["*.json"', '\n"depthlens.resources" = ["*.json"'),
    (
        '[tool.ruff.lint.pydocstyle]\nconvention = "numpy"\n',
        '[tool.ruff.lint.pydocstyle]\nconvention = "numpy"\n\n'
        '[tool.ruff.lint.isort]\nknown-first-party = ["depthlens"]\n',
    ),
    # import-linter reads the source tree (the current directory is on its path): the engine's
    # own imports are relative, so anything absolute from `depthlens` is a forbidden import.
    ('root_packages = ["engine", "app", "widgets"]', 'root_packages = ["engine"]'),
    (
        'forbidden_modules = ["PySide6", "pyqtgraph", "app", "widgets"]',
        'forbidden_modules = ["PySide6", "pyqtgraph", "depthlens", "app", "widgets"]',
    ),
]

# Text that later work put in place of an edit's result: that edit counts as applied.
# (Issue 9: import-linter checks the installed `depthlens` layout; see tools/lint_tree.py.)
SUPERSEDED = {
    'root_packages = ["engine", "app", "widgets"]': 'root_packages = ["depthlens"]',
    'forbidden_modules = ["PySide6", "pyqtgraph", "app", "widgets"]': 'source_modules = ["depthlens.engine"]',
}

FILE_EDITS = {
    "tests/test_architecture.py": [
        (
            'FORBIDDEN = ("PySide6", "pyqtgraph", "app", "widgets", "PyQt5", "PyQt6")',
            '# The engine imports itself relatively: any absolute `depthlens` import is one of the UI.\n'
            'FORBIDDEN = ("PySide6", "pyqtgraph", "depthlens", "app", "widgets", "PyQt5", "PyQt6")',
        ),
        (
            """    code = "import sys, engine, engine.export; print(any(m.startswith(('PySide6','pyqtgraph')) """
            """for m in sys.modules))"\n""",
            "    code = (\n"
            '        "import sys, depthlens.engine, depthlens.engine.export; "\n'
            """        "print(any(m.startswith(('PySide6','pyqtgraph')) for m in sys.modules))"\n"""
            "    )\n",
        ),
    ],
    "README.md": [
        (
            "\n## Benchmarks\n",
            "* Installed (`pipx install .`, `pip install .`), it is one package: `depthlens` (from `app/`)\n"
            "  with `depthlens.engine`, `depthlens.widgets` and `depthlens.resources`; nothing named `app` or\n"
            "  `engine` lands in site-packages (`tests/test_wheel_install.py` checks it, next to a package\n"
            "  named `app`).\n\n## Benchmarks\n",
        ),
    ],
}


def new_name(dotted: str) -> str:
    """`engine.export` -> `depthlens.engine.export`, `app.cli` -> `depthlens.cli`."""
    first, _, rest = dotted.partition(".")
    return PACKAGES[first] + (f".{rest}" if rest else "")


def names_module(root: Path, dotted: str) -> bool:
    """True if `dotted` (e.g. app.worker.X, not app.csv) starts with a module of the tree."""
    parts = dotted.split(".")
    base = root / parts[0] / parts[1]
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def rewrite_import(match: re.Match, notes: list[str], where: str) -> str:
    """`import engine` -> `from depthlens import engine`, `import app` -> `import depthlens as app`."""
    indent, out = match["indent"], []
    for item in (i.strip() for i in match["names"].rstrip().split(",")):
        name, _, alias = (p.strip() for p in item.partition(" as "))
        top = name.split(".")[0]
        if top not in PACKAGES:
            out.append(f"import {item}")
        elif alias:
            out.append(f"import {new_name(name)} as {alias}")
        elif name == "app":
            out.append("import depthlens as app")
        elif "." not in name:
            out.append(f"from depthlens import {name}")
        else:
            out.append(f"import {new_name(name)}")
            notes.append(f"{where}: `import {name}` became `import {new_name(name)}`: rename its uses")
    return "\n".join(indent + line for line in out)


def rewrite_text(text: str, root: Path, *, code: bool, notes: list[str], where: str) -> str:
    """Apply the name rewrites to one file's text (code=False: imports and `python -m` only)."""
    text = FROM_RE.sub(lambda m: f"{m['indent']}from {new_name(m['mod'])} import", text)
    text = TEXT_RE.sub("python -m depthlens", text)
    if not code:
        return text
    text = IMPORT_RE.sub(lambda m: rewrite_import(m, notes, where), text)
    text = STRING_RE.sub(lambda m: m["q"] + new_name(m["mod"]) + m["q"] if names_module(root, m["mod"]) else m[0], text)
    text = FILES_RE.sub(lambda m: f"files({m['q']}{new_name(m['mod'])}{m['q']})", text)
    return RUN_M_RE.sub(lambda m: f"{m['q']}-m{m['q']}{m['sep']}{m['q2']}depthlens{m['q2']}", text)


def apply_edits(text: str, edits: list[tuple[str, str]], where: str, problems: list[str]) -> str:
    """Exact replacements; one already applied is skipped, one that matches nothing is reported."""
    for old, new in edits:
        if new in text or (old in SUPERSEDED and SUPERSEDED[old] in text):
            continue
        if old not in text:
            problems.append(f"{where}: expected text not found (edit it by hand): {old.strip()[:70]!r}")
            continue
        text = text.replace(old, new, 1)
    return text


def leftovers(root: Path, files: list[Path]) -> list[str]:
    """Lines that still name the old packages."""
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        code = path.suffix == ".py"
        patterns = [FROM_RE, TEXT_RE] + ([IMPORT_RE, FILES_RE, RUN_M_RE] if code else [])
        for pattern in patterns:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(root)}:{line}: {m[0].strip()}")
        if code:
            for m in STRING_RE.finditer(text):
                if names_module(root, m["mod"]):
                    found.append(f"{path.relative_to(root)}: string {m[0]}")
    return found


def is_applied(root: Path) -> bool:
    """True when pyproject.toml maps `depthlens` to app/."""
    return '"depthlens" = "app"' in (root / "pyproject.toml").read_text(encoding="utf-8")


def find_ruff(root: Path) -> list[str] | None:
    """The ruff command: the tree's .venv, this Python's, or the PATH's."""
    venv = root / ".venv" / "bin" / "ruff"
    if venv.is_file():
        return [str(venv)]
    if subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode == 0:
        return [sys.executable, "-m", "ruff"]
    found = shutil.which("ruff")
    return [found] if found else None


def sort_imports(root: Path, problems: list[str]) -> str:
    """Let ruff re-sort the rewritten imports, then report lines the longer names made too long."""
    ruff = find_ruff(root)
    if ruff is None:
        return "ruff not found: run `ruff check --select I --fix .` to re-sort the imports"
    sort = subprocess.run([*ruff, "check", "--select", "I", "--fix", "--quiet", *CODE_DIRS], cwd=root,
                          capture_output=True, text=True)
    if sort.returncode != 0:
        problems.append(f"ruff could not sort the imports: {sort.stdout}{sort.stderr}")
    long = subprocess.run([*ruff, "check", "--select", "E501", "--output-format", "concise", "--quiet", *CODE_DIRS],
                          cwd=root, capture_output=True, text=True)
    problems += [f"wrap by hand: {line}" for line in long.stdout.splitlines() if "E501" in line]
    return "imports re-sorted with ruff"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the tree at ROOT (default: this script's repository)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--check", action="store_true", help="only say whether the change is applied")
    parser.add_argument("--no-ruff", action="store_true", help="do not re-sort imports with ruff")
    ns = parser.parse_args(argv)
    root = Path(ns.root).resolve()
    if ns.check:
        applied = is_applied(root)
        print(f"depthlens namespace: {'applied' if applied else 'not applied'} in {root}")
        return 0 if applied else 1

    problems: list[str] = []
    notes: list[str] = []
    changed: list[str] = []
    engine_files = (root / "engine").rglob("*.py")
    if any(m["mod"].startswith("engine") for p in engine_files for m in FROM_RE.finditer(p.read_text())):
        problems.append("engine/ imports itself absolutely (`from engine...`); make those imports relative first")

    files = sorted(p for d in CODE_DIRS for p in (root / d).rglob("*.py") if "__pycache__" not in p.parts)
    for path in [root / "pyproject.toml", *files, root / "README.md"]:
        where = str(path.relative_to(root))
        old = path.read_text(encoding="utf-8")
        if path.name == "pyproject.toml":
            new = apply_edits(old, PYPROJECT_EDITS, where, problems)
        else:
            new = rewrite_text(old, root, code=path.suffix == ".py", notes=notes, where=where)
            new = apply_edits(new, FILE_EDITS.get(where, []), where, problems)
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed.append(where)

    init = (root / "engine" / "__init__.py").read_text(encoding="utf-8")
    missing = [n for n in ("Engine", "Settings", "Result", "PRESETS") if f'"{n}"' not in init]
    if missing:
        problems.append(f"engine/__init__.py no longer exports {missing} (the README's example needs them)")

    print(f"depthlens namespace: {len(changed)} file(s) changed" + (": " + ", ".join(changed) if changed else ""))
    if changed and not ns.no_ruff:
        print(sort_imports(root, problems))
    for note in notes:
        print(f"note: {note}")
    problems += [f"still names an old package: {line}" for line in leftovers(root, [*files, root / "README.md"])]
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
