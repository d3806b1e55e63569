"""A thin disc's band read inside thick slabs (``ct_plates.disc_band_planes``), on a worked example.

At 5 mm an endplate face the plate search finds lies on a slab boundary; a disc band tilted through the slabs moves
each slab's mean HU, not its faces.  The example is built at 0.5 mm and averaged into 5 mm slabs as a thick
reconstruction is: osteoporotic marrow 110 HU over and under a 6 mm band of the two endplates and the disc between
them at 250 HU (the chest CT's T12/L1 at 2.5 mm: its disc's slices 124-177 HU between plate slices of 240-430,
docs/realct-log.md, round 27, t12body5b).  Oracle: the band's middle plane, set by construction (a hand number).
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.core.anatomy.ct_plates import disc_band_planes
from trainer.core.anatomy.grid import Grid

THIN_MM, SLAB_MM, N_SLABS = 0.5, 5.0, 12
MARROW_HU, BAND_HU, BAND_MM = 110.0, 250.0, 6.0
#: slab faces at -30 + 5 k mm; the endplate landmark the search gives is the face -10 mm
FACE_MM = -10.0


def _slabs(tilt_deg: float, middle_mm: float) -> tuple[np.ndarray, Grid]:
    """5 mm slabs (HU) of a band whose middle lies at ``middle_mm`` (z mm) at y 0 and rises ``tan(tilt)`` per mm of
    y; 1 mm columns, x -10..10 mm, y -16..16 mm."""
    n_thin = int(round(SLAB_MM / THIN_MM))
    z_thin = -30.0 + THIN_MM * (np.arange(N_SLABS * n_thin) + 0.5)
    y = np.arange(-16.0, 16.01, 1.0)
    x = np.arange(-10.0, 10.01, 1.0)
    mid = middle_mm + np.tan(np.radians(tilt_deg)) * y
    thin = np.where(np.abs(z_thin[:, None] - mid[None, :]) <= BAND_MM / 2, BAND_HU, MARROW_HU)
    hu = np.repeat(thin[:, :, None], len(x), axis=2).reshape(N_SLABS, n_thin, len(y), len(x)).mean(axis=1)
    return hu, Grid(hu.shape, (1.0, 1.0, SLAB_MM), (x[0], y[0], -30.0 + SLAB_MM / 2))


@pytest.mark.parametrize("tilt_deg, middle_mm", [(-11.0, -11.0), (-11.0, -9.0), (11.0, -12.5), (-15.0, -10.0)])
def test_band_middle_and_tilt_are_read_inside_the_slabs(tilt_deg, middle_mm):
    """The plane through the columns' HU-weighted band middles (12 mm either side of the centre in y, 8 in x, as the
    labels measure) lies within 0.5 mm of the band's middle at the centre and within 2 deg of its tilt, where every
    face the slabs show is the same boundary (-10 mm) wherever the band's middle lies between -12.5 and -9."""
    hu, grid = _slabs(tilt_deg, middle_mm)
    plane = disc_band_planes(hu, grid, (0.0, 0.0, 10.0), (FACE_MM,), 12.0, 8.0)[0]
    assert plane is not None
    z_mm, slope = plane
    assert abs(z_mm - middle_mm) <= 0.5, (round(z_mm, 2), middle_mm)
    assert abs(np.degrees(np.arctan(slope)) - tilt_deg) <= 2.0, (round(float(np.degrees(np.arctan(slope))), 1), tilt_deg)


def test_no_band_no_plane():
    """Uniform marrow: no column has HU over its marrow in the window, so no plane (the labels keep their clip)."""
    hu, grid = _slabs(0.0, -10.0)
    hu[...] = MARROW_HU
    assert disc_band_planes(hu, grid, (0.0, 0.0, 10.0), (FACE_MM,), 12.0, 8.0) == [None]


def test_a_plane_is_held_inside_the_slices_its_band_was_read_in():
    """The labels' clip (``ct_labels._inside_disc_planes``): a superior plane z = 5 + 0.5 y mm read in the band
    2..8 mm keeps, in each y column, the slices at or below the plane, but no higher than 8 and no lower than 2 mm
    where the line runs beyond its band (the body's front and back, further out than the columns fitted).  Counted
    by hand on 0.5 mm slices from -10 to +10 mm: at y 0 the plane is 5 mm (31 slices at or below), at y +20 mm the
    line's 15 mm is held at 8 (37 slices), at y -20 mm its -5 mm at 2 (25 slices); an inferior plane at -4 mm keeps
    the slices at or above it (29 at y 0), and with no band given the line itself (at y -20 mm: 11 slices)."""
    from trainer.core.anatomy.ct_labels import _inside_disc_planes
    z = np.arange(-10.0, 10.01, 0.5)
    y = np.array([-20.0, 0.0, 20.0])
    keep = _inside_disc_planes(z, y, [(5.0, 0.5), None], [(2.0, 8.0), (-13.0, -7.0)])[:, :, 0]
    assert keep.sum(axis=0).tolist() == [25, 31, 37]
    below = _inside_disc_planes(z, y, [None, (-4.0, 0.0)], [(2.0, 8.0), (-7.0, -1.0)])[:, :, 0]
    assert below.sum(axis=0).tolist() == [29, 29, 29]
    unheld = _inside_disc_planes(z, y, [(5.0, 0.5), None])[:, :, 0]
    assert unheld.sum(axis=0).tolist() == [11, 31, 41]
