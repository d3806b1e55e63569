"""``turn_if_turned_deg``: whether a vertebra is turned ``TURNED_DEG`` or more, answered without the mirror search's
refinement where its coarse turn settles it (docs/realct-log.md pass 226).

Oracle: the synthetic vertebra (built unturned, symmetric about x = 0) turned by hand about the long axis by a known
angle (voxels resampled with SciPy, as tests/core/anatomy/test_axial_rotation.py turns it): a turn well under
``TURNED_DEG`` is None, one well over it is that angle (within the resampling's tolerance) and the full search's
:func:`vertebra_turn_deg` bit for bit, including a turn beyond the first search's 25 deg (the extended search).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from trainer.core.anatomy.axial_rotation import TURNED_DEG
from trainer.core.anatomy.ct_turn import turn_if_turned_deg, vertebra_turn_deg
from trainer.core.anatomy.grid import Volume
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario

#: resolution of the answer (0.1 deg) plus the linear resampling of the turned voxels
TOLERANCE_DEG = 0.5


@pytest.fixture(scope="module")
def patient():
    return patient_for(load_scenario("l1-wedge-default"))


def _turned(volume: Volume, deg: float) -> Volume:
    """``volume`` turned by ``deg`` about the z axis through the origin: the content at (x, y) moves to Rz(deg) (x, y)."""
    g = volume.grid
    x, y = g.axis_mm("x"), g.axis_mm("y")
    yy, xx = np.meshgrid(y, x, indexing="ij")
    t = np.radians(deg)
    sx, sy = np.cos(t) * xx + np.sin(t) * yy, -np.sin(t) * xx + np.cos(t) * yy
    ci, cj = (sx - x[0]) / g.spacing_xyz_mm[0], (sy - y[0]) / g.spacing_xyz_mm[1]
    hu = np.stack([ndi.map_coordinates(sl.astype(np.float32), [cj, ci], order=1, cval=-1000.0) for sl in volume.hu])
    return Volume(hu=hu, labels=volume.labels, grid=g)


def _moved(p_mm, deg: float):
    """A point (x, y, z mm) where :func:`_turned` carries it."""
    t = np.radians(deg)
    x, y, z = (float(v) for v in p_mm)
    return (np.cos(t) * x - np.sin(t) * y, np.sin(t) * x + np.cos(t) * y, z)


def _both(patient, deg: float):
    """(``turn_if_turned_deg``, ``vertebra_turn_deg``) of the vertebra turned by ``deg`` about its pedicles' turned
    midpoint."""
    lm = patient.landmarks
    args = (_turned(patient.volume, deg), _moved(lm.pedicle_left.centre_mm, deg), _moved(lm.pedicle_right.centre_mm, deg),
            lm.inferior_endplate_z_mm, lm.superior_endplate_z_mm)
    return turn_if_turned_deg(*args), vertebra_turn_deg(*args)


@pytest.mark.parametrize("deg", [-7.0, 0.0, 9.0])
def test_a_vertebra_turned_less_is_not_turned(patient, deg):
    got, full = _both(patient, deg)
    assert got is None, (got, deg)
    assert abs(full - deg) <= TOLERANCE_DEG and abs(full) < TURNED_DEG       # the full search agrees


@pytest.mark.parametrize("deg", [-16.0, 14.0, 31.0])
def test_a_vertebra_turned_more_gives_the_full_searchs_turn(patient, deg):
    got, full = _both(patient, deg)
    assert got is not None and abs(got - deg) <= TOLERANCE_DEG, (got, deg)
    assert got == full
