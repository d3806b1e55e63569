"""Which hand-placed leaks the post-procedure AP shows (trainer/core/procedure/cement/radiograph.py).

The oracle is where the cement is put on the built-in L1 (by hand, from its landmarks): a small ball of
cement beside the body projects onto soft tissue on the AP but onto the vertebral body on the lateral
(the lateral's beam runs through the body); the same ball straight behind the body's cement mass
projects into that mass's shadow on the AP (the AP's beam runs front to back).  Yeom 2003 (FACTS.md 4):
a lateral misses most venous leaks, which run beside or behind the body.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from trainer.core.procedure.cement import calibration as cal
from trainer.core.xray.conspicuity import ROSE_K
from trainer.core.xray.shapes import CementDeposit


def _ball(grid, centre_mm, radius_mm) -> np.ndarray:
    """Fine-grid (k, j, i) of a ball centred on the voxel nearest ``centre_mm`` (so equal radii, equal balls)."""
    c = np.rint(grid.mm_to_index(np.asarray(centre_mm, float))).astype(int)
    r = int(np.ceil(radius_mm / min(grid.spacing_xyz_mm))) + 1
    k, j, i = np.mgrid[-r:r + 1, -r:r + 1, -r:r + 1]
    kji = np.stack([k.ravel(), j.ravel(), i.ravel()], axis=1) + c
    return kji[np.linalg.norm(grid.index_to_mm(kji) - grid.index_to_mm(c), axis=1) <= radius_mm]


class _Model:
    """The three things PostProcedureViews reads of a cement model."""

    def __init__(self, body, leaks: dict):
        self._body, self._leaks = body, leaks
        self.leaks = [SimpleNamespace(type=t) for t in leaks]

    def deposit(self):
        ijk = np.concatenate([self._body, *self._leaks.values()])
        return CementDeposit(ijk, np.ones(len(ijk), np.float32), 214.0)

    def leak_voxels_kji(self, types=None):
        want = set(self._leaks) if types is None else {types}
        return np.concatenate([v for t, v in self._leaks.items() if t in want])


@pytest.fixture(scope="module")
def l1():
    patient = cal.patient_of("l1-wedge-default")
    return patient, cal.views_of("l1-wedge-default")


def test_a_leak_beside_the_body_shows_on_the_ap_and_the_same_one_behind_the_cement_mass_does_not(l1):
    patient, views = l1
    grid = patient.volume.grid
    lm = patient.landmarks
    c = np.asarray(lm.body_centre_mm, float)
    body = _ball(grid, c, 8.0)                                                # a 2.1 mL mass
    beside = _ball(grid, c + [0.5 * lm.body_width_mm + 4.0, 0.0, 0.0], 1.5)   # 4 mm outside the lateral wall
    behind = _ball(grid, c + [0.0, 11.0, 0.0], 1.5)                           # 3 mm behind the mass (+y: back)
    assert len(beside) == len(behind) > 100                                  # the same 0.014 mL ball
    d = views.detectability(_Model(body, {"C": beside, "B": behind}))
    assert d["C"]["ap"] >= ROSE_K > d["C"]["lateral"]
    assert d["B"]["ap"] < ROSE_K
    assert d["B"]["ap"] < 0.5 * d["C"]["ap"]


def test_no_leak_no_detectability(l1):
    patient, views = l1
    body = _ball(patient.volume.grid, np.asarray(patient.landmarks.body_centre_mm, float), 8.0)
    assert views.detectability(_Model(body, {})) == {}


def test_canal_cement_shows_on_the_lateral_behind_the_body_and_not_on_the_ap(l1):
    """Cement in the canal lies behind the body's posterior line on the lateral, over the canal's soft
    tissue; on the AP it projects onto the body, the laminae and the spinous process (Yeom 2003: canal
    leaks are read on the lateral, and cement in the foramina predicts them).  A speck of 0.004 mL,
    below the leak book's 0.01 mL, is not seen on either view."""
    patient, views = l1
    grid = patient.volume.grid
    lm = patient.landmarks
    c = np.asarray(lm.body_centre_mm, float)
    body = _ball(grid, c, 8.0)
    d = {}
    for r in (1.0, 2.5):
        canal = _ball(grid, [c[0], lm.posterior_wall_y_mm + 3.0 + r, c[2]], r)    # 3 mm behind the wall
        d[r] = views.detectability(_Model(body, {"canal": canal}))["canal"]
    assert d[2.5]["lateral"] >= ROSE_K > d[2.5]["ap"]
    assert max(d[1.0].values()) < ROSE_K
