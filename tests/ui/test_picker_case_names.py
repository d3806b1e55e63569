"""The case picker names an imported patient CT the way it names the built-in cases: the level first, once.

Round 22 (docs/realct-log.md pass 78): a case imported at L3 with the title "Real abd L3" was listed as
"L3 · Real abd L3", and one with import-ct's own title "Patient CT, L3" as "L3 · Patient CT, L3", where every
built-in case reads "L3 severe crush fracture (Genant 3)".  Files written before keep loading, their titles
unchanged on disk.  Oracle: the built-in rows of the same picker (each names its level first and once) and
the level written into each scenario file.
"""

from __future__ import annotations

import re

import pytest

from trainer.cli import main as cli_main
from trainer.core.scenario.loader import builtin_ids, load_scenario
from trainer.ui.scenario_picker import describe


@pytest.fixture(scope="module")
def phantom_series(tmp_path_factory):
    root = tmp_path_factory.mktemp("ct")
    assert cli_main(["phantom", "--out", str(root / "series"), "--voxel-mm", "1.0"]) == 0
    return root


def _line(picker, path) -> str:
    """The first line of the picker row of the scenario file ``path`` (added as Open file... adds it)."""
    picker.add_scenario_file(str(path))
    return picker.list.currentItem().text().splitlines()[0]


def _level_once_first(line: str, level: str) -> bool:
    return line.split()[0] == level and len(re.findall(rf"\b{level}\b", line)) == 1


def test_an_imported_ct_case_reads_like_the_built_in_ones(make_window, phantom_series):
    w, _d = make_window()
    picker = w.show_picker()
    rows = [picker.list.item(i).text().splitlines()[0] for i in range(picker.list.count())]
    builtin_levels = [load_scenario(sid).anatomy.level for sid in builtin_ids()]
    assert all(_level_once_first(r, lv) for r, lv in zip(rows, builtin_levels)), rows    # the form to match

    default = phantom_series / "default.toml"
    named = phantom_series / "named.toml"
    series = str(phantom_series / "series")
    assert cli_main(["scenarios", "import-ct", series, "--level", "L1", "--out", str(default)]) == 0
    assert cli_main(["scenarios", "import-ct", series, "--level", "L1", "--out", str(named),
                     "--title", "Real phantom L1"]) == 0
    old = phantom_series / "old.toml"                    # import-ct's title before round 22
    old.write_text(named.read_text().replace('title = "Real phantom L1"', 'title = "Patient CT, L1"'))
    lines = {p.stem: _line(picker, p) for p in (default, named, old)}
    assert all(_level_once_first(line, "L1") for line in lines.values()), lines
    assert lines["named"] == "L1 · Real phantom" and lines["old"] == "L1 · Patient CT", lines
    assert load_scenario(old).title == "Patient CT, L1"      # the file itself is read as written


def test_the_source_row_names_a_built_in_case_and_a_home_file_as_a_user_reads_them(make_window, tmp_path,
                                                                                   monkeypatch):
    """The picker's Source row.  Before (b160e72): the installation's absolute path for a built-in case
    ("/work/main/scenarios/l1-wedge-default.toml" in docs/screenshots/01-picker.png) and the absolute path of a
    file under the home folder.  Now "built-in case <id>" (the id ``vptrainer gui`` takes) and "~/..."."""
    from trainer import SCENARIOS_DIR

    home = tmp_path / "home"
    (home / "cases").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    w, _d = make_window()
    picker = w.show_picker()
    shown = picker.details.toPlainText()
    assert "built-in case l1-wedge-default" in shown and str(SCENARIOS_DIR) not in shown, shown
    mine = home / "cases" / "my-case.toml"
    mine.write_text((SCENARIOS_DIR / "l1-wedge-default.toml").read_text(encoding="utf-8"), encoding="utf-8")
    picker.add_scenario_file(str(mine))
    shown = picker.details.toPlainText()
    assert "~/cases/my-case.toml" in shown and str(home) not in shown and "built-in" not in shown, shown


def _row(html_text: str, name: str) -> str:
    """The picker's details row ``name`` as plain text."""
    from PySide6.QtGui import QTextDocument
    doc = QTextDocument()
    doc.setHtml(html_text)
    lines = [line.strip() for line in doc.toPlainText().splitlines() if line.strip()]
    i = lines.index(name)           # a table's cells come one a line
    return lines[i + 1]


def test_a_patient_ct_case_says_no_fracture_is_simulated_as_show_and_list_do(make_window, phantom_series, capsys):
    """Pass 180 #12: the picker showed "Fracture: patient CT" for an imported CT, which reads as a fracture modelled
    on the CT.  Oracle: the scenario file (a [ct] section, no [anatomy] fracture to model: the patient's own vertebra
    as scanned) and the built-in case beside it, whose row names the fracture its file models."""
    import json

    import tomllib

    case = phantom_series / "nofracture.toml"
    assert cli_main(["scenarios", "import-ct", str(phantom_series / "series"), "--level", "L1",
                     "--out", str(case)]) == 0
    written = tomllib.loads(case.read_text())
    assert "ct" in written and "fracture_grade" not in written.get("anatomy", {})
    w, _d = make_window()
    picker = w.show_picker()
    picker.add_scenario_file(str(case))
    ct_row = _row(picker.details.toHtml(), "Fracture")
    assert ct_row.startswith("none simulated") and "own L1" in ct_row, ct_row
    builtin = load_scenario("l1-wedge-default")
    assert _row(describe(builtin), "Fracture") == f"Genant {builtin.anatomy.fracture_grade:g} {builtin.anatomy.morphology}"
    capsys.readouterr()
    assert cli_main(["scenarios", "show", str(case)]) == 0
    anatomy = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Anatomy:"))
    assert "no fracture simulated" in anatomy, anatomy
    assert cli_main(["scenarios", "list", "--dir", str(phantom_series), "--json"]) == 0
    listed = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert listed["nofracture"]["fracture"].startswith("none simulated"), listed["nofracture"]
    assert cli_main(["scenarios", "validate", str(case)]) == 0
    assert "no fracture simulated" in capsys.readouterr().out
