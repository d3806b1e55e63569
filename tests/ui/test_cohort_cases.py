"""The cohort view tells apart cases that share a file name: two colleagues' copies of "ct-l2", two patients'
CTs both saved as "l2.toml" (round 23, the instructor's walk, log pass 84).  Sessions are written by the
product's own session writer with the header a real CT session records; the oracle is what the test put in
each case: its folder, its TOML title, its series fingerprint."""

from __future__ import annotations

import hashlib

import pytest
from core.records.records_helpers import copies_store
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from qt_input import pick_level_with_mouse, show_active


@pytest.fixture
def cohort(tmp_path):
    """A store with dan on anna's and ben's copies of ct-l2 (same text, same series) and on two patients'
    l2.toml (same default title, different series); eve on anna's copy."""
    return copies_store(tmp_path), tmp_path


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
