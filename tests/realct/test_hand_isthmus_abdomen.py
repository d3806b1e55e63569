"""The abdominal CT's pedicle isthmi read by hand on the images: an oracle that is neither the reference nor ours.

Round 25 (docs/realct-log.md, Pass 106 as merged): the abdominal CT (3 mm voxels) L3, L4 and L5, each vertebra in
its own frame: its sagittal tilt from the reference body's centroid per slice (a line y(z) over the body's slices
without the end ones; L3 12.8, L4 15.4, L5 17.2 deg), own-sagittal planes (x fixed) and own-axial planes (normal
to the tilt) resampled at 0.25 mm (linear) with a 1 mm grid, the mask's outline drawn, read at full size.  The
pedicle is read in the own-sagittal plane through it as the bar of bone from the body's back (the front edge of
the foramen below it) to the posterior elements (where the superior articular process rises above it and the pars
falls below it); the isthmus centre is the middle of that bar along it and the middle between its upper and lower
cortex; across, the middle of the chord between the canal's wall and the lateral cortex in the own-axial plane at
that height.  At 3 mm voxels the reading holds to about 3 mm along the pedicle and 2 mm across and in height.
The points are in CT mm (x left, y posterior, z superior).
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.scenario.ct_import_landmarks import import_landmarks

#: (level, side) -> hand-read isthmus centre, CT mm (module docstring); own frame (lateral of the body centre,
#: behind it, above it along the tilt), mm: L3 (16, 20.5, 7.5) / (-21, 18, 7), L4 (20, 17, 8) / (-22, 17, 9.5),
#: L5 (18, 17, 12.8) / (-20, 16.5, 12.8)
HAND_ISTHMUS_MM = {("L3", "left"): (20.9, -119.3, 317.3), ("L3", "right"): (-16.1, -121.8, 317.4),
                   ("L4", "left"): (23.8, -124.6, 282.0), ("L4", "right"): (-18.2, -124.2, 283.5),
                   ("L5", "left"): (19.1, -112.5, 250.2), ("L5", "right"): (-18.9, -113.0, 250.3)}
#: the levels where the reference and ours agree (the accuracy table's cells 0.3-1.6 mm): the control
CONTROL = ("L3", "L4")
#: how far a centre may lie from the hand point and still be the isthmus: issue 12's 3 mm, and the hand
#: reading's 3 mm along the pedicle at these voxels makes a 3.0-3.1 mm difference undecidable (L4 left: 3.0)
NEAR_MM = 3.5


def _own_frame(ref, grid):
    """The vertebra's own axes as the hand reading took them: unit vectors (x, y, z) of lateral (+x), along the
    pedicle (posterior) and up the column, the sagittal tilt fitted to the reference body's centroid y per slice
    (its end slices left out)."""
    y, z = grid.axis_mm("y"), grid.axis_mm("z")
    kb = np.flatnonzero(ref.body.any(axis=(1, 2)))[1:-1]
    cy = [float(y[np.nonzero(ref.body[k])[0]].mean()) for k in kb]
    s = float(np.polyfit(z[kb], cy, 1)[0])
    return np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, -s]) / np.hypot(1.0, s), np.array([0.0, s, 1.0]) / np.hypot(1.0, s)


def _in_mask(mask: np.ndarray, grid, point_mm) -> bool:
    k, j, i = np.round(grid.mm_to_index(point_mm)).astype(int)
    return bool(mask[k, j, i])


@pytest.mark.parametrize("level", ["L3", "L4", "L5"])
def test_hand_isthmi_lie_in_the_reference_pedicle_masks(totalseg_ct, level):
    """Each hand point is a voxel of the reference's own pedicle mask of its side (behind the posterior wall, in
    front of the canal centre: the mask the pedicle Dice is taken on): the oracle and the mask agree on where the
    pedicle is, at L5 too.  (Ours at L5 was not in that mask until round 26: its rows lay 4.4 mm (left) and 1.4 mm (right)
    behind the canal centre, where the mask ends; nor were the reference's.)  A guard of the oracle's data
    and of the mask's definition: it holds on 4aad13d."""
    ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS[level])
    for side in ("left", "right"):
        assert _in_mask(getattr(ref, f"pedicle_{side}"), totalseg_ct.grid, HAND_ISTHMUS_MM[(level, side)]), side


