"""Where the body's cross-section is taken (ct_labels.centre_slices_z_mm), by hand."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_labels import centre_slices_z_mm
from trainer.core.anatomy.grid import Grid, Volume


def _fine(meta):
    g = Grid((3, 3, 3), (0.7, 0.7, 0.7), (0.0, 0.0, 0.0))
    return Volume(hu=np.zeros(g.shape, np.int16), labels=np.zeros(g.shape, np.uint8), grid=g, meta=meta)


def test_thick_series_adds_the_two_acquired_slices_around_the_centre():
    # 5 mm slices, one at -132.5 mm from the body centre: the others at ..., -2.5, +2.5, ... (the centre on a face)
    assert centre_slices_z_mm(_fine({"slice_mm": 5.0, "slice_z0_mm": -132.5})) == [0.0, -2.5, 2.5]
    # one at +1.0: the nearest below and above the centre are -4.0 and +1.0
    assert np.allclose(centre_slices_z_mm(_fine({"slice_mm": 5.0, "slice_z0_mm": 21.0})), [0.0, -4.0, 1.0])


def test_thin_series_or_no_series_grid_keeps_the_centre():
    assert centre_slices_z_mm(_fine({"slice_mm": 2.5, "slice_z0_mm": -1.0})) == [0.0]
    assert centre_slices_z_mm(_fine({})) == [0.0]


def _sliced(meta, dz):
    """A fine volume on the series' own slices (``dz`` mm apart), as ct_labels._resample crops a 3 mm series."""
    g = Grid((3, 3, 3), (3.0, 3.0, dz), (0.0, 0.0, 0.0))
    return Volume(hu=np.zeros(g.shape, np.int16), labels=np.zeros(g.shape, np.uint8), grid=g, meta=meta)


def test_own_slices_add_the_other_slice_around_the_centre():
    # 3 mm slices, one 1.4 mm below the centre: the centre's slice is that one, the other is 1.6 mm above
    assert np.allclose(centre_slices_z_mm(_sliced({"slice_mm": 3.0, "slice_z0_mm": -91.4}, 3.0)), [0.0, 1.6])
    # one 1.6 mm below: the centre's slice is the one 1.4 mm above, the other is 1.6 mm below
    assert np.allclose(centre_slices_z_mm(_sliced({"slice_mm": 3.0, "slice_z0_mm": -91.6}, 3.0)), [0.0, -1.6])
    # a hair either side of the midpoint (the abdominal L3: 0.002 mm): the same two slices, whichever is nearer
    lo = centre_slices_z_mm(_sliced({"slice_mm": 3.0, "slice_z0_mm": -91.501}, 3.0))
    hi = centre_slices_z_mm(_sliced({"slice_mm": 3.0, "slice_z0_mm": -91.499}, 3.0))
    assert np.allclose(lo, [0.0, -1.501]) and np.allclose(hi, [0.0, 1.501])
