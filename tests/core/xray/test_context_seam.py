"""The seam between a CT patient's fine box and its coarse context draws no line.

A real CT's context keeps the series' own slices (3 mm in the TotalSegmentator CT); the fine box
is resampled at 1 mm from the same positions, so a context slice can be centred exactly on the
box's face.  The context builder empties every context voxel whose centre lies in the closed box;
the renderer refilled only those strictly inside, so that slice stayed air and every AP and
lateral of the abdominal CT showed two bright bands across the whole body at the box's top and
bottom (the gallery's ``real_totalseg_l4``).  Oracle: a uniform water slab, whose water path along
each ray is the slab thickness times the ray's secant.
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_patient import _context
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.patient import Patient
from trainer.core.xray.geometry import AP, LATERAL, CArmGeometry
from trainer.core.xray.projector import frame_rays
from trainer.core.xray.renderer import FluoroRenderer

SLAB_MM = 150.0          # water between y = -75 and +75 mm (AP) / x = -75 and +75 (lateral)


def _water(grid: Grid, axis: str) -> Volume:
    hu = np.full(grid.shape, -1000, np.int16)
    a = grid.axis_mm(axis)
    inside = np.abs(a) <= SLAB_MM / 2
    if axis == "y":
        hu[:, inside, :] = 0
    else:
        hu[:, :, inside] = 0
    lab = np.where(hu == 0, Label.MUSCLE, Label.AIR).astype(np.uint8)
    return Volume(hu, lab, grid)


def _patient(axis: str) -> Patient:
    # fine box z faces at -34.5018 / +34.4982 mm; a 3 mm context slice is centred on the lower one
    fine = Grid((69, 181, 181), (1.0, 1.0, 1.0), (-90.0, -90.0, -34.0018))
    ct = Grid((120, 120, 120), (3.0, 3.0, 3.0), (-178.5, -178.5, -34.5018 - 3.0 * 60))
    assert np.isclose(ct.axis_mm("z"), fine.origin_mm[2] - 0.5).any()
    return Patient(volume=_water(fine, axis), landmarks=None, context=[_context(_water(ct, axis), fine)[0]],
                   params=None, source="water slab")


def test_no_band_at_the_fine_box_faces():
    geom = CArmGeometry(pixels=128)
    for pose, axis in ((AP, "y"), (LATERAL, "x")):
        r = FluoroRenderer(_patient(axis), geom)
        water, _ = r.basis_integrals(pose)
        want = SLAB_MM * frame_rays(r.frame(pose)).path
        # every pixel, the rows through both faces included (before: 35-55 % of the path missing there)
        assert np.abs(water / want - 1.0).max() < 0.02
