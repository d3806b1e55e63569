"""The cohort view tells apart cases that share a file name: two colleagues' copies of "ct-l2", two patients'
CTs both saved as "l2.toml" (round 23, the instructor's walk, log pass 84).  Sessions are written by the
product's own session writer with the header a real CT session records; the oracle is what the test put in
each case: its folder, its TOML title, its series fingerprint."""

from __future__ import annotations

import hashlib

import pytest
from core.records.records_helpers import report
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from qt_input import pick_level_with_mouse, show_active

from trainer.core.records.attempts import file_sha256
from trainer.core.records.store import AttemptRecord, open_store
from trainer.core.scenario.ct_import import scenario_toml
from trainer.core.scenario.loader import parse_scenario
from trainer.core.session.log import SessionWriter, make_header

LANDMARKS = {"body_centre_mm": (0.0, 0.0, 0.0), "pedicle_left_centre_mm": (-12.0, -22.0, 0.0),
             "pedicle_right_centre_mm": (12.0, -22.0, 0.0), "superior_endplate_z_mm": 13.0,
             "inferior_endplate_z_mm": -13.0}


def _fingerprint(patient: str) -> dict:
    return {"sha256": hashlib.sha256(patient.encode()).hexdigest(), "files": 120, "first_file": "IM0001.dcm",
            "last_file": "IM0120.dcm", "series_uid": f"1.2.826.0.1.{len(patient)}"}


def _case(root, folder: str, name: str, title: str):
    case_dir = root / folder
    (case_dir / "series").mkdir(parents=True)
    path = case_dir / f"{name}.toml"
    path.write_text(scenario_toml("series", "L2", LANDMARKS, title=title), encoding="utf-8")
    return parse_scenario(path.read_text(encoding="utf-8"), path)


@pytest.fixture
def cohort(tmp_path):
    """A store with dan on anna's and ben's copies of ct-l2 (same text, same series) and on two patients'
    l2.toml (same default title, different series); eve on anna's copy."""
    cases = {"anna": (_case(tmp_path, "anna", "ct-l2", "L2 patient CT"), "patient-1"),
             "ben": (_case(tmp_path, "ben", "ct-l2", "L2 patient CT"), "patient-1"),
             "p2": (_case(tmp_path, "p2", "l2", "L2 patient CT"), "patient-2"),
             "p3": (_case(tmp_path, "p3", "l2", "L2 patient CT"), "patient-3")}
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    db = tmp_path / "records.sqlite3"
    runs = [("dan", "anna", True), ("dan", "ben", False), ("dan", "p2", True), ("dan", "p3", True),
            ("eve", "anna", False)]
    with open_store(db) as st:
        for i, (trainee, key, passed) in enumerate(runs):
            scenario, patient = cases[key]
            header = make_header(scenario, 1, trainee, f"2026-12-0{i + 1}T09:00:00+00:00",
                                 ct_series=_fingerprint(patient))
            path = sessions / f"{trainee}-{key}.jsonl"
            SessionWriter(path, header=header).close()
            rep = {**report(passed, 90.0 if passed else 40.0), "scenario": {"id": scenario.id,
                                                                           "sha256": scenario.sha256}}
            st.record_attempt(AttemptRecord.from_report(rep, header, path, file_sha256(path)))
    return db, tmp_path


def _click_trainee(qtbot, w, name: str) -> None:
    row = [r["trainee"] for r in w.rows].index(name)
    rect = w.table.visualRect(w.table.model().index(row, 0))
    QTest.mouseClick(w.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: w.attempts_table.rowCount() > 0, timeout=5000)


