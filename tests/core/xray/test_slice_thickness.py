"""benchmarks/slice_thickness.py: the thick-slice resampling of the drawn HU, against hand values."""

import numpy as np
from bench_loader import load_benchmark


def test_a_thin_plate_spreads_over_two_slices_and_keeps_its_mass():
    thick = load_benchmark("slice_thickness").thick_slices
    hu = np.zeros((20, 1, 1), np.int16)
    hu[9] = 1000                                   # a 0.5 mm plate in the second 2.5 mm slab (voxels 5-9)
    out = thick(hu, 0.5, 2.5)[:, 0, 0]
    # by hand: slab means 0, 200, 0, 0 at voxels 2, 7, 12, 17; linear in between, flat beyond
    want = [0, 0, 0, 40, 80, 120, 160, 200, 160, 120, 80, 40, 0, 0, 0, 0, 0, 0, 0, 0]
    assert out.tolist() == want
    assert int(out.sum()) == 1000                  # mass kept (slab sum 5 x 200)


def test_a_linear_ramp_is_kept_between_the_slice_centres():
    thick = load_benchmark("slice_thickness").thick_slices
    hu = (np.arange(20, dtype=np.int16) * 10).reshape(20, 1, 1)
    out = thick(hu, 0.5, 2.5)[:, 0, 0]
    assert out[2:18].tolist() == list(range(20, 180, 10))   # slab means of a ramp lie on it
    assert out[:2].tolist() == [20, 20] and out[18:].tolist() == [170, 170]


def test_cubic_voxels_average_a_point_over_every_axis_and_keep_its_mass():
    cubic = load_benchmark("slice_thickness").cubic_voxels
    hu = np.zeros((9, 9, 9), np.int16)
    hu[4, 4, 4] = 2700                             # one 0.5 mm voxel in the middle 1.5 mm block (3-5) of each axis
    out = cubic(hu, (0.5, 0.5, 0.5), 1.5)
    # by hand, along z: block means 0, 900, 0 at voxels 1, 4, 7 (2700 / 3), linear between: 0, 300, 600, 900,
    # 600, 300, 0 over voxels 1-7; y and x divide by 3 again with the same tent: 2700 / 27 = 100 at the
    # centre times the tent (0, 1/3, 2/3, 1, 2/3, 1/3, 0) on each axis
    tent = np.array([0, 0, 1, 2, 3, 2, 1, 0, 0]) / 3.0
    want = 100 * np.einsum("i,j,k->ijk", tent, tent, tent)
    assert np.abs(out - want).max() <= 1.5          # int16 rounding at each of three passes
    assert out[4, 4, 4] == 100
    assert abs(int(out.sum()) - 2700) <= 30         # mass kept (up to the rounding)
