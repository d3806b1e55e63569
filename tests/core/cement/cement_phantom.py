"""A small synthetic vertebra for cement unit tests (independent of the anatomy builder).

A box-shaped body (40 x 30 x 24 mm) of cancellous bone inside a 1 mm cortex, a
basivertebral vein from the centre through the posterior wall into the epidural space,
segmental veins leaving both lateral walls, discs above and below, the canal behind,
pedicles (walls) and muscle around.  Options cut a posterior-wall defect or an
endplate crack, or add a cleft.
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.landmarks import Landmarks, PedicleLandmarks
from trainer.core.anatomy.patient import Patient

HALF = (20.0, 15.0, 12.0)       # body half-sizes x, y, z (mm)


def _pedicle(side: str) -> PedicleLandmarks:
    sx = 1.0 if side == "left" else -1.0
    return PedicleLandmarks(side=side, centre_mm=(12.0 * sx, 20.0, 0.0), axis=(-0.2 * sx, -0.98, 0.0),
                            width_mm=8.0, height_mm=14.0, medial_angle_deg=12.0, sagittal_angle_deg=0.0,
                            entry_mm=(14.0 * sx, 30.0, 0.0), body_junction_mm=(11.0 * sx, 15.0, 0.0),
                            medial_wall_x_mm=8.0 * sx, lateral_wall_x_mm=16.0 * sx)


def make_phantom(*, posterior_wall_defect=False, endplate_crack=False, cleft=False, voxel_mm=0.5,
                 trabecular_hu=95) -> Patient:
    grid = Grid.from_bounds((-30.0, -24.0, -24.0), (30.0, 32.0, 24.0), voxel_mm)
    x = np.broadcast_to(grid.axis_mm("x")[None, None, :], grid.shape)
    y = np.broadcast_to(grid.axis_mm("y")[None, :, None], grid.shape)
    z = np.broadcast_to(grid.axis_mm("z")[:, None, None], grid.shape)
    ax, ay, az = HALF
    lab = np.full(grid.shape, int(Label.MUSCLE), np.uint8)
    outer = (np.abs(x) <= ax) & (np.abs(y) <= ay) & (np.abs(z) <= az)
    inner = (np.abs(x) <= ax - 1) & (np.abs(y) <= ay - 1) & (np.abs(z) <= az - 1)
    lab[outer] = Label.BODY_CORTEX
    lab[inner] = Label.CANCELLOUS
    disc = (np.abs(x) <= ax) & (np.abs(y) <= ay) & (np.abs(z) > az) & (np.abs(z) <= az + 9)
    lab[disc] = Label.DISC
    lab[(np.abs(x) <= ax) & (np.abs(y) <= ay) & (np.abs(z) > az + 9)] = Label.ADJACENT_VERTEBRA
    canal = (np.abs(x) <= 9) & (y > ay) & (y <= ay + 15)
    lab[canal] = Label.CANAL
    for sx in (1, -1):
        ped = (np.abs(x - 12 * sx) <= 4) & (y > ay) & (y <= ay + 15) & (np.abs(z) <= 7)
        lab[ped] = Label.PEDICLE_LEFT if sx > 0 else Label.PEDICLE_RIGHT
        lab[(np.abs(x - 12 * sx) <= 3) & (y > ay) & (y <= ay + 10) & (np.abs(z) > 7) & (np.abs(z) <= az)] = \
            Label.FORAMEN_LEFT if sx > 0 else Label.FORAMEN_RIGHT
    # basivertebral vein: centre of the body -> posterior wall -> epidural plexus
    bv = (np.abs(x) <= 1.0) & (np.abs(z) <= 1.0) & (y >= 2.0) & (y <= ay + 1.5)
    bv |= (np.abs(x) <= 1.0) & (y > ay) & (y <= ay + 1.5) & (np.abs(z) <= 20)
    lab[bv] = Label.BASIVERTEBRAL_VEIN
    # segmental veins: posterolateral, through the lateral walls to the edge
    for sx in (1, -1):
        sv = (np.abs(y - 9.0) <= 1.0) & (np.abs(z) <= 1.0) & (x * sx >= ax - 5) & (x * sx <= 30)
        lab[sv] = Label.SEGMENTAL_VEIN
    if posterior_wall_defect:
        lab[(np.abs(x - 4.0) <= 3.0) & (np.abs(z + 4.0) <= 3.0) & (y > ay - 1.5) & (y <= ay)] = Label.CANCELLOUS
    if endplate_crack:
        lab[(np.abs(x) <= 12.0) & (np.abs(y + 6.0) <= 0.75) & (z > az - 1.5) & (z <= az)] = Label.CANCELLOUS
    if cleft:
        lab[(np.abs(x) <= 8.0) & (np.abs(y + 2.0) <= 4.0) & (np.abs(z - 6.0) <= 1.5)] = Label.CLEFT
    hu = np.zeros(grid.shape, np.int16)
    hu[lab == Label.CANCELLOUS] = trabecular_hu
    hu[lab == Label.BODY_CORTEX] = 1200
    hu[lab == Label.MUSCLE] = 50
    lm = Landmarks(level="L1", body_centre_mm=(0.0, 0.0, 0.0), superior_endplate_z_mm=az, inferior_endplate_z_mm=-az,
                   posterior_wall_y_mm=ay, anterior_wall_y_mm=-ay, body_width_mm=2 * ax, anterior_height_mm=2 * az,
                   middle_height_mm=2 * az, posterior_height_mm=2 * az, pedicle_left=_pedicle("left"),
                   pedicle_right=_pedicle("right"), spinous_tip_mm=(0.0, 60.0, 0.0),
                   canal_centre_mm=(0.0, ay + 7.5, 0.0),
                   canal_width_mm=18.0, canal_depth_mm=15.0, skin_y_mm=80.0,
                   basivertebral_foramen_mm=(0.0, ay, 0.0))
    return Patient(volume=Volume(hu=hu, labels=lab, grid=grid), landmarks=lm)


#: a well-placed tip in the phantom: anterior third (depth fraction 0.77), near the midline
TIP = (2.0, -8.0, 0.0)
