"""The target vertebra's own axial rotation, and the C-arm's true AP and true lateral for it.

A true AP is the AP *of the vertebra*: the beam runs along the vertebra's own midsagittal
plane, so the pedicles sit symmetrically in the body outline and the spinous process midway
between them.  On the table a real vertebra is turned about the long axis by a few degrees
(the reference TotalSegmentator masks of the two real CTs: 0-7 deg, docs/realct-log.md), so
its true AP is not orbital 0 but the patient roll minus that turn.

:func:`mirror_rotation_deg` measures the turn on the CT itself: the vertebra's bone in the
axial plane (the HU between the endplates, averaged over the slab) is mirrored about a line
through the canal, and the line's angle that makes the mirrored image match best is the
vertebra's midsagittal line.  Mirror symmetry is what the radiologist squares on (the
pedicle ovals alike, the spinous process in the middle), and it uses the whole ring (body,
pedicles, laminae, spinous process) rather than two points: the pedicle centres alone turned
the estimate 4-9 deg away from the mask's at four of the ten real levels (round 22).
A synthetic patient is built with no axial rotation (:class:`~trainer.core.anatomy.params.AnatomyParams`
has no such parameter): its turn is 0.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

__all__ = ["MirrorSearch", "mirror_rotation_deg", "true_ap_orbital_deg", "true_lateral_orbital_deg",
           "MIRROR_RADIUS_MM", "MIRROR_SEARCH_DEG", "MIRROR_EXTENDED_DEG", "TURNED_DEG"]

#: the bone mirrored lies within this distance (mm) of the canal: body, pedicles, laminae and
#: the spinous process's root, not the ribs' shafts nor the psoas' neighbours
MIRROR_RADIUS_MM = 45.0
#: the turns searched (deg either way): real vertebrae on the table turn up to about 10 deg
#: (the two real CTs' masks: 0-7 deg), scoliotic ones more
MIRROR_SEARCH_DEG = 25.0
#: ... and where the best lies at that search's edge, this far: scoliotic vertebrae turn 10-30 deg and a
#: patient rolled on a wedge adds the roll (the chest CT turned +20 deg: L1, 10.7 deg square, read 26.0 at
#: the edge, 30.6 searched this far).  Searched this far from the start, T10 turned -20 deg (3.4 square)
#: read -28.1 instead of -16.6: a second, wider peak (docs/realct-log.md, pass 81)
MIRROR_EXTENDED_DEG = 40.0
#: a vertebra turned this far (deg) about the long axis is measured in its own frame (the import's landmark
#: estimate, ``ct_import._squared``; the labels and the wall landmarks, ``ct_patient`` via ``ct_turn``; the column's
#: rib and sacrum tests, ``ct_spine.column_turn_deg``): the unturned
#: real CTs' levels turn up to 10.7 deg (chest L1) and keep the grid's axes.  Lower for the labels it cost the
#: accuracy table (pass 156, 8 deg: the chest L1, 10.5-10.7 deg, labelled in its own frame, pedicle Dice 0.79 / 0.79
#: -> 0.34 / 0.40, 115 -> 110 of the 120 required cells) and did not mend the abdominal CT turned -20..+20 deg
#: (with its own frame at 3 mm: 22 of 40 turned levels poor at 12 deg, 21 at 10, 22 at 8)
TURNED_DEG = 12.0
#: the most mirrored points sampled in one call (:meth:`MirrorSearch._matches`): 16 MB of coordinates
_BATCH_POINTS = 1_000_000
_HU_LO, _HU_HI = 100.0, 600.0      # HU scaled 0..1 in between: marrow to cortex; soft tissue 0


def _slab_image(volume, z_lo_mm: float, z_hi_mm: float) -> np.ndarray:
    """Mean over the slices within ``z_lo_mm``..``z_hi_mm`` of the HU scaled 0..1 (y, x)."""
    z = volume.grid.axis_mm("z")
    ks = np.flatnonzero((z >= z_lo_mm) & (z <= z_hi_mm))
    if ks.size == 0:
        ks = np.array([int(np.argmin(np.abs(z - 0.5 * (z_lo_mm + z_hi_mm))))])
    hu = np.asarray(volume.hu[ks], np.float32)
    return np.clip((hu - _HU_LO) / (_HU_HI - _HU_LO), 0.0, 1.0).mean(axis=0)


def mirror_rotation_deg(volume, pivot_mm, z_lo_mm: float, z_hi_mm: float, step_deg: float = 0.1,
                        coarse_deg: float = 1.0) -> float:
    """Axial rotation (deg, positive: the vertebra's front turned towards the patient's left, +x)
    at which the slab's bone is most nearly its own mirror image.

    Parameters
    ----------
    volume : Volume
        HU (and grid, LPS mm) holding the vertebra.
    pivot_mm : sequence of float
        (x, y, ...) of a point on the vertebra's midline, mm: the canal centre.  The line may
        pass up to 6 mm to either side of it (searched).
    z_lo_mm, z_hi_mm : float
        The slab (mm): the body's endplates.
    step_deg : float
        Resolution of the answer, deg.
    coarse_deg : float
        Step of the first, coarse search (deg, and mm for the line's offset); the answer is refined within
        +-1 of its best.  2 costs a third of 1 (the column's per-slab turn, ``ct_spine.column_turn_deg``,
        which only asks whether a slab is turned 12 deg or more).

    Returns
    -------
    float
        The turn, deg, within +-:data:`MIRROR_SEARCH_DEG`, or +-:data:`MIRROR_EXTENDED_DEG` where the best
        of the first search lies at its edge; rounded to ``step_deg``.
    """
    search = MirrorSearch(volume, pivot_mm, z_lo_mm, z_hi_mm, coarse_deg)
    return search.refined_deg(step_deg)


class MirrorSearch:
    """:func:`mirror_rotation_deg` in its two stages: the coarse search, run when made (:attr:`coarse_turn_deg`),
    and the refinement within +-1 deg (and +-1 mm of the line's offset) of its best (:meth:`refined_deg`).

    The refined turn lies within 1 deg of the coarse one, so a caller that asks only whether a slab is turned
    :data:`TURNED_DEG` or more can stop where every coarse turn is under ``TURNED_DEG - 1``
    (``ct_spine.column_turn_deg``).  Parameters as :func:`mirror_rotation_deg`.
    """

    def __init__(self, volume, pivot_mm, z_lo_mm: float, z_hi_mm: float, coarse_deg: float = 1.0):
        img = _slab_image(volume, z_lo_mm, z_hi_mm)
        g = volume.grid
        x, y = g.axis_mm("x"), g.axis_mm("y")
        px, py = float(pivot_mm[0]), float(pivot_mm[1])
        yy, xx = np.meshgrid(y, x, indexing="ij")
        near = ((xx - px) ** 2 + (yy - py) ** 2 <= MIRROR_RADIUS_MM ** 2) & (img > 0.0)
        self._img, self._x0, self._y0 = img, x[0], y[0]
        self._qx, self._qy, self._w = xx[near], yy[near], img[near]
        self._sx, self._sy = g.spacing_xyz_mm[0], g.spacing_xyz_mm[1]
        self._px, self._py = px, py
        self._seen: dict[tuple[float, float], tuple[float, float, float]] = {}   # (turn, offset) -> its match
        _, t0, o0 = self._coarse(MIRROR_SEARCH_DEG, coarse_deg)
        if abs(t0) >= MIRROR_SEARCH_DEG - 0.5:            # at the edge: the vertebra may be turned further
            _, t0, o0 = self._coarse(MIRROR_EXTENDED_DEG, coarse_deg)
        #: the coarse search's best turn (deg); the refined turn lies within 1 deg of it
        self.coarse_turn_deg = float(t0)
        self._o0 = float(o0)

    def _matches(self, turns_offsets) -> list[tuple[float, float, float]]:
        """``(match, turn deg, offset mm)`` for each ``(turn deg, offset mm)`` of ``turns_offsets``: the
        normalised correlation of the slab's bone with its mirror image about the line through the pivot moved
        ``offset`` mm across it, turned ``turn`` deg.

        The mirrored points of up to :data:`_BATCH_POINTS` pairs are sampled in one ``map_coordinates`` call:
        each point's linear interpolation is computed alone, so every point gets the value its own call gave,
        and each pair's sums are taken over its own row as before; the matches, and so the turn, are bit for bit
        those of one call per pair (the column's slabs on its 2 mm pooled grid, about a thousand points each: 0.14 ->
        0.11 s CPU per column; on 0.7 mm slabs, 7,000 points, no faster: docs/realct-log.md pass 130)."""
        pairs = [(float(t), float(o)) for t, o in turns_offsets]
        out: list[tuple[float, float, float]] = []
        w = self._w
        ww = np.dot(w, w)
        per = max(1, _BATCH_POINTS // max(1, w.size))
        for start in range(0, len(pairs), per):
            chunk = pairs[start:start + per]
            # each pair's scalars as before (np.sin, np.cos of a scalar), then the points' arithmetic of all the
            # chunk's pairs at once: the same operations on each element, so the same coordinates bit for bit
            # (pass 226: a quarter of the search's CPU was the per-pair array calls)
            ax, ay, cx, cy = (np.empty((len(chunk), 1)) for _ in range(4))
            for r, (theta_deg, offset_mm) in enumerate(chunk):
                t = np.radians(theta_deg)
                ax[r], ay[r] = -np.sin(t), np.cos(t)         # the vertebra's posterior direction
                cx[r], cy[r] = self._px + offset_mm * np.cos(t), self._py + offset_mm * np.sin(t)
            rx, ry = self._qx[None, :] - cx, self._qy[None, :] - cy
            d = rx * ax + ry * ay
            d2 = 2.0 * d
            rows = np.empty((2, len(chunk), w.size))
            rows[0] = (cy + d2 * ay - ry - self._y0) / self._sy       # (my - y0) / sy, my = cy + 2 d ay - ry
            rows[1] = (cx + d2 * ax - rx - self._x0) / self._sx
            m_all = ndi.map_coordinates(self._img, rows, order=1, cval=0.0)
            for r, (theta_deg, offset_mm) in enumerate(chunk):
                m = m_all[r]
                out.append((float(np.dot(w, m) / np.sqrt(ww * np.dot(m, m) + 1e-12)), theta_deg, offset_mm))
        return out

    def _coarse(self, reach_deg: float, coarse_deg: float):
        """The best ``(match, turn deg, offset mm)`` of the coarse grid within +-``reach_deg``; a pair an earlier
        search of this slab matched (the extended search holds the first one's) is not matched again: its match is
        the same bit for bit (each pair's points and sums are its own, :meth:`_matches`)."""
        pairs = [(float(t), float(o)) for t in np.arange(-reach_deg, reach_deg + 1e-9, coarse_deg)
                 for o in np.arange(-6.0, 6.0 + 1e-9, coarse_deg)]
        new = [p for p in pairs if p not in self._seen]
        self._seen.update(((t, o), (m, t, o)) for m, t, o in self._matches(new))
        return max(self._seen[p] for p in pairs)

    def refined_deg(self, step_deg: float = 0.1) -> float:
        """The turn (deg) refined within +-1 deg of :attr:`coarse_turn_deg` at ``step_deg``, rounded to it."""
        t0, o0 = self.coarse_turn_deg, self._o0
        fine = self._matches((t, o) for t in np.arange(t0 - 1.0, t0 + 1.0 + 1e-9, step_deg)
                             for o in np.arange(o0 - 1.0, o0 + 1.0 + 1e-9, 0.25))
        best = max(fine)[1]
        return float(round(round(best / step_deg) * step_deg, 6))


def true_ap_orbital_deg(patient_roll_deg: float, vertebra_rotation_deg: float = 0.0) -> float:
    """The orbital angle (deg) of the true AP of the target vertebra: the patient roll minus the
    vertebra's own axial rotation.  A vertebra whose front is turned towards the patient's left
    (``vertebra_rotation_deg`` > 0) turns its back, and the spinous process, to the right, and the
    beam follows its midsagittal plane at a negative orbital angle (checked on projections of the
    reference masks: docs/realct-log.md, pass 75).

    Parameters
    ----------
    patient_roll_deg : float
        The scenario's ``[carm] patient_roll_deg``, deg.
    vertebra_rotation_deg : float
        ``Landmarks.axial_rotation_deg``, deg (0 on a synthetic patient).
    """
    return float(patient_roll_deg) - float(vertebra_rotation_deg)


def true_lateral_orbital_deg(true_ap_deg: float) -> float:
    """The orbital angle (deg) of the true lateral for a true AP at ``true_ap_deg``: 90 deg on
    from it, folded back by 180 deg where that would pass 135 deg (the arm's range)."""
    ap = float(true_ap_deg)
    return 90.0 + ap if ap <= 45.0 else ap - 90.0
