"""A small analytic vertebra phantom with known geometry for trocar and wall tests.

Body: elliptic cylinder (semi-axes 22 x 16 mm, z -12..12) with a 1 mm cortex; canal: a
box |x| <= 9.5, y 15..34 behind the body; pedicles: elliptic tubes (8 x 14 mm) along axes 12 deg
medial, from the body's posterior wall back to the laminae; laminae y 34..40; then
muscle, fat (y 60..68), skin (68..70) and air behind.  LPS mm, origin at the body centre.
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.landmarks import Landmarks, PedicleLandmarks
from trainer.core.anatomy.patient import Patient

MEDIAL_DEG = 12.0
PED_W, PED_H = 8.0, 14.0
SKIN_Y = 70.0


def _pedicle(side: str):
    sx = 1.0 if side == "left" else -1.0
    a = np.radians(MEDIAL_DEG)
    axis = np.array([-sx * np.sin(a), -np.cos(a), 0.0])
    centre = np.array([sx * 13.0, 25.0, 0.0])
    t_entry, t_junction = -9.5, 9.0
    return centre, axis, t_entry, t_junction


def make_phantom(voxel_mm: float = 0.5) -> Patient:
    grid = Grid.from_bounds((-45.0, -30.0, -24.0), (45.0, 75.0, 24.0), voxel_mm)
    z, y, x = np.meshgrid(grid.axis_mm("z"), grid.axis_mm("y"), grid.axis_mm("x"), indexing="ij")
    lab = np.full(grid.shape, Label.MUSCLE, np.uint8)
    lab[y >= 60] = Label.FAT
    lab[y >= 68] = Label.SKIN
    lab[y > SKIN_Y] = Label.AIR
    lab[(y >= 34) & (y <= 40) & (np.abs(x) <= 22)] = Label.POSTERIOR_ELEMENTS
    lab[(np.abs(x) <= 9.5) & (y > 15) & (y < 34)] = Label.CANAL
    body = ((x / 22) ** 2 + (y / 16) ** 2 <= 1) & (np.abs(z) <= 12)
    core = ((x / 21) ** 2 + (y / 15) ** 2 <= 1) & (np.abs(z) <= 11)
    lab[body] = Label.BODY_CORTEX
    lab[core] = Label.CANCELLOUS
    lab[(np.abs(z) > 12) & (np.abs(z) <= 20) & ((x / 22) ** 2 + (y / 16) ** 2 <= 1)] = Label.DISC
    peds = {}
    for side, label in (("left", Label.PEDICLE_LEFT), ("right", Label.PEDICLE_RIGHT)):
        c, ax, t0, t1 = _pedicle(side)
        med = np.array([-1.0 if side == "left" else 1.0, 0.0, 0.0])
        med = med - ax * (med @ ax)
        med /= np.linalg.norm(med)
        d = np.stack([x - c[0], y - c[1], z - c[2]], axis=-1)
        t = d @ ax
        m = d @ med
        s = d[..., 2]
        tube = ((m / (PED_W / 2)) ** 2 + (s / (PED_H / 2)) ** 2 <= 1) & (t >= t0) & (t <= t1 + 3) & ~body
        lab[tube] = label
        peds[side] = PedicleLandmarks(
            side=side, centre_mm=tuple(c), axis=tuple(ax), width_mm=PED_W, height_mm=PED_H,
            medial_angle_deg=MEDIAL_DEG, sagittal_angle_deg=0.0, entry_mm=tuple(c + t0 * ax),
            body_junction_mm=tuple(c + t1 * ax), medial_wall_x_mm=float(c[0] + med[0] * PED_W / 2),
            lateral_wall_x_mm=float(c[0] - med[0] * PED_W / 2))
    hu = np.zeros(grid.shape, np.int16)
    hu[lab == Label.AIR] = -1000
    hu[lab == Label.CANCELLOUS] = 100
    hu[np.isin(lab, [Label.BODY_CORTEX, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT, Label.POSTERIOR_ELEMENTS])] = 1200
    vol = Volume(hu=hu, labels=lab, grid=grid)
    lm = Landmarks(level="L1", body_centre_mm=(0.0, 0.0, 0.0), superior_endplate_z_mm=12.0,
                   inferior_endplate_z_mm=-12.0, posterior_wall_y_mm=16.0, anterior_wall_y_mm=-16.0,
                   body_width_mm=44.0, anterior_height_mm=24.0, middle_height_mm=24.0, posterior_height_mm=24.0,
                   pedicle_left=peds["left"], pedicle_right=peds["right"], spinous_tip_mm=(0.0, 45.0, 0.0),
                   canal_centre_mm=(0.0, 24.5, 0.0), canal_width_mm=19.0, canal_depth_mm=19.0,
                   skin_y_mm=SKIN_Y, basivertebral_foramen_mm=(0.0, 16.0, 0.0))
    return Patient(volume=vol, landmarks=lm, source="test phantom")


def rotate_z(v, deg):
    """Rotate a vector about the patient's long axis by ``deg`` (positive: +x towards +y)."""
    t = np.radians(deg)
    r = np.array([[np.cos(t), -np.sin(t), 0.0], [np.sin(t), np.cos(t), 0.0], [0.0, 0.0, 1.0]])
    return r @ np.asarray(v, float)


def medial_rotation(side):
    """Sign of a rotation about z that turns a pedicle axis medially."""
    return -1.0 if side == "left" else 1.0
