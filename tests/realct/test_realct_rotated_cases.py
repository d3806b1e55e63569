"""``benchmarks/realct_rotated.py --cases`` with a level the abdominal CT cuts or does not hold (round 24).

The abdominal CT's top slice cuts T12 (the mask's superior endplate lies 1.5 mm above it, pass 85): the
accuracy cells' box around the mask's T12 ran past the grid, so our labels (the whole box) and the mask's
(clipped by the grid) had different shapes and the row read "failed: operands could not be broadcast
together with shapes (21,31,23) (18,31,23)".  A level the series does not hold at all (T10) has no
oracle and is said so.  Oracle: the TotalSegmentator mask (its T12 body, the levels it holds).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_the_cut_t12_is_measured_and_a_missing_level_is_named(totalseg_ct):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "realct_rotated.py"), "--cases", "totalseg:T12,T10",
                        "--angles", "0", "--no-plans"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    rows = {ln.split("|")[2].strip(): [c.strip() for c in ln.split("|")[1:-1]] for ln in r.stdout.splitlines()
            if ln.startswith("| totalseg |")}
    assert rows["T10"][2:] == ["-", "not in this series: its mask holds T11-S1"], rows["T10"]
    t12 = rows["T12"]
    assert t12[3] == "T12", t12                   # the numbering's T12 is the mask's T12 at its body centre
    assert float(t12[7]) >= 0.8, t12              # body Dice against the mask's (part of the) T12 body: 0.84
