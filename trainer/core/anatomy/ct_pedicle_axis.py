"""The pedicle's axis, isthmus and walls of a labelled patient CT, from its bone.

On a real CT the pedicle is measured from the label volume's bone (every bone label and the
vertebral body: the same "inside" the breach model measures against,
:mod:`trainer.core.procedure.walls`), not from the HU profile of a few rows: the axis is the
straight line through the isthmus that stays deepest inside bone from just behind the
isthmus to the target depth in the body, as a surgeon plans it on the CT.

How (:func:`fit_pedicle`)
-------------------------
1. *Clearance*: the Euclidean distance (mm) from each bone voxel to the nearest non-bone
   voxel (one transform of the fine volume for both pedicles).
2. *Axis*: every line through a point within :data:`CENTRE_SEARCH_MM` of the given isthmus
   centre (x and z), at medial angles :data:`MEDIAL_RANGE_DEG` and sagittal angles
   :data:`SAGITTAL_RANGE_DEG` (4 deg and 1.5 mm steps, then 2 deg and 1 mm around the best),
   is sampled every 0.5 mm; its depth in
   bone is the smallest clearance from :data:`BEHIND_MM` behind the centre to 3 mm in front
   of the body's posterior wall (the pedicle), provided the rest of the line, to the plan's
   target depth, stays at least 1 mm inside the body.  The deepest line, less
   :data:`PRIOR_MM_PER_DEG` per degree off the vertebra's own medial angle
   (:data:`PRIOR_MEDIAL_DEG`, turned by the vertebra's axial rotation) and off a sagittal
   angle of 0, sets the corridor: of the lines through the same point at the same medial
   angle within :data:`CORRIDOR_MM` of it (the plan turns medially itself), the surgeon's
   aim is the one that reaches the target depth nearest the body's mid-height.  The
   point of the line nearest the given centre is the refined isthmus centre.
3. *Walls*: in the plane through the centre perpendicular to the axis, the bone runs
   through the centre along the medial and the superior direction give the medial wall
   (the canal side), the width and the height.  A lateral run longer than the medial one
   (the pedicle merges with a transverse process or a rib head) counts as long as the
   medial one plus 1 mm.

A thoracolumbar pedicle is 5-10 mm wide and 10-17 mm high at its isthmus, its axis 0-15 deg
medial (FACTS.md 1.3); vertebral rotation in a scoliotic spine adds to one side and takes
from the other, hence the wide angle ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.grid import Volume
from trainer.core.anatomy.labels import Label

__all__ = ["Clearance", "PedicleFit", "bone_mask", "fit_pedicle", "vertebra_rotation_deg"]

MEDIAL_RANGE_DEG = (-15.0, 40.0)
SAGITTAL_RANGE_DEG = (-25.0, 25.0)
#: prior: the pedicle's own medial angle (deg) in the vertebra's frame, and the clearance (mm)
#: a line gives up per degree away from it (and from a sagittal angle of 0): a line through a
#: rib head or a facet column can be as deep in bone as the pedicle's own axis
PRIOR_MEDIAL_DEG = 10.0
PRIOR_MM_PER_DEG = 0.02
#: the aim: lines this close (mm, at most a third of the best) to the deepest are all safe; of
#: them (same medial angle and x) the one whose target is nearest the body's mid-height wins
CORRIDOR_MM = 1.0
CENTRE_SEARCH_MM = 3.0
BEHIND_MM = 4.0
_STEP_MM = 0.5
_WALL_MARGIN_MM = 3.0
_BODY_CLEARANCE_MM = 1.0
_OUTSIDE_PENALTY_MM = 10.0
_HOST = frozenset({Label.BODY_CORTEX, Label.CANCELLOUS, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT,
                   Label.POSTERIOR_ELEMENTS, Label.ADJACENT_VERTEBRA, Label.RIB, Label.BASIVERTEBRAL_VEIN,
                   Label.CLEFT})


@dataclass(frozen=True)
class PedicleFit:
    """One pedicle fitted to the bone (mm, the patient's coordinates)."""

    centre_mm: tuple
    axis: tuple                 #: unit vector, posterior to anterior
    medial_angle_deg: float     #: positive medial
    sagittal_angle_deg: float   #: positive caudal going anterior
    width_mm: float
    height_mm: float
    medial_wall_x_mm: float
    lateral_wall_x_mm: float
    clearance_mm: float         #: smallest distance from the axis to non-bone, behind the isthmus to the target


def bone_mask(volume: Volume) -> np.ndarray:
    """Bone and vertebral body voxels of a labelled volume (bool)."""
    lut = np.zeros(256, bool)
    lut[[int(v) for v in _HOST]] = True
    return lut[volume.labels]


def _axis(side: str, medial_deg, sagittal_deg) -> np.ndarray:
    """Unit axes (..., 3) for angle arrays: anterior (-y), medial (towards x = 0), caudal for positive sagittal."""
    s = 1.0 if side == "left" else -1.0
    m, t = np.radians(medial_deg), np.radians(sagittal_deg)
    return np.stack(np.broadcast_arrays(-s * np.sin(m) * np.cos(t), -np.cos(m) * np.cos(t), -np.sin(t)), axis=-1)


class Clearance:
    """Clearance (mm) of a bone mask (distance from each bone voxel to the nearest non-bone
    voxel, 0 outside bone), looked up at the nearest voxel of points in mm; one transform serves
    both pedicles.  With ``lo_mm``/``hi_mm`` (x, y, z) only that box is transformed; points
    outside it count as outside bone."""

    def __init__(self, bone: np.ndarray, volume: Volume, lo_mm=None, hi_mm=None):
        g = volume.grid
        sp = np.asarray(g.spacing_xyz_mm, float)
        n = np.asarray(bone.shape[::-1])
        i0 = np.zeros(3, int) if lo_mm is None else np.clip(np.floor((np.asarray(lo_mm) - g.origin_mm) / sp), 0, n - 1)
        i1 = n if hi_mm is None else np.clip(np.ceil((np.asarray(hi_mm) - g.origin_mm) / sp) + 1, 1, n)
        i0, i1 = np.asarray(i0, int), np.asarray(i1, int)
        box = bone[i0[2]:i1[2], i0[1]:i1[1], i0[0]:i1[0]]          # only where the lines run: 6x cheaper
        self.dist = ndi.distance_transform_edt(box, sampling=g.spacing_zyx_mm).astype(np.float32)
        self.origin = np.asarray(g.origin_mm, float) + i0 * sp
        self.inv = 1.0 / sp
        self.shape = np.asarray(self.dist.shape[::-1])          # x, y, z

    def at(self, pts_mm: np.ndarray) -> np.ndarray:
        ijk = np.rint((pts_mm.reshape(-1, 3) - self.origin) * self.inv).astype(np.int32)
        ok = np.all((ijk >= 0) & (ijk < self.shape), axis=1)
        out = np.zeros(len(ijk), np.float32)
        out[ok] = self.dist[ijk[ok, 2], ijk[ok, 1], ijk[ok, 0]]
        return out.reshape(pts_mm.shape[:-1])


def _lines(clear: Clearance, side, centre, y_wall: float, y_target: float, medial, sagittal, offsets):
    """Every candidate line through ``centre`` + each (dx, dz) of ``offsets`` at each pair of
    angles: (depth in bone (O, A), medial (A,), sagittal (A,), axes (A, 3),
    points (O, 3) the lines pass through, target z (O, A) where they reach ``y_target``).

    The depth is the smallest clearance from :data:`BEHIND_MM` behind the point to
    :data:`_WALL_MARGIN_MM` in front of the posterior wall (``y_wall``): the pedicle.  In the
    body the line only has to stay :data:`_BODY_CLEARANCE_MM` inside (its outer surface is
    not the pedicle's concern: maximising there turned a synthetic L1's axis 6 deg medially);
    lines that do not are scored :data:`_OUTSIDE_PENALTY_MM` lower.
    """
    M, S = (v.ravel() for v in np.meshgrid(medial, sagittal, indexing="ij"))
    a = _axis(side, M, S)                                                     # (A, 3)
    ny = np.maximum(-a[:, 1], 0.2)
    t_end = (centre[1] - y_target) / ny                                       # along-axis length to the target depth
    t_wall = (centre[1] - y_wall) / ny + _WALL_MARGIN_MM
    n = int(np.ceil((t_end.max() + BEHIND_MM) / _STEP_MM)) + 1
    t = -BEHIND_MM + _STEP_MM * np.arange(n)                                  # (T,)
    in_ped = t[None, :] <= np.minimum(t_wall, t_end)[:, None]                 # (A, T)
    in_body = (t[None, :] > t_wall[:, None]) & (t[None, :] <= t_end[:, None])
    cs = np.asarray(centre, float)[None, :] + np.array([(dx, 0.0, dz) for dx, dz in offsets])
    d = np.empty((len(cs), len(a)), np.float32)
    for o, c in enumerate(cs):
        cl = clear.at(c[None, None, :] + t[None, :, None] * a[:, None, :])   # (A, T)
        ped = np.where(in_ped, cl, np.inf).min(axis=1)
        body = np.where(in_body, cl, np.inf).min(axis=1)
        d[o] = np.where(body >= _BODY_CLEARANCE_MM, ped, ped - _OUTSIDE_PENALTY_MM)
    z_t = cs[:, 2:3] + t_end[None, :] * a[None, :, 2]
    return d, M, S, a, cs, z_t


def _run_mm(clear: Clearance, c, direction, reach_mm: float = 15.0) -> float:
    """Distance (mm) from ``c`` along ``direction`` to the first non-bone sample (``reach_mm`` if none)."""
    s = np.arange(0.0, reach_mm + 1e-9, 0.25)
    inside = clear.at(np.asarray(c)[None, :] + s[:, None] * np.asarray(direction)[None, :]) > 0
    out = np.flatnonzero(~inside)
    return float(s[out[0]] - 0.125) if out.size else float(reach_mm)


def vertebra_rotation_deg(pedicle_left_mm, pedicle_right_mm, body_centre_mm=(0.0, 0.0, 0.0)) -> float:
    """Axial rotation of the vertebra (deg, positive: its front turned towards the patient's left, +x):
    the direction from the pedicle centres' midpoint to the body centre."""
    mid = 0.5 * (np.asarray(pedicle_left_mm, float) + np.asarray(pedicle_right_mm, float))
    d = np.asarray(body_centre_mm, float) - mid
    return float(np.degrees(np.arctan2(d[0], -d[1])))


def fit_pedicle(volume: Volume, centre_mm, side: str, y_wall_mm: float, y_target_mm: float,
                bone: np.ndarray | None = None, rotation_deg: float = 0.0, z_aim_mm: float = 0.0,
                clearance: Clearance | None = None) -> PedicleFit:
    """Fit one pedicle's axis, isthmus centre and walls to the bone of a labelled volume.

    Parameters
    ----------
    volume : Volume
        Labelled fine volume (mm, re-centred on the body centre).
    centre_mm : (x, y, z)
        The isthmus centre as estimated (mm).
    side : str
        ``'left'`` (+x) or ``'right'``.
    y_wall_mm : float
        The vertebral body's posterior wall (y mm): the pedicle ends 3 mm in front of it.
    y_target_mm : float
        Depth (y mm) the line must reach inside the body (the plan's target depth).
    bone : ndarray of bool, optional
        :func:`bone_mask` of ``volume`` (computed when not given).
    rotation_deg : float
        The vertebra's axial rotation (:func:`vertebra_rotation_deg`): the prior medial angle is
        :data:`PRIOR_MEDIAL_DEG` minus it on the left, plus it on the right.
    z_aim_mm : float
        Height (z mm) the line should reach the target depth at: the body's mid-height.
    clearance : Clearance, optional
        The bone's :class:`Clearance` (computed when not given; pass one for both sides).

    Returns
    -------
    PedicleFit
    """
    if clearance is None:
        clearance = Clearance(bone_mask(volume) if bone is None else bone, volume)
    clear = clearance
    c0 = np.asarray(centre_mm, float)
    sgn = 1.0 if side == "left" else -1.0
    prior = PRIOR_MEDIAL_DEG - sgn * rotation_deg

    def grid2(lo, hi, step):
        return np.arange(lo, hi + 1e-9, step)

    def search(centre, medial, sagittal, offsets):
        d, M, S, _, cs, z_t = _lines(clear, side, centre, y_wall_mm, y_target_mm, medial, sagittal, offsets)
        penalty = PRIOR_MM_PER_DEG * (np.abs(M - prior) + np.abs(S))
        o, i = np.unravel_index(int(np.argmax(d - penalty[None, :])), d.shape)
        return d, M, S, cs, z_t, o, i

    # coarse (4 deg, 1.5 mm), then fine (2 deg, 1 mm) around the best line: 5 % of the full grid's lines
    lo_m, hi_m = MEDIAL_RANGE_DEG
    lo_s, hi_s = SAGITTAL_RANGE_DEG
    r = CENTRE_SEARCH_MM
    coarse = [(dx, dz) for dx in grid2(-r, r, 1.5) for dz in grid2(-r, r, 1.5)]
    d, M, S, cs, z_t, o, i = search(c0, grid2(lo_m, hi_m, 4.0), grid2(lo_s, hi_s, 4.0), coarse)
    c1, m1, s1 = cs[o], float(M[i]), float(S[i])
    fine = [(dx, dz) for dx in (-1.0, 0.0, 1.0) for dz in (-1.0, 0.0, 1.0)
            if abs(c1[0] + dx - c0[0]) <= r + 1e-9 and abs(c1[2] + dz - c0[2]) <= r + 1e-9]
    d, M, S, cs, z_t, o, i = search(c1, np.clip(m1 + grid2(-4.0, 4.0, 2.0), lo_m, hi_m),
                                    np.clip(s1 + grid2(-4.0, 4.0, 2.0), lo_s, hi_s), fine)
    best, c2, m2 = float(d[o, i]), cs[o], float(M[i])
    # the surgeon's aim inside the safe corridor: of the lines through that point at that medial
    # angle (the isthmus is where it is, and the plan turns medially itself) within CORRIDOR_MM
    # (at most a third) of the deepest, the one whose target lies nearest the body's mid-height
    d, M, S, cs, z_t, _, _ = search(c2, np.array([m2]), grid2(lo_s, hi_s, 2.0), [(0.0, 0.0)])
    ok = d >= best - min(CORRIDOR_MM, best / 3.0)
    cost = np.where(ok, np.abs(z_t - z_aim_mm), np.inf)
    o, i = np.unravel_index(int(np.argmin(cost)), cost.shape)
    score, m, s, c = float(d[o, i]), float(M[i]), float(S[i]), cs[o]
    axis = _axis(side, m, s)
    # the refined centre: the point of the line nearest the estimate
    c = c + float((c0 - c) @ axis) * axis
    medial = np.array([-sgn, 0.0, 0.0])
    medial = medial - axis * (medial @ axis)
    medial /= np.linalg.norm(medial)
    sup = np.cross(axis, medial)
    sup = sup if sup[2] >= 0 else -sup
    dm, dl = _run_mm(clear, c, medial), _run_mm(clear, c, -medial)
    du, dd = _run_mm(clear, c, sup), _run_mm(clear, c, -sup)
    vox = float(min(volume.grid.spacing_xyz_mm))
    # at least a voxel: a centre outside the bone (a failed estimate) gives runs of zero
    width = max(dm + min(dl, dm + 1.0), vox)
    height = max(min(du + dd, 2.0 * min(du, dd) + 2.0), vox)   # not the facet column or the body above / below
    # the walls' x on the transverse line through the isthmus (as the synthetic patient defines them)
    wx_m = _run_mm(clear, c, np.array([-sgn, 0.0, 0.0]))
    wx_l = min(_run_mm(clear, c, np.array([sgn, 0.0, 0.0])), wx_m + 1.0)
    return PedicleFit(centre_mm=tuple(float(v) for v in c), axis=tuple(float(v) for v in axis),
                      medial_angle_deg=float(m), sagittal_angle_deg=float(s), width_mm=float(width),
                      height_mm=float(height), medial_wall_x_mm=float(c[0] - sgn * wx_m),
                      lateral_wall_x_mm=float(c[0] + sgn * wx_l), clearance_mm=float(score))
