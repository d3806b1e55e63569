"""trainer.core must never import PySide6, pyqtgraph or trainer.ui (DESIGN.md section 1)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import trainer

FORBIDDEN = ("PySide6", "pyqtgraph", "trainer.ui", "PyQt5", "PyQt6", "shiboken6")
CORE = Path(trainer.__file__).parent / "core"


def test_importing_every_core_module_pulls_in_no_gui():
    code = f"""
import importlib, json, pkgutil, sys
import trainer.core
for m in pkgutil.walk_packages(trainer.core.__path__, 'trainer.core.'):
    importlib.import_module(m.name)
bad = sorted(n for n in sys.modules if n.split('.')[0] in {list(FORBIDDEN)!r} or n.startswith('trainer.ui'))
print(json.dumps(bad))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_no_core_source_file_names_a_gui_module():
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level and node.module is None:
                    continue
                names = [node.module or ""]
                if node.level >= 2 and (node.module or "").startswith("ui"):
                    names = ["trainer.ui"]
            for n in names:
                if any(n == f or n.startswith(f + ".") for f in FORBIDDEN):
                    offenders.append(f"{path.relative_to(CORE)}:{node.lineno} imports {n}")
    assert offenders == []


def test_the_checker_would_catch_a_gui_import(tmp_path):
    # guard against a vacuous test: the AST scan flags a forbidden import when one exists
    src = "from PySide6 import QtCore\n"
    tree = ast.parse(src)
    node = tree.body[0]
    assert isinstance(node, ast.ImportFrom) and node.module.startswith(FORBIDDEN[0])
