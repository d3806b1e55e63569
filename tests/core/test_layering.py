"""trainer.core and trainer.service never import PySide6, pyqtgraph or trainer.ui (DESIGN.md section 1).

The same rule is an import-linter contract (pyproject.toml, run by tools/lint.sh); these tests
check it a second way, including what the packages pull in at run time.
"""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import trainer

FORBIDDEN = ("PySide6", "pyqtgraph", "trainer.ui", "PyQt5", "PyQt6", "shiboken6")
PACKAGE = Path(trainer.__file__).parent
QT_FREE = ("core", "service")


def gui_imports(root: Path, package: str) -> list[str]:
    """``file:line imports name`` for every import of a FORBIDDEN module under ``root``.

    ``package`` is the dotted name of ``root`` (to resolve relative imports).
    """
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        parts = [*package.split("."), *rel.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        here = parts if path.name == "__init__.py" else parts[:-1]
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                    names = [module] + [f"{module}.{a.name}" for a in node.names]
                else:
                    names = [node.module or ""]
            else:
                continue
            for n in names:
                if any(n == f or n.startswith(f + ".") for f in FORBIDDEN):
                    offenders.append(f"{rel}:{node.lineno} imports {n}")
                    break
    return offenders


def test_importing_every_core_and_service_module_pulls_in_no_gui():
    code = f"""
import importlib, json, pkgutil, sys
import trainer.core, trainer.service
for pkg in (trainer.core, trainer.service):
    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):
        importlib.import_module(m.name)
bad = sorted(n for n in sys.modules if n.split('.')[0] in {list(FORBIDDEN)!r} or n.startswith('trainer.ui'))
print(json.dumps(bad))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_no_core_or_service_source_file_names_a_gui_module():
    for sub in QT_FREE:
        assert gui_imports(PACKAGE / sub, f"trainer.{sub}") == []


def test_the_checker_catches_each_way_of_importing_the_gui(tmp_path):
    # a throw-away package tree: trainer/core/x/... with one forbidden import per file
    root = tmp_path / "core"
    (root / "x").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "x" / "__init__.py").write_text("")
    bad = {
        "a.py": "from PySide6 import QtCore\n",
        "b.py": "import pyqtgraph as pg\n",
        "c.py": "def f():\n    from trainer.ui.app import run_app\n",
        "d.py": "from ...ui import fluoro_view\n",            # relative: trainer.ui
        "e.py": "from ... import ui\n",                       # relative: trainer.ui as a name
    }
    for name, src in bad.items():
        (root / "x" / name).write_text(src)
    (root / "x" / "ok.py").write_text("import numpy\nfrom trainer.core.errors import ScenarioError\nfrom . import a\n")
    found = gui_imports(root, "trainer.core")
    assert sorted(f.split(":")[0] for f in found) == [f"x/{n}" for n in sorted(bad)]
    assert any("imports trainer.ui.app" in f for f in found)
    assert any("imports trainer.ui" in f and f.startswith("x/e.py") for f in found)


def test_no_test_edits_sys_path():
    """Tests import shared helpers by package path (``core.records.records_helpers``): the
    tests/ folder is on sys.path through its conftest, so no test needs to edit it."""
    tests = Path(__file__).resolve().parents[1]
    edit = re.compile(r"sys\.path\s*(\.(insert|append|extend)\b|\[|\+=|=)")
    offenders = [f"{p.relative_to(tests)}:{i}" for p in sorted(tests.rglob("*.py")) if p != Path(__file__).resolve()
                 for i, line in enumerate(p.read_text().splitlines(), 1) if edit.search(line)]
    assert offenders == []
    assert edit.search("sys.path.insert(0, d)") and edit.search("sys.path[:0] = [d]")   # the check bites


def local_project_imports(root: Path) -> list[str]:
    """``file:line`` of every ``import trainer...`` / ``from trainer... import`` inside a function
    under ``root`` (issue 11: the dependency graph is visible at module level)."""
    found: set[str] = set()             # a nested function's import is inside its outer one too
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                        else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                        else ["trainer"] if isinstance(node, ast.ImportFrom) else [])
                if any(m == "trainer" or m.startswith("trainer.") for m in mods):
                    found.add(f"{path.relative_to(root)}:{node.lineno}")
    return sorted(found)


def test_core_and_service_import_the_project_at_module_level_only():
    assert [f for sub in QT_FREE for f in local_project_imports(PACKAGE / sub)] == []


def test_the_local_import_checker_finds_each_form(tmp_path):
    (tmp_path / "a.py").write_text("import numpy\n\ndef f():\n    import trainer.core.errors\n    return 1\n")
    (tmp_path / "b.py").write_text("def g():\n    def h():\n        from trainer.core import numbers\n    return h\n")
    (tmp_path / "c.py").write_text("class C:\n    def m(self):\n        from . import sibling\n")
    (tmp_path / "d.py").write_text("from trainer.core import numbers\n\ndef f():\n    import json\n")
    assert sorted(local_project_imports(tmp_path)) == ["a.py:4", "b.py:3", "c.py:3"]
