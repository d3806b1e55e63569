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

Instructors check (``vptrainer scenarios show``) and correct the written values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.ct_labels import CLOSING_MM, CORTEX_HU
from trainer.core.anatomy.grid import Volume
from trainer.core.errors import DicomError, ScenarioError

__all__ = ["estimate_landmarks", "scenario_toml", "LANDMARK_KEYS"]

LANDMARK_KEYS = ("body_centre_mm", "pedicle_left_centre_mm", "pedicle_right_centre_mm",
                 "superior_endplate_z_mm", "inferior_endplate_z_mm")
_PLANE = np.zeros((3, 3, 3), bool)
_PLANE[1] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
_MIN_BODY_MM2 = 250.0
_SEARCH_MM = 8.0     #: the body slice is looked for within this distance of the series middle
_PATCH_MM = 2.0      #: half-width of the axial patch the endplate profile is averaged over
_FRONT_MM = 8.0      #: holes whose centre is this close to the most anterior one count as the body


def _disc(r_vox: float) -> np.ndarray:
    n = int(np.ceil(r_vox))
    yy, xx = np.mgrid[-n:n + 1, -n:n + 1]
    return (xx * xx + yy * yy <= r_vox * r_vox + 1e-9)[None]


def _run(mask_1d, i):
    if i < 0 or i >= mask_1d.size or not mask_1d[i]:
        return None
    lo = hi = i
    while lo > 0 and mask_1d[lo - 1]:
        lo -= 1
    while hi + 1 < mask_1d.size and mask_1d[hi + 1]:
        hi += 1
    return lo, hi


def _outer_face(cortex_1d, start: int, step: int):
    """Index of the last cortex voxel of the first cortex run met from ``start`` going ``step``."""
    i = start
    n = cortex_1d.size
    while 0 <= i < n and not cortex_1d[i]:
        i += step
    if not 0 <= i < n:
        return None
    while 0 <= i + step < n and cortex_1d[i + step]:
        i += step
    return i


def _endplate_column(hu, spacing_mm, j_c: int, i_c: int, cortex_hu: float = CORTEX_HU) -> np.ndarray:
    """Cortex along z at the body centre: the HU averaged over a 4 x 4 mm axial patch.

    Averaging in plane (not along z) keeps a one-slice endplate at 1 mm or thicker slices
    (partial-volumed, but still above :data:`CORTEX_HU`) while trabecular texture averages out.
    """
    ri = max(1, int(round(_PATCH_MM / spacing_mm[0])))
    rj = max(1, int(round(_PATCH_MM / spacing_mm[1])))
    patch = hu[:, max(0, j_c - rj):j_c + rj + 1, max(0, i_c - ri):i_c + ri + 1]
    return patch.astype(np.float32).mean(axis=(1, 2)) >= cortex_hu


def _crop(volume: Volume, near_mm, half_mm=(60.0, 60.0, 45.0)) -> Volume:
    """The part of ``volume`` within ``half_mm`` (x, y, z) of ``near_mm`` (a view, not a copy)."""
    from trainer.core.anatomy.grid import Grid

    g = volume.grid
    lo = np.floor((np.asarray(near_mm) - half_mm - g.origin_mm) / g.spacing_mm).astype(int)
    hi = np.ceil((np.asarray(near_mm) + half_mm - g.origin_mm) / g.spacing_mm).astype(int) + 1
    n = np.asarray(g.shape[::-1])
    lo, hi = np.clip(lo, 0, n), np.clip(hi, 0, n)
    if np.any(hi - lo < 3):
        raise DicomError(f"{volume.meta.get('folder', 'CT series')}: the point ({near_mm[0]:.1f}, {near_mm[1]:.1f}, "
                         f"{near_mm[2]:.1f}) mm lies outside the series")
    sl = (slice(lo[2], hi[2]), slice(lo[1], hi[1]), slice(lo[0], hi[0]))
    origin = tuple(float(v) for v in np.asarray(g.origin_mm) + lo * np.asarray(g.spacing_mm))
    hu = volume.hu[sl]
    return Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(hu.shape, g.spacing_mm, origin),
                  meta=dict(volume.meta))


