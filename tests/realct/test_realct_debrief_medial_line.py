"""The medial-wall rule and the ungraded pedicle breach explain each other, in facts the labels confirm.

Round 21's GUI run (abdominal CT, a too-medial trocar): the debrief read "the trocar's outer surface 26.7 mm
past the wall ... the canal is at risk" on the medial-wall rule and "not graded: ... outside the pedicle,
crossing no pedicle wall" on the breach grade.  Both were half true: the rule reads the AP image, where the
medial wall is a line, and its millimetres are the tip's excursion medial to that line (a number larger than
the line's distance to the canal's centre is the tip across the canal, not a breach depth); the grade measures
the trocar breaking out of the pedicle's bone in 3D, along the pedicle.  On the abdominal L4, left, 15 deg too
medial, the trocar runs through the lamina and the pedicle's medial part and enters the canal where the
pedicle meets the body, under a millimetre behind the posterior wall: it crosses the AP line, breaks through
no wall where the grade is measured, and "outside the pedicle" was false.  Since round 28 (realct-log pass 136:
the arch's marrow labelled bone) the left line grazes the medial wall by 0.086 mm (grade 1) on its way; the right
one, 15 deg too medial, still enters the canal from its pedicle through no wall, and is the case read here.

Oracles, from the built patient's label volume sampled by hand along the trocar's final line (skin to
deepest tip, every 0.1 mm) and the procedure's events, not from the metrics: the tissue the line leaves
when it enters the canal, that it stays in bone from its bone entry to there, how far behind the body's
first labelled voxel that entry is, and where the line meets the body against the canal's centre (the
centroid of the canal voxels in the body's slices).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import realct_sources as sources
from realct_cases import scenario_at_reference

from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.labels import BONE_LABELS, Label
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.scoring import score

pytestmark = pytest.mark.slow

_BODY = {Label.BODY_CORTEX, Label.CANCELLOUS}


@pytest.fixture(scope="module")
def medial_l4(totalseg_ct, totalseg_series):
    """(patient, procedure, score report) of the 15 deg too-medial right plan on the abdominal L4."""
    root, series = totalseg_series
    bone_hu = sources.column(totalseg_ct).thresholds.bone_hu
    sc, patient, _ = scenario_at_reference(totalseg_ct, read_ct_series(series), root, "L4", bone_hu,
                                           name="medial-line-L4.toml")
    proc = play_expert(Procedure(sc, patient=patient, render=False),
                       ExpertPlan(sides=("right",), medial_error_deg=15.0))
    report = score(proc)
    return patient, proc, report


def _line_labels(patient, proc):
    """(points mm, labels) every 0.1 mm from the skin entry to the deepest tip, read from the label volume."""
    placed = next(e.data for e in proc.events if e.kind == "trocar_placed")
    deepest = max((e.data for e in proc.events if e.kind == "trocar_moved" and e.data["tip_mm"] is not None),
                  key=lambda d: d["depth_mm"])
    a, b = np.asarray(placed["skin_mm"], float), np.asarray(deepest["tip_mm"], float)
    pts = a + np.linspace(0.0, 1.0, int(np.linalg.norm(b - a) / 0.1) + 1)[:, None] * (b - a)
    g = patient.volume.grid
    kji = np.rint(g.mm_to_index(pts)).astype(int)
    ok = np.all((kji >= 0) & (kji < np.asarray(g.shape)), axis=1)
    labels = np.zeros(len(pts), int)
    labels[ok] = patient.volume.labels[tuple(kji[ok].T)]
    return pts, labels


def _number(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    assert m, (pattern, text)
    return float(m.group(1))


def test_the_grade_names_where_the_trocar_entered_the_canal_and_the_rule_names_the_ap_line(medial_l4):
    patient, proc, report = medial_l4
    by_id = {m.id: m for m in report.metrics}
    grade, rule = by_id["breach_grade"], by_id["medial_wall_rule"]
    assert not [e for e in proc.events if e.kind == "breach" and e.data["grade"] > 0]
    pts, labels = _line_labels(patient, proc)
    canal = int(np.flatnonzero(labels == Label.CANAL)[0])
    in_bone = np.isin(labels[:canal], [int(v) for v in BONE_LABELS])
    bone = int(np.flatnonzero(~in_bone)[-1]) + 1          # where the bone the line enters the canal from begins
    # that bone holds the pedicle over 10 mm of the line and nothing before it touched the pedicle: the line
    # enters the pedicle from behind and breaks out of no pedicle wall before the canal (the right line first
    # glances the posterior elements for 0.5 mm and runs through muscle again)
    assert (canal - bone) * 0.1 >= 10.0 and (labels[bone:canal] == Label.PEDICLE_RIGHT).any(), labels[bone:canal]
    assert not np.isin(labels[:bone], [int(Label.PEDICLE_LEFT), int(Label.PEDICLE_RIGHT)]).any(), labels[:bone]
    came_from = Label(int(labels[canal - 1]))
    assert came_from == Label.PEDICLE_RIGHT                 # the fact "outside the pedicle" denied
    assert grade.status == "n/a" and "from the right pedicle" in grade.detail, grade.detail
    assert "outside the pedicle" not in grade.detail and "Medial-wall rule" in grade.detail
    # how far behind the body the canal was entered: the line's first body voxel
    body = int(np.flatnonzero(np.isin(labels, [int(v) for v in _BODY]))[0])
    behind_mm = pts[canal, 1] - pts[body, 1]
    said = _number(r"from the right pedicle, (-?[\d.]+) mm behind the posterior body wall", grade.detail)
    assert abs(said - behind_mm) <= 1.0, (said, behind_mm)
    # the rule: a line on AP, its millimetres against the canal's centre, and why the grade is missing
    assert rule.status == "fail" and "medial pedicle wall line on AP" in rule.detail, rule.detail
    assert "past the wall" not in rule.detail and "'Worst pedicle breach' is not graded" in rule.detail
    z = patient.landmarks.body_centre_mm[2]
    g = patient.volume.grid
    k = np.rint(g.mm_to_index([0.0, 0.0, z])[0]).astype(int)
    _, _, ii = np.nonzero(patient.volume.labels[k - 6:k + 7] == Label.CANAL)      # +-3 mm of 0.5 mm slices
    canal_x = float(g.axis_mm("x")[ii].mean())
    short_mm = canal_x - pts[body, 0]                          # right pedicle: medial is towards larger x
    said_short = _number(r"\(([\d.]+) mm short of the canal's centre line", rule.detail)
    # within 2 mm (the wording's bug was 26.7 mm): on the right line 1.9 mm apart, 0.7 mm of it the canal's centre
    # (the landmark at x 0.0 mm, the labelled canal's centroid -0.7 mm) and the rest the point read (the line's
    # first labelled body voxel here, the most medial point behind the lateral view's wall line in the rule)
    assert short_mm > 0 and abs(said_short - short_mm) <= 2.0, (said_short, short_mm)
    # 'vptrainer assess' prints both, the grade's reason under its n/a line
    text = report.to_text()
    assert rule.detail in text and grade.detail in text
