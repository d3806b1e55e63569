"""The vertebra's own frame of the CT landmark estimate (ct_import._rotated_about_x): a CT turned
about the left-right axis so that plates tilted by a known angle lie level, and its points mapped
back.  Oracle: hand geometry (a one-voxel plate built tilted by 30 deg about x through a pivot)."""

import numpy as np
import pytest

from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.scenario import ct_import as ci

PIVOT = (0.0, -130.0, 240.0)
TILT_DEG = 30.0


@pytest.fixture(scope="module")
def tilted_plate():
    """A 3 mm CT holding a 3 mm thick bright plane through PIVOT rising 30 deg toward +y (back)."""
    g = Grid((41, 41, 41), (3.0, 3.0, 3.0), (-60.0, -190.0, 180.0))
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    Z, Y, _ = np.meshgrid(z, y, x, indexing="ij")
    t = np.radians(TILT_DEG)
    height = (Z - PIVOT[2]) * np.cos(t) - (Y - PIVOT[1]) * np.sin(t)    # along the plate's normal
    hu = np.where(np.abs(height) <= 1.5, 1000.0, 0.0).astype(np.float32)
    return Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=g, meta={})


def test_turned_by_its_tilt_the_plate_lies_level(tilted_plate):
    turned, _ = ci._rotated_about_x(tilted_plate, PIVOT, TILT_DEG)
    z = turned.grid.axis_mm("z")
    y = turned.grid.axis_mm("y")
    inside = np.abs(y - PIVOT[1]) <= 40.0          # within the CT's extent along the plate
    prof = turned.hu[:, inside, :].mean(axis=(1, 2))
    # level: the plate's HU is all in the slices within 3 mm of the pivot's height
    assert prof[np.abs(z - PIVOT[2]) <= 3.0].sum() >= 0.95 * prof.sum()
    # turned the other way the plate is tilted 60 deg and spreads over many slices
    other, _ = ci._rotated_about_x(tilted_plate, PIVOT, -TILT_DEG)
    prof2 = other.hu[:, inside, :].mean(axis=(1, 2))
    assert prof2[np.abs(z - PIVOT[2]) <= 3.0].sum() < 0.5 * prof2.sum()


def test_points_of_the_turned_frame_map_back_to_the_ct(tilted_plate):
    _, back = ci._rotated_about_x(tilted_plate, PIVOT, TILT_DEG)
    assert np.allclose(back(PIVOT), PIVOT)
    t = np.radians(TILT_DEG)
    # 10 mm up the turned frame's z is 10 mm along the plate's normal, which leans forward (-y)
    assert np.allclose(back((PIVOT[0], PIVOT[1], PIVOT[2] + 10.0)),
                       (PIVOT[0], PIVOT[1] - 10.0 * np.sin(t), PIVOT[2] + 10.0 * np.cos(t)))
    # and 10 mm back along its y rises with the plate
    assert np.allclose(back((PIVOT[0] + 5.0, PIVOT[1] + 10.0, PIVOT[2])),
                       (PIVOT[0] + 5.0, PIVOT[1] + 10.0 * np.cos(t), PIVOT[2] + 10.0 * np.sin(t)))
