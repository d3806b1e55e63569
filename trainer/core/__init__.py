"""The simulation core: pure Python, NumPy and SciPy.

Nothing in here imports PySide6, pyqtgraph or :mod:`trainer.ui`, reads the wall clock
for simulated time, or draws.  The GUI, the CLI and the tests all drive this package.
``tests/core/test_layering.py`` enforces the rule.
"""
