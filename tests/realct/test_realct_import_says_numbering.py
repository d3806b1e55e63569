"""``import-ct`` writes whose number the level is, as the GUI editor's saved description does.

Round 36 (a first-time instructor on the real abdominal CT): the editor's file says "level L3 as numbered from the
ribs and sacrum" on the chart and in ``scenarios show``; import-ct's said only "Imported from series (...)", so an
L3 the numbering found read like an L3 typed against it. Oracle: the reference mask (TotalSegmentator's vertebra
labels) at the body centre written to the file, and at the point typed as ``--body-centre``.
"""

from __future__ import annotations

import numpy as np
import tomllib

from trainer.cli import main


def _import(folder, out, *extra) -> dict:
    assert main(["scenarios", "import-ct", str(folder), "--out", str(out), *extra]) == 0
    return tomllib.loads(out.read_text(encoding="utf-8"))


def test_import_ct_says_whose_number_the_level_is(totalseg_ct, totalseg_series, capsys):
    root, folder = totalseg_series
    case = _import(folder, root / "numbered-l3.toml", "--level", "L3")
    assert totalseg_ct.level_at(case["ct"]["landmarks"]["body_centre_mm"]) == "L3"      # the mask agrees
    assert case["scenario"]["description"].endswith("; level L3 as numbered from the ribs and sacrum")
    capsys.readouterr()
    assert main(["scenarios", "show", str(root / "numbered-l3.toml")]) == 0
    assert "level L3 as numbered from the ribs and sacrum" in capsys.readouterr().out

    # --level L3 with --body-centre in the body the mask calls L2: written as L3 (the instructor's word), said so
    idx = np.argwhere(totalseg_ct.labels == 30)                     # TotalSegmentator's L2
    k, j, i = np.round(idx[(idx[:, 1] < np.median(idx[:, 1]))].mean(0)).astype(int)   # the body: the front half
    point = [float(totalseg_ct.grid.axis_mm(a)[n]) for a, n in zip("xyz", (i, j, k))]
    assert totalseg_ct.level_at(point) == "L2"
    typed = _import(folder, root / "typed-l3.toml", "--level", "L3", "--body-centre", *(f"{c:.1f}" for c in point))
    assert typed["ct"]["level"] == "L3"
    assert typed["scenario"]["description"].endswith(
        "; level L3 given by --level (the column, numbered from the ribs and sacrum, says L2)")
