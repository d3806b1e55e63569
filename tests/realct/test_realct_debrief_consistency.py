"""The debrief never reads "canal entered" beside a passed "grade 0" pedicle breach; HU in messages are whole
numbers (issue 12, round 9, defect F).

Round 8: assess of the 15 deg too-medial plan at the abdominal L4 left said "the trocar entered the spinal canal at
t=221 s" and "[pass] Worst pedicle breach (Gertzbein-Robbins): 0 grade": the line ran medial to the pedicle through
the lamina, crossing no pedicle wall.  Oracles: the procedure's own events (the first move with the tip or the
shaft in tissue labelled canal, and the pedicle-wall breaches recorded: none), and the threshold rounded by hand.
Since round 28 the right plan is read: the left one now grazes the medial wall (0.086 mm, grade 1) on its way.
"""

from __future__ import annotations

import pytest
import realct_sources as sources
from realct_cases import scenario_at_reference

from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.errors import DicomError
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.ct_import import estimate_landmarks
from trainer.core.scoring import score

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def abdomen(totalseg_ct, tmp_path_factory):
    root = tmp_path_factory.mktemp("debrief")
    sources.write_dicom(totalseg_ct, root / "series")
    return root, read_ct_series(root / "series")


def test_a_canal_entered_outside_the_pedicle_is_not_a_passed_grade_0(totalseg_ct, abdomen):
    root, vol = abdomen
    bone_hu = sources.column(totalseg_ct).thresholds.bone_hu
    sc, patient, _ = scenario_at_reference(totalseg_ct, vol, root, "L4", bone_hu)
    proc = play_expert(Procedure(sc, patient=patient, render=False),
                       ExpertPlan(sides=("right",), medial_error_deg=15.0))
    # the oracle: the events say the canal was reached and no pedicle wall was breached (the right plan: since
    # round 28, realct-log pass 136, the left one grazes the medial wall by 0.086 mm, grade 1, on its way)
    moves = [e for e in proc.events if e.kind == "trocar_moved"]
    entered = next(e for e in moves if e.data["tissue"] == "canal" or "canal" in (e.data.get("shaft_tissues") or []))
    assert not [e for e in proc.events if e.kind == "breach" and e.data["grade"] > 0]
    report = score(proc)
    by_id = {m.id: m for m in report.metrics}
    canal, grade = by_id["canal_foramen_breach"], by_id["breach_grade"]
    assert canal.status == "fail" and f"t={entered.t_s:.0f} s" in canal.detail
    assert not (grade.status == "pass" and grade.value == 0), grade
    assert grade.status == "n/a" and f"t={entered.t_s:.0f} s" in grade.detail and "from the right pedicle" in grade.detail
    text = report.to_text()
    assert "[pass] Worst pedicle breach" not in text


def test_the_no_ring_of_cortex_message_gives_whole_hu(abdomen):
    """A point in the soft tissue in front of the spine (no ring of cortex there) with a threshold that has decimals."""
    _, vol = abdomen
    with pytest.raises(DicomError) as err:
        estimate_landmarks(vol, near_mm=(-100.0, -250.0, 278.0), cortex_hu=156.098)
    msg = str(err.value)
    assert "(>= 156 HU)" in msg and "156.098" not in msg