def test_control_levels_reference_and_ours_near_the_hand_isthmus(totalseg_ct):
    """At L3 and L4 the reference's centre and ours (the accuracy table's auto row: the column's numbering, no
    landmark) lie within NEAR_MM of the hand isthmus.  Measured on 4aad13d: reference L3 0.4 / 2.6, L4 3.0 / 2.0 mm;
    ours L3 0.6 / 2.6, L4 2.8 / 2.1 mm.  A guard: whatever rule is changed for L5 must keep these."""
    vol = totalseg_ct.volume()
    col = detect_column(vol)
    for level in CONTROL:
        ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS[level])
        v = col.find(level)
        lm, _ = import_landmarks(vol, v.body_centre_mm, col.thresholds.bone_hu, level, column=col)
        for side in ("left", "right"):
            hand = HAND_ISTHMUS_MM[(level, side)]
            for who, c in (("reference", getattr(ref, f"pedicle_{side}_centre_mm")), ("ours", lm[f"pedicle_{side}_centre_mm"])):
                d = float(np.linalg.norm(np.subtract(c, hand)))
                assert d <= NEAR_MM, (level, side, who, round(d, 2))


def test_our_l5_centres_lie_across_and_in_height_on_the_hand_isthmus(totalseg_ct):
    """Ours at L5 (the auto row) is within 2 mm of the hand isthmus across the pedicle and in height (measured on
    4aad13d: left 0.7 / 1.1, right 0.9 / 1.4 mm, its rows then on the pars, 6.4-8.2 mm along the pedicle; round 26:
    1.9 / 0.7 and 1.6 / 1.6 mm at the pedicle proper, :func:`test_our_l5_centres_near_the_hand_isthmus`).  (The
    reference's L5 centres lay 5.9 / 6.1 mm medial of the hand point, on the canal's wall, until round 26:
    :func:`test_reference_centres_near_every_hand_isthmus`.)"""
    vol = totalseg_ct.volume()
    col = detect_column(vol)
    ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS["L5"])
    ex, _, ez = _own_frame(ref, totalseg_ct.grid)
    lm, _ = import_landmarks(vol, col.find("L5").body_centre_mm, col.thresholds.bone_hu, "L5", column=col)
    for side in ("left", "right"):
        d = np.subtract(lm[f"pedicle_{side}_centre_mm"], HAND_ISTHMUS_MM[("L5", side)])
        across, height = abs(float(d @ ex)), abs(float(d @ ez))
        assert across <= 2.0 and height <= 2.0, (side, round(across, 2), round(height, 2))


def test_reference_centres_near_every_hand_isthmus(totalseg_ct):
    """The reference's pedicle centre within NEAR_MM of the hand isthmus at L3, L4 and L5, and inside its own pedicle
    mask (the one the Dice is taken on).  Measured (round 26): L3 0.4 / 2.6, L4 3.0 (3.004) / 2.0, L5 2.2 / 2.2 mm.
    At L5 the side has no waist in front of the pars (realct_reference.no_waist) and the centre is the pedicle proper
    at the closed-ring canal's depth (realct_reference.pedicle_proper_centre).  On 286e67d the fewest-voxel row was
    the pars, the slab's centroid pulled onto the canal's wall by the lamina: "('L5', 'left', 10.2)" (right 8.2)."""
    for level in ("L3", "L4", "L5"):
        ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS[level])
        for side in ("left", "right"):
            c = getattr(ref, f"pedicle_{side}_centre_mm")
            d = float(np.linalg.norm(np.subtract(c, HAND_ISTHMUS_MM[(level, side)])))
            assert d <= NEAR_MM, (level, side, round(d, 1))
            assert _in_mask(getattr(ref, f"pedicle_{side}"), totalseg_ct.grid, c), (level, side, "outside its mask")


def test_our_l5_centres_near_the_hand_isthmus(totalseg_ct):
    """Ours at L5 (the auto row: the column's numbering, no landmark) within NEAR_MM of the hand isthmus and inside the
    reference's pedicle mask of its side.  The side has no waist (trainer.core.anatomy.ct_pedicle.no_waist: its bone
    lateral of the canal's edge fewest in the last row searched), so ours is the search's front row, the pedicle proper
    where it leaves the body.  Measured (round 26): left 2.9, right 3.2 mm (across / along / height 1.9 / 2.1 / 0.7 and
    -1.6 / 2.3 / 1.6 mm).  On d32019a the fewest-voxel row was the pars: "('left', 8.3)" (right 6.6), behind the mask."""
    vol = totalseg_ct.volume()
    col = detect_column(vol)
    ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS["L5"])
    lm, _ = import_landmarks(vol, col.find("L5").body_centre_mm, col.thresholds.bone_hu, "L5", column=col)
    for side in ("left", "right"):
        c = lm[f"pedicle_{side}_centre_mm"]
        d = float(np.linalg.norm(np.subtract(c, HAND_ISTHMUS_MM[("L5", side)])))
        assert d <= NEAR_MM, (side, round(d, 1))
        assert _in_mask(getattr(ref, f"pedicle_{side}"), totalseg_ct.grid, c), (side, "outside the reference's mask")