def test_cases_sharing_a_file_name_are_named_by_title_folder_and_series(qtbot, cohort):
    """The scenario list names each copy by its title, folder and series (until round 23 both copies read
    "ct-l2"); choosing anna's copy with the mouse and arrow keys lists only the attempts on it."""
    from trainer.ui.cohort_window import CohortWindow

    db, root = cohort
    w = CohortWindow(db)
    qtbot.addWidget(w)
    show_active(qtbot, w)
    items = [w.scenario.itemText(i) for i in range(w.scenario.count())]
    s1, s2, s3 = (hashlib.sha256(p.encode()).hexdigest()[:8] for p in ("patient-1", "patient-2", "patient-3"))
    anna = f"L2 patient CT (ct-l2 in {root / 'anna'}, series {s1})"
    ben = f"L2 patient CT (ct-l2 in {root / 'ben'}, series {s1})"
    assert "ct-l2 (all 2 cases)" in items and f"    {anna}" in items and f"    {ben}" in items, items
    assert f"    L2 patient CT (l2 in {root / 'p2'}, series {s2})" in items, items
    assert f"    L2 patient CT (l2 in {root / 'p3'}, series {s3})" in items, items
    assert "ct-l2" not in items and "l2" not in items

    pick_level_with_mouse(qtbot, w.scenario, f"    {anna}")
    assert sorted(r["trainee"] for r in w.rows) == ["dan", "eve"]
    _click_trainee(qtbot, w, "dan")
    shown = [w.attempts_table.item(r, 1).text() for r in range(w.attempts_table.rowCount())]
    assert shown == [anna], shown

    pick_level_with_mouse(qtbot, w.scenario, "ct-l2 (all 2 cases)")
    _click_trainee(qtbot, w, "dan")
    shown = [w.attempts_table.item(r, 1).text() for r in range(w.attempts_table.rowCount())]
    assert sorted(shown) == sorted([anna, ben]), shown


def test_the_hint_follows_the_selection(qtbot, cohort):
    """"Select a trainee..." gives way to what is listed once a trainee is clicked (until round 23 it stayed),
    and comes back when a new filter empties the attempts list."""
    from trainer.ui.cohort_window import CohortWindow

    db, _ = cohort
    w = CohortWindow(db)
    qtbot.addWidget(w)
    show_active(qtbot, w)
    assert w.hint.text().startswith("Select a trainee")
    _click_trainee(qtbot, w, "dan")
    assert w.attempts_table.rowCount() == 4
    assert "Select a trainee" not in w.hint.text()
    assert w.hint.text() == "dan: 4 attempts below; double-click one to open its debrief.", w.hint.text()
    _click_trainee(qtbot, w, "eve")
    assert w.hint.text() == "eve: 1 attempt below; double-click one to open its debrief.", w.hint.text()
    pick_level_with_mouse(qtbot, w.scenario, "ct-l2 (all 2 cases)")
    assert w.attempts_table.rowCount() == 0 and w.hint.text().startswith("Select a trainee")


def test_the_family_entries_are_levels_and_hold_their_cases(qtbot, cohort):
    """A family is a vertebral level: the two copies of ct-l2 (the editor's default file name) made a
    "CT (family)" of their own (round 24, the first-use walk), and "L2 (family)" listed none of the
    attempts on the two patients' l2.toml (the store matched 'l2-*' only).  Oracle: the cases the fixture
    put in the store (dan: ct-l2 twice, l2 twice; eve: ct-l2 once)."""
    from trainer.ui.cohort_window import CohortWindow

    db, root = cohort
    w = CohortWindow(db)
    qtbot.addWidget(w)
    show_active(qtbot, w)
    families = [w.scenario.itemText(i) for i in range(w.scenario.count()) if "(family)" in w.scenario.itemText(i)]
    assert families == ["L2 (family)"], families
    pick_level_with_mouse(qtbot, w.scenario, "L2 (family)")
    assert [(r["trainee"], r["attempts"]) for r in w.rows] == [("dan", 2)], w.rows
    _click_trainee(qtbot, w, "dan")
    shown = sorted(w.attempts_table.item(r, 1).text() for r in range(w.attempts_table.rowCount()))
    assert [s.split(" in ")[1].split(",")[0] for s in shown] == [str(root / "p2"), str(root / "p3")], shown
