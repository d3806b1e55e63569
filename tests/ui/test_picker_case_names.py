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
