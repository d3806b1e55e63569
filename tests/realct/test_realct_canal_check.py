"""A labelled canal narrower or shallower than any real one is said (round 41, pass 211).

The real abdominal CT as 5 mm slabs, imported at L2 with no landmark given: the canal between the labelled
pedicles' medial walls was 8.2 mm wide, where the same CT at 3 mm gives 18.1 mm and the level table (Panjabi 1992)
23.8 mm; import-ct, ``scenarios show`` and the landmark editor said only that the estimate was approximate "though
nothing else is flagged", and a resident's trocar and cement were judged on that canal (all 1.59 mL of a push
from the anterior third counted as leaked).  Since round 42 (pass 216) that L2 is built over its spine (canal
17.8 mm wide, tests/realct/test_realct_thick_abdomen.py); the line is read here on the same series' L5, whose
labelled canal is 6.0 mm deep behind the body (the same CT at 3 mm: 16.5 mm; the level table 19.7 mm).
Oracles: the level table read with the stdlib ``csv`` module times 0.6 by hand (published canal widths differ by
up to 40 %, FACTS.md 1.1; the same allowance is taken for the depth), the same CT at 3 mm, ``scenarios show
--json``'s own canal depth, and the CLI's stderr for the GUI editor.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from trainer.cli import main

pytestmark = pytest.mark.slow

TABLE = Path(__file__).resolve().parents[2] / "assets" / "morphometry.csv"
CANAL = re.compile(r"has a spinal canal (\d+\.\d) mm deep behind the body \(the L5 canal: at least (\d+\.\d) mm\)")


def _table_l5_canal_depth_mm() -> float:
    rows = csv.reader(line for line in TABLE.read_text().splitlines() if not line.startswith("#"))
    head = next(rows)
    row = next(r for r in rows if r[0] == "L5")
    return float(row[head.index("canal_depth_mm")])


@pytest.fixture(scope="module")
def l5_cases(totalseg_5mm_series, totalseg_series):
    """{"5mm": (root, series folder), "3mm": (root, series folder)}: the abdominal CT as 5 mm slabs and at 3 mm."""
    return {"5mm": totalseg_5mm_series, "3mm": totalseg_series}


def _import(capsys, folder: Path, out: Path) -> str:
    capsys.readouterr()
    assert main(["scenarios", "import-ct", str(folder), "--level", "L5", "--out", str(out), "--force"]) == 0
    return capsys.readouterr().err


def _shown_canal_depth_mm(capsys, scenario: Path) -> float:
    assert main(["scenarios", "show", str(scenario), "--json"]) == 0
    return float(json.loads(capsys.readouterr().out)["landmarks"]["canal_depth_mm"])


def test_import_ct_and_show_say_the_5_mm_l5_canal_is_too_shallow(l5_cases, capsys):
    """Before round 41: no canal line (only the "approximate though nothing else is flagged" one).  The same CT at
    3 mm has an L5 canal deeper than the limit, and says nothing of it."""
    (root, folder), (root3, folder3) = l5_cases["5mm"], l5_cases["3mm"]
    err = _import(capsys, folder, root / "canal-l5.toml")
    lines = [line for line in err.splitlines() if CANAL.search(line)]
    assert len(lines) == 1, err
    depth, limit = (float(v) for v in CANAL.search(lines[0]).groups())
    assert limit == pytest.approx(0.6 * _table_l5_canal_depth_mm(), abs=0.05)
    assert depth == pytest.approx(_shown_canal_depth_mm(capsys, root / "canal-l5.toml"), abs=0.05)
    assert depth < limit
    assert "approximate as well" in err and "though nothing else is flagged" not in err, err
    assert main(["scenarios", "show", str(root / "canal-l5.toml")]) == 0
    shown = capsys.readouterr().out
    assert CANAL.search(shown) and CANAL.search(shown).groups() == CANAL.search(lines[0]).groups(), shown[-2000:]
    err = _import(capsys, folder3, root3 / "canal-l5.toml")
    assert "spinal canal" not in err, err
    assert _shown_canal_depth_mm(capsys, root3 / "canal-l5.toml") > limit


def test_the_editor_shows_the_canal_line_beside_the_table(qtbot, l5_cases, capsys):
    """Session > Import patient CT on the 5 mm series at L5: the warnings panel holds the CLI's numbers, worded for
    the editor (before round 41: only the "approximate" line)."""
    from realct_gui import open_editor

    root, folder = l5_cases["5mm"]
    cli = CANAL.search(_import(capsys, folder, root / "canal-l5-gui.toml"))
    assert cli is not None
    dlg = open_editor(qtbot, folder, level="L5")
    text = dlg.warnings_panel.text()
    assert cli.group(0) in text, text
    assert "compare the canal on the axial slice before saving" in text, text
