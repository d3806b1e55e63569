"""A resident's deliberately medial trocar on the abdominal CT: the debrief says why the breach grade is missing.

A first-time resident on the real L5 (round 21) picked the left pedicle, pressed Medial (the right arrow)
nine times on the skin and advanced the 150 mm trocar to its end: the trocar ran medial to the pedicle,
through the lamina into the spinal canal.  The core leaves the Gertzbein-Robbins grade ungraded ('n/a':
"not graded: the trocar reached the spinal canal ... crossing no pedicle wall"), but the debrief lumped
every 'n/a' metric into one grey line "1 metrics did not apply to this attempt (no procedure was done)",
after a procedure that entered the canal.  Only metrics that did not apply because the patient was not
to be treated are that line now; any other ungraded metric shows its own reason.

Oracle: the report the window scored (the same core report as ``vptrainer assess --json``): its
'n/a' metrics and their details, against the text the debrief shows.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from realct_gui import imported_ct_window

from trainer.core.scoring.metric import NOT_TREATED_PREFIX

pytestmark = pytest.mark.slow


def test_a_medial_trocar_into_the_canal_shows_why_the_breach_is_not_graded(qtbot, totalseg_series, tmp_path):
    w, d = imported_ct_window(qtbot, totalseg_series, "L5", tmp_path)
    d.answer_checklist({k: g["expected"] for k, g in w.scenario.decisions.gates.items()})
    d.align()
    d.key(Qt.Key.Key_1)
    d.idle()
    d.key(Qt.Key.Key_S)
    d.idle()
    d.choose_length(150.0)
    d.pick_entry("left")
    d.idle()
    d.place()
    for _ in range(9):                       # Medial -> for the left pedicle, on the skin
        d.key(Qt.Key.Key_Right)
        d.idle()
    for _ in range(40):                      # to the trocar's end (the core refuses the step past it)
        before = w.view.trocar.depth_mm
        d.key(Qt.Key.Key_A)
        d.idle()
        if w.view.trocar.depth_mm == before:
            break
    d.key(Qt.Key.Key_S)
    d.idle()
    d.finish()
    report = w.debrief.report_json
    ungraded = [m for m in report["metrics"]
                if m["status"] == "n/a" and not m["detail"].startswith(NOT_TREATED_PREFIX)]
    assert [m["id"] for m in ungraded] == ["breach_grade"], [(m["id"], m["detail"]) for m in report["metrics"]
                                                               if m["status"] == "n/a"]
    assert "spinal canal" in ungraded[0]["detail"]
    shown = w.debrief.summary.text()
    assert "no procedure was done" not in shown and "did not apply" not in shown, shown
    assert ungraded[0]["name"] in shown and ungraded[0]["detail"].replace("'", "&#x27;") in shown, shown
    w.close()