def estimate_landmarks(volume: Volume, near_mm=None, cortex_hu: float | None = None) -> dict:
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
    sp = np.asarray(g.spacing_mm)
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    thr = CORTEX_HU if cortex_hu is None else float(cortex_hu)
    cortex = hu >= thr
    thick = ndi.binary_dilation(cortex, structure=_disc(CLOSING_MM / sp[0]))
    filled = ndi.binary_fill_holes(thick, structure=_PLANE)
    holes = filled & ~thick
    lab, n = ndi.label(holes, structure=_PLANE)
    if n == 0:
        raise DicomError(f"{where}: no ring of cortex (>= {thr:g} HU) found; give the landmarks by hand")
    area = np.bincount(lab.ravel()) * sp[0] * sp[1]
    area[0] = 0
    # the body's interior is the most anterior large hole near the middle of the series; the
    # canal (behind it) is large too, and the ring is widest at the endplate rims, so neither
    # "largest" nor "nearest the middle" alone finds it
    ids = np.arange(n + 1)
    k_of = np.asarray(ndi.maximum(np.arange(len(z))[:, None, None] * np.ones_like(lab[:1]), lab, ids))
    cy = np.asarray(ndi.mean(np.broadcast_to(y[None, :, None], lab.shape), lab, ids))
    big = np.flatnonzero(area >= _MIN_BODY_MM2)
    if not big.size:
        raise DicomError(f"{where}: no vertebral body found near the middle of the series; give the landmarks by hand")
    kmid = len(z) // 2 if near_mm is None else int(np.argmin(np.abs(z - near_mm[2])))
    near = big[np.abs(z[k_of[big].astype(int)] - z[kmid]) <= _SEARCH_MM]
    if near_mm is not None:
        cx_ = np.asarray(ndi.mean(np.broadcast_to(x[None, None, :], lab.shape), lab, ids))
        near = near[np.hypot(cx_[near] - near_mm[0], cy[near] - near_mm[1]) <= 20.0]
        if not near.size:
            raise DicomError(f"{where}: no vertebral body ring found within 20 mm of ({near_mm[0]:.1f}, "
                             f"{near_mm[1]:.1f}, {near_mm[2]:.1f}) mm; give the landmarks by hand")
    pool = near if near.size else big
    front = pool[cy[pool] <= cy[pool].min() + _FRONT_MM]
    h0 = int(front[np.argmin(np.abs(k_of[front] - kmid) - 1e-6 * area[front])])
    k0 = int(k_of[h0])
    best = np.zeros(len(z), int)
    best[k0] = h0
    body_hole = lab[k0] == best[k0]
    jj, ii = np.nonzero(body_hole)
    i_c, j_c = int(round(ii.mean())), int(round(jj.mean()))
    # walls: along y off the midline (the basivertebral foramen may open the posterior wall
    # into the canal at x = 0), from the hole's front edge; along x through the centre
    j_front = int(jj.min()) + 1
    ant, pos = [], []
    for dx in (-6.0, -5.0, 5.0, 6.0):
        i = int(np.argmin(np.abs(x - (x[i_c] + dx))))
        a = _outer_face(cortex[k0, :, i], j_front, -1)
        b = _outer_face(cortex[k0, :, i], j_front, +1)
        if a is not None and b is not None:
            ant.append(y[a])
            pos.append(y[b])
    if not ant:
        raise DicomError(f"{where}: the vertebral body's walls were not found; give the landmarks by hand")
    aw, pw = float(np.median(ant)), float(np.median(pos))
    yc = 0.5 * (aw + pw)
    j_c = int(np.argmin(np.abs(y - yc)))
    l_, r_ = _outer_face(cortex[k0, j_c], i_c, -1), _outer_face(cortex[k0, j_c], i_c, +1)
    xc = 0.5 * (x[l_] + x[r_]) if l_ is not None and r_ is not None else x[i_c]
    i_c = int(np.argmin(np.abs(x - xc)))
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
    inf = z[k] - 0.5 * sp[2]
    zc = 0.5 * (sup + inf)
    # canal: a hole behind the body, near the midline, in the body's slices
    ks = np.flatnonzero((z >= inf) & (z <= sup))
    post = pw
    canal_slices, canal_pts, canal_ids = [], [], []
    for k in ks:
        for h in np.unique(lab[k]):
            if h == 0 or area[h] < 40.0:
                continue
            hj, hi_ = np.nonzero(lab[k] == h)
            cy, cx = y[hj].mean(), x[hi_].mean()
            if cy > post and abs(cx - xc) < 8.0:
                canal_slices.append(k)
                canal_pts.append((cx, cy))
                canal_ids.append(h)
                break
    if not canal_slices:
        raise DicomError(f"{where}: no spinal canal enclosed by the pedicles found behind the body at "
                         f"z {inf:.1f} to {sup:.1f} mm; give the pedicle centres by hand")
    mid = len(canal_slices) // 2
    kp, (cx, cy) = canal_slices[mid], canal_pts[mid]
    disc = _disc(CLOSING_MM / sp[0])
    canal = ndi.binary_dilation(np.isin(lab, canal_ids), structure=disc)
    bone = (ndi.binary_erosion(filled, structure=disc) | cortex) & ~(canal & ~cortex)
    j = int(np.argmin(np.abs(y - cy)))
    centres = {}
    for side, s in (("left", 1.0), ("right", -1.0)):
        i = int(np.argmin(np.abs(x - cx)))
        step = 1 if s > 0 else -1
        while 0 <= i < len(x) and not bone[kp, j, i]:
            i += step
        r = _run(bone[kp, j], i) if 0 <= i < len(x) else None
        if r is None:
            raise DicomError(f"{where}: no {side} pedicle found beside the canal; give its centre by hand")
        w = (r[1] - r[0] + 1) * sp[0]
        medial = x[r[0]] if s > 0 else x[r[1]]
        xp = medial + s * 0.5 * min(w, 12.0)
        ip = int(np.argmin(np.abs(x - xp)))
        rz = _run(bone[:, j, ip], kp)
        zp = 0.5 * (z[rz[0]] + z[rz[1]]) if rz else z[kp]
        centres[side] = (float(xp), float(y[j]), float(zp))
    return {"body_centre_mm": (float(xc), float(yc), float(zc)),
            "pedicle_left_centre_mm": centres["left"], "pedicle_right_centre_mm": centres["right"],
            "superior_endplate_z_mm": float(sup), "inferior_endplate_z_mm": float(inf)}


