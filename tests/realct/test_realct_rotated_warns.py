"""``benchmarks/realct_rotated.py`` says what ``import-ct`` warns on each turned row, and counts the poor rows the
import leaves unwarned (issue 12; docs/realct-log.md pass 207).

Until round 41 the benchmark printed the labels' Dice against the turned TotalSegmentator mask but not the import's
warnings, so every pass that counted "poor and unwarned" turned levels (155, 156, 158, 193) wrote its own script.
Oracle: the mask (the rows' Dice cells, measured against the mask turned with the CT, ``realct_rotate``), read back
here from the printed table with the standard library; the count line must agree with the table it follows.  The
abdominal L3 turned -20 deg is labelled off the mask (body Dice 0.74, pedicle Dice 0.20 / 0.14) and the import says
its pedicles hold a third of its body's volume (``ct_plausible.MAX_PEDICLE_BODY_SHARE``); the unturned L3 (0.96, 0.95 /
0.90) is warned nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _table(stdout: str) -> dict:
    """``{(level, angle): cells}`` of the printed rows (cells from "numbered as" on)."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("| totalseg |"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            out[(cells[1], int(cells[2]))] = cells[3:]
    return out


def _poor(cells) -> bool:
    left, right = (float(v) for v in cells[5].split("/"))
    return float(cells[4]) < 0.8 or min(left, right) < 0.3


def test_turned_rows_say_the_import_warning_and_the_count_follows_the_table(totalseg_ct):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "realct_rotated.py"), "--cases", "totalseg:L3,L5",
                        "--angles", "-20", "--no-plans"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    header = r.stdout.splitlines()[0]
    assert header.rstrip().endswith("| import-ct warns |"), header
    rows = _table(r.stdout)
    assert set(rows) == {("L3", 0), ("L5", 0), ("L3", -20), ("L5", -20)}, rows
    unturned, turned = rows[("L3", 0)], rows[("L3", -20)]
    assert not _poor(unturned) and unturned[-1] == "-", unturned
    assert _poor(turned), f"the oracle: L3 turned -20 deg is labelled off the mask: {turned}"
    assert re.search(r"its pedicles hold 0\.\d\d of its body's volume", turned[-1]), turned
    # the count line, against the table's own cells (the unturned rows are not counted)
    turned_rows = {k: v for k, v in rows.items() if k[1] != 0}
    poor = [k for k, v in turned_rows.items() if _poor(v)]
    unwarned = [k for k in poor if turned_rows[k][-1] == "-"]
    false = [k for k, v in turned_rows.items() if not _poor(v) and v[-1] != "-"]
    count = next(ln for ln in r.stdout.splitlines() if ln.startswith("turned rows"))
    assert count.startswith(f"turned rows {len(turned_rows)}: poor {len(poor)}; poor and unwarned {len(unwarned)} "), count
    assert f"good and warned {len(false)} " in count, count
    for level, angle in unwarned:
        assert f"{level} {angle:+d}" in count, count
