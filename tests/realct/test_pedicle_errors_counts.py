"""benchmarks/ct_pedicle_errors.py counts missed and added pedicle voxels where they are.

Oracle: a hand-made 3 x 4 x 5 case whose counts are worked out on paper (docstring of the test).
No CT is loaded: this runs in well under a second.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from bench_loader import load_benchmark

from trainer.core.anatomy.grid import Grid
from trainer.core.anatomy.labels import Label


def _hand_case():
    """The hand-made case of the first test: (its CT stand-in, its case dict).  The two reference voxels of
    row 1 are labelled cancellous (the region split reads only the pedicle labels)."""
    grid = Grid((3, 4, 5), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
    ref_mask = np.zeros(grid.shape, bool)
    ref_mask[1, 1:3, 2:4] = True
    lab = np.zeros(grid.shape, np.uint8)
    lab[1, 2, 2:5] = Label.PEDICLE_LEFT
    lab[2, 3, 2] = Label.PEDICLE_LEFT
    lab[1, 1, 2:4] = Label.CANCELLOUS
    ref = SimpleNamespace(pedicle_left=ref_mask, pedicle_right=np.zeros_like(ref_mask), canal_xy_mm=(1.0, 2.0))
    return SimpleNamespace(grid=grid), {"ref": ref, "lab": lab, "box": (slice(0, 3), slice(0, 4), slice(0, 5))}


def test_missed_and_added_voxels_are_counted_per_slice_row_and_column():
    """Grid: 1 mm voxels, origin 0, so slice k is z = k mm, row j is y = j mm, column i is x = i mm.
    Reference canal centre (x 1, y 2).  Reference left pedicle: slice 1, rows 1-2, columns 2-3 (4 voxels).
    Ours: slice 1, row 2, columns 2-4 (3 voxels; column 4 is not the reference's) and slice 2, row 3,
    column 2 (1 voxel behind the canal centre), labelled left pedicle; the two reference voxels of row 1
    are labelled body.  So: Dice 2 x 2 / (4 + 4) = 0.5; miss 2 (slice 1, row 1, i.e. 1 mm in front of the
    canal centre, columns 1 and 2 mm lateral of it), both labelled body; add 2 (column 3 mm lateral;
    row 1 mm behind the canal centre in slice 2)."""
    errors = load_benchmark("ct_pedicle_errors")
    lines = errors.side_errors(*_hand_case(), "left")
    assert lines[0] == "left: Dice 0.500, ref 4.0, ours 4, miss 2.0, add 2 voxels"
    body = "    {:7.1f}: {:6.1f} {:5.0f} {:6.1f} {:5.0f}".format
    assert body(1.0, 4, 3, 2, 1) + "   missed, labelled: cancellous 2" in lines      # slice z 1 mm
    assert body(2.0, 0, 1, 0, 1) in lines                                           # slice z 2 mm
    rows = lines[lines.index("  per row, mm behind the reference canal centre: ref / ours / miss / add") + 1:]
    assert rows[:3] == [body(-1.0, 2, 0, 2, 0), body(0.0, 2, 3, 0, 1), body(1.0, 0, 1, 0, 1)]
    cols = lines[lines.index("  per column, mm lateral of the reference canal centre: ref / ours / miss / add") + 1:]
    assert cols == [body(1.0, 2, 2, 1, 1), body(2.0, 2, 1, 1, 0), body(3.0, 0, 1, 0, 1)]


def test_wall_lines_give_the_masks_wall_and_ours_per_slice():
    """Grid: 3 mm voxels, origin 0: slices z 0 and 3, rows y 0-9, columns x 0-12 mm.  Reference canal
    centre (x 6, y 8): its column is x 3, 6, 9 (within 3 mm).  The mask's vertebra holds rows y 0 and 3 of
    that column in slice 0 (a 6 mm run ending at y 3: its wall 5.0 mm in front of the canal centre) and row
    3 only in slice 1 (a 3 mm run, under 5 mm: no wall, blank).  Ours: canal x 7.5 (our column x 6 and 9,
    0 and 3 mm from the reference canal's x), walls' back faces y 4.5 (row y 3, -5.0) and 7.5 (row 6, -2.0),
    whose voxels in our column read 100, 200 HU and -5, 250 HU."""
    errors = load_benchmark("ct_pedicle_errors")
    grid = Grid((2, 4, 5), (3.0, 3.0, 3.0), (0.0, 0.0, 0.0))
    vertebra = np.zeros(grid.shape, bool)
    vertebra[0, 0:2, 1:4] = True
    vertebra[1, 1, 1:4] = True
    hu = np.zeros(grid.shape, np.int16)
    hu[0, 1, 2:4] = (100, 200)
    hu[1, 2, 2:4] = (-5, 250)
    ours = {"z_mm": np.array([0.0, 3.0]), "wall_y_mm": np.array([4.5, 7.5]), "canal_x_mm": 7.5}
    lines = errors.wall_lines(vertebra, hu, grid, (6.0, 8.0), ours)
    assert lines[1:] == ["        0.0:   -5.0   -5.0   100 (+0.0) 200 (+3.0)",
                         "        3.0:          -2.0   -5 (+0.0) 250 (+3.0)"]


def test_region_split_gives_each_error_one_region_and_the_dice_it_costs():
    """The hand-made case of the first test (Dice 0.5: shared 2, reference 4, ours 4), split by region with the
    band's inner edge at 2.5 mm lateral of the canal centre (x 1).  The reference's pedicle holds slice 1 only,
    which is both its top and bottom slice (top comes first).  Missed: row 1, columns 2 and 3 (1 and 2 mm
    lateral, inside the band's edge), slice 1: its top slice, 2.  Added: column 4 of slice 1 (3 mm lateral, row 2
    is the canal centre's row, not behind it): the band, 1; row 3 of slice 2 (1 mm behind the canal centre, and
    above the reference's slices, but behind comes first): behind, 1.  Undoing a region: 2 (2 + m) / (4 + 4 - a
    + m), so behind and band 4 / 7 = 0.571 each, top slice 8 / 10 = 0.800, every region but the band
    8 / 9 = 0.889; the other regions hold nothing and leave 0.500."""
    errors = load_benchmark("ct_pedicle_errors")
    lines = errors.region_lines(*_hand_case(), "left", 2.5)
    rows = {line[4:38].strip(): line[38:].split() for line in lines[1:-1]}
    assert list(rows) == list(errors.REGIONS)
    assert rows["behind the reference canal centre"] == ["0.0", "1", "0.571"]
    assert rows["lateral band"] == ["0.0", "1", "0.571"]
    assert rows["its top slice"] == ["2.0", "0", "0.800"]
    for name in ("above its slices", "below its slices", "its bottom slice", "the rest"):
        assert rows[name] == ["0.0", "0", "0.500"]
    assert lines[-1] == "    every region but the band undone: Dice 0.889"


def test_centre_split_gives_the_parts_along_and_across_the_pedicle_axis():
    """Worked on paper.  Left pedicle, medial angle 0: the axis runs straight forward (-y), so ours 2 mm in
    front of the reference (y -2), 1 mm to the left (lateral for a left pedicle) and 3 mm up is along +2,
    lateral +1, z +3.  Right pedicle, medial 30 deg: going forward the axis runs medially, towards +x, so its
    unit vector is (sin 30, -cos 30) = (0.5, -0.866); ours moved 2 mm along it, (1.0, -1.732), is along +2,
    across 0; ours moved 1 mm along the lateral normal (-cos 30, -sin 30) = (-0.866, -0.5) is along 0,
    lateral +1; ours 1 mm straight behind the reference (y +1) is along -cos 30 = -0.866 and lateral
    -sin 30 = -0.5 (behind, for a right pedicle turned medially, is also medial)."""
    errors = load_benchmark("ct_pedicle_errors")
    assert np.allclose(errors.centre_split((11.0, 48.0, 33.0), (10.0, 50.0, 30.0), "left", 0.0), (2.0, 1.0, 3.0))
    ref = (-10.0, 50.0, 30.0)
    cases = (((-9.0, 50.0 - 3 ** 0.5, 30.0), (2.0, 0.0, 0.0)),
             ((-10.0 - 0.5 * 3 ** 0.5, 49.5, 29.0), (0.0, 1.0, -1.0)),
             ((-10.0, 51.0, 30.0), (-0.5 * 3 ** 0.5, -0.5, 0.0)))
    for ours, expected in cases:
        assert np.allclose(errors.centre_split(ours, ref, "right", 30.0), expected), ours