def _vec(v) -> str:
    return "[" + ", ".join(f"{float(a):.1f}" for a in v) + "]"


def scenario_toml(folder_rel: str, level: str, landmarks: dict, title: str | None = None,
                  description: str = "", estimated: tuple = ()) -> str:
    """Text of a CT scenario file (see docs/scenario-format.md)."""
    for key in LANDMARK_KEYS:
        if key not in landmarks:
            raise ScenarioError("import-ct", [f"landmark {key} is missing"])
    title = title or f"Patient CT, {level}"
    note = ("# Landmarks marked 'estimated' were found automatically from the HU: check them\n"
            "# (vptrainer scenarios show FILE) before teaching with this case.\n") if estimated else ""
    desc = description.replace('"', "'")

    def mark(key):
        return "   # estimated" if key in estimated else ""

    lm = landmarks
    return (f"# CT scenario written by 'vptrainer scenarios import-ct'.\n{note}"
            f"[scenario]\ntitle = \"{title}\"\ndifficulty = \"advanced\"\n"
            f"objectives = [\n  \"Plan and perform transpedicular access on a real patient's anatomy\",\n]\n"
            f"seed = 1\ndescription = \"{desc}\"\n\n"
            f"[ct]\nfolder = \"{folder_rel}\"\nlevel = \"{level}\"\n\n[ct.landmarks]\n"
            f"body_centre_mm = {_vec(lm['body_centre_mm'])}{mark('body_centre_mm')}\n"
            f"pedicle_left_centre_mm = {_vec(lm['pedicle_left_centre_mm'])}{mark('pedicle_left_centre_mm')}\n"
            f"pedicle_right_centre_mm = {_vec(lm['pedicle_right_centre_mm'])}{mark('pedicle_right_centre_mm')}\n"
            f"superior_endplate_z_mm = {float(lm['superior_endplate_z_mm']):.1f}{mark('superior_endplate_z_mm')}\n"
            f"inferior_endplate_z_mm = {float(lm['inferior_endplate_z_mm']):.1f}{mark('inferior_endplate_z_mm')}\n")


def relative_inside(folder: Path, scenario_file: Path) -> str:
    """``folder`` relative to the scenario file's folder; ScenarioError if it lies outside."""
    base = scenario_file.resolve().parent
    target = folder.resolve()
    if not target.is_relative_to(base):
        raise ScenarioError(str(scenario_file), [
            f"{folder}: the CT folder must lie inside the scenario file's folder {base} (refused: a scenario "
            "may only refer to files beside it); write --out into a folder that contains the series"])
    return target.relative_to(base).as_posix() or "."
