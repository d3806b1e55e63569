"""Landmarks of the built patient: analytic geometry plus ray-marched entry and junction points."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.grid import Volume
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.landmarks import Landmarks, PedicleLandmarks

__all__ = ["compute_landmarks", "march", "BODY_SET", "BONE_SET"]

BODY_SET = frozenset({Label.BODY_CORTEX, Label.CANCELLOUS, Label.BASIVERTEBRAL_VEIN, Label.CLEFT})
BONE_SET = frozenset({Label.BODY_CORTEX, Label.CANCELLOUS, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT,
                      Label.POSTERIOR_ELEMENTS, Label.ADJACENT_VERTEBRA, Label.RIB})


def march(volume: Volume, start, direction, length_mm: float, step_mm: float = 0.1):
    """Points and labels along ``start + s * direction`` for s in [0, length_mm]."""
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d)
    s = np.arange(0.0, length_mm + 1e-9, step_mm)
    pts = np.asarray(start, float)[None] + s[:, None] * d[None]
    return s, pts, volume.label_at(pts)


def _pedicle(volume: Volume, geom, d) -> PedicleLandmarks:
    axis = np.asarray(geom.axis, float)
    _, pts, lab = march(volume, geom.centre, -axis, 60.0)
    bone = np.isin(lab, [int(v) for v in BONE_SET])
    out = np.flatnonzero(~bone)
    entry = pts[out[0] - 1] if out.size and out[0] > 0 else pts[-1]
    _, pts2, lab2 = march(volume, geom.centre, axis, 60.0)
    body = np.isin(lab2, [int(v) for v in BODY_SET])
    hit = np.flatnonzero(body)
    junction = pts2[hit[0]] if hit.size else geom.centre + geom.s_ant_mm * axis
    return PedicleLandmarks(
        side=geom.side, centre_mm=tuple(float(v) for v in geom.centre), axis=tuple(float(v) for v in axis),
        width_mm=float(geom.width_mm), height_mm=float(geom.height_mm),
        medial_angle_deg=float(d.medial_angle_deg), sagittal_angle_deg=float(d.sagittal_angle_deg),
        entry_mm=tuple(float(v) for v in entry), body_junction_mm=tuple(float(v) for v in junction),
        medial_wall_x_mm=float(geom.medial_wall_x_mm), lateral_wall_x_mm=float(geom.lateral_wall_x_mm))


def compute_landmarks(params, col, torso, fine: Volume, foramen) -> Landmarks:
    """Landmarks of the target vertebra of ``col`` (mm, LPS)."""
    t = col.target
    b = t.body
    d = t.dims
    z0 = np.float64(0.0)

    def height(y):
        top, bot = b.surfaces_local(z0, np.float64(y))
        return float(top - bot)

    top_c, bot_c = (float(v) + b.zc for v in b.surfaces_local(z0, z0))
    root, tip = t.spinous_points(torso.skin_y_mm)
    canal_c = (0.0, b.posterior_y + 0.5 * d.canal_depth_mm, t.z_isthmus)
    zmid = 0.5 * (top_c + bot_c)
    return Landmarks(
        level=params.level,
        body_centre_mm=(0.0, 0.0, zmid),
        superior_endplate_z_mm=top_c,
        inferior_endplate_z_mm=bot_c,
        posterior_wall_y_mm=float(b.posterior_y),
        anterior_wall_y_mm=float(-b.b),
        body_width_mm=float(2 * b.a),
        anterior_height_mm=height(-b.b + 1.0),
        middle_height_mm=height(0.0),
        posterior_height_mm=height(b.b - 1.0),
        pedicle_left=_pedicle(fine, t.pedicles["left"], d),
        pedicle_right=_pedicle(fine, t.pedicles["right"], d),
        spinous_tip_mm=tuple(float(v) for v in tip),
        canal_centre_mm=canal_c,
        canal_width_mm=float(d.canal_width_mm),
        canal_depth_mm=float(d.canal_depth_mm),
        skin_y_mm=float(torso.skin_y_mm),
        basivertebral_foramen_mm=tuple(float(v) for v in foramen),
    )
