"""Where the pedicle labels end in front of a moved tube end, read on the series' rows
(trainer/core/anatomy/ct_labels.py ``_pedicle_cut_y``).

The fine volume the labels are made on is laid through the body centre at the series' in-plane voxel size, at a
phase off the series' rows; the labels are read back on the series' rows (nearest fine row).  A pedicle end moved
in front of the canal hole's centre keeps the rows wholly in front of it (``FINE_MOVED_END_ROWS``, half a row): the
series' rows, the ones the labels are read on.

Oracle: which series rows lie wholly in front of the end, by hand (a row centred on y spans y +- dy / 2), and the
nearest fine row each series row reads, by hand; the 5 mm chest T11's own numbers (docs/realct-log.md, Pass 144)."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.core.anatomy.ct_labels import _pedicle_cut_y, _series_rows
from trainer.core.anatomy.grid import Grid

DY = 0.703125
#: fine rows at whole multiples of the voxel from the body centre (ct_patient's box starts at -45 mm: -45 + 64 dy)
FINE = Grid(shape=(40, 128, 40), spacing_xyz_mm=(DY, DY, DY), origin_mm=(-14.0, -45.0, -14.0))
#: the canal hole's centre far behind (a hole found only in a slab): every end below is a moved end
FOUND = (None, 0.0, 21.70)


def _kept_series_rows(y_cut: float, series_y: np.ndarray) -> np.ndarray:
    """Which series rows read (nearest) a fine row in front of or at ``y_cut`` (the rows the tubes keep)."""
    fy = FINE.origin_mm[1] + DY * np.arange(FINE.shape[1])
    nearest = fy[np.argmin(np.abs(fy[None, :] - series_y[:, None]), axis=1)]
    return nearest <= y_cut + 1e-9


def test_the_5_mm_t11_cut_is_the_face_in_front_of_the_series_row_reaching_behind_the_end():
    """The 5 mm chest T11 (auto): the end 18.735 mm behind the body centre (the pedicle centres' depth 17.735 + 1
    mm), a series row centred 18.457 mm (so rows at 17.754, 18.457, 19.160).  Fine rows lie at -45 + n dy:
    17.578 (17.227-17.930) and 18.281 (17.930-18.633).  Half a fine row in front of the end (18.735 - 0.352 =
    18.384) kept the fine row 18.281, wholly in front of the end; the series row 18.457 (18.106-18.809) reads it
    and reaches 0.074 mm behind the end.  The series' rows wholly in front: 17.754 (back face 18.106 <= 18.735),
    not 18.457 (18.809 > 18.735); the cut is the face between them, 18.106 mm."""
    series = (18.457, DY)
    y_cut = _pedicle_cut_y(FINE, FOUND, 18.735, series)
    assert y_cut == pytest.approx(18.457 - DY / 2, abs=1e-5)
    rows = np.array([17.754, 18.457, 19.160])
    assert _kept_series_rows(y_cut, rows).tolist() == [True, False, False]
    # the fine rows' own half row (no series given) kept the series row 18.457, which reaches behind the end
    old = _pedicle_cut_y(FINE, FOUND, 18.735)
    assert old == pytest.approx(18.735 - DY / 2)
    assert _kept_series_rows(old, rows).tolist() == [True, True, False]


@pytest.mark.parametrize("phase", [0.0, 0.1, 0.176, 0.3, 0.35, 0.5, 0.65])
@pytest.mark.parametrize("end", [17.0, 17.3, 18.1, 18.735, 19.42])
def test_a_series_row_keeps_the_pedicle_exactly_when_it_lies_wholly_in_front_of_the_end(phase, end):
    """At any phase of the series' rows against the fine rows, the series rows that read a kept fine row are those
    whose back face (centre + dy / 2) lies at or in front of the end: counted by hand for each row."""
    y0 = phase
    y_cut = _pedicle_cut_y(FINE, FOUND, end, (y0, DY))
    series_y = y0 + DY * np.arange(-40, 40)
    series_y = series_y[(series_y > 10.0) & (series_y < 25.0)]
    wholly_in_front = series_y + DY / 2 <= end + 1e-9
    assert _kept_series_rows(y_cut, series_y).tolist() == wholly_in_front.tolist()


def test_series_rows_halfway_between_fine_rows_never_label_a_row_reaching_behind_the_end():
    """Series rows exactly halfway between two fine rows (the 2.5 mm chest T11, auto: the fine rows at -45 + n dy,
    the series' at (m + 0.5) dy) read either neighbour, by the reader's rounding.  Whichever they read, no series row
    reaching behind the end reads a kept fine row: the fine row on the face goes with the row behind.  The 2.5 mm
    T11's end 18.611 mm: the face 18.281 mm (series rows 17.930 and 18.633 around it) is the fine row -45 + 90 dy."""
    fy = FINE.origin_mm[1] + DY * np.arange(FINE.shape[1])
    y0 = 0.5 * DY
    for end in (18.611, 17.0, 18.0, 19.42):
        y_cut = _pedicle_cut_y(FINE, FOUND, end, (y0, DY))
        series_y = y0 + DY * np.arange(10, 40)
        for ys in series_y[series_y + DY / 2 > end + 1e-9]:        # the rows reaching behind the end
            front, back = ys - DY / 2, ys + DY / 2                   # the two fine rows it may read
            for f in (front, back):
                assert np.min(np.abs(fy - f)) < 1e-6                 # (they are fine rows)
                assert f > y_cut, (end, ys, f, y_cut)
    assert _pedicle_cut_y(FINE, FOUND, 18.611, (y0, DY)) < -45 + 90 * DY


def test_on_the_series_own_rows_the_cut_is_the_fine_rows_half_row():
    """Fine rows on the series' lattice (sliced, not resampled): the series' rule and the fine rows' half row keep the
    same rows."""
    fy = FINE.origin_mm[1] + DY * np.arange(FINE.shape[1])
    for end in (17.0, 18.1, 18.735):
        new = _pedicle_cut_y(FINE, FOUND, end, (FINE.origin_mm[1], DY))
        old = _pedicle_cut_y(FINE, FOUND, end)
        assert ((fy <= new + 1e-9) == (fy <= old + 1e-9)).all()


def test_no_series_rows_recorded_and_ends_at_the_hole_are_as_before():
    """A fine volume without the series' rows in its meta (synthetic patients) keeps the fine rows' rule; an end at
    the hole's centre is the tube's own (None); coarse voxels keep their own half row."""
    assert _series_rows({}) is None
    assert _series_rows({"row_y0_mm": 0.2, "row_mm": DY}) == (0.2, DY)
    assert _pedicle_cut_y(FINE, FOUND, None, (0.2, DY)) is None
    assert _pedicle_cut_y(FINE, FOUND, 21.70, (0.2, DY)) is None
    coarse = Grid(shape=(10, 10, 10), spacing_xyz_mm=(3.0, 3.0, 3.0), origin_mm=(0.0, 0.0, 0.0))
    assert _pedicle_cut_y(coarse, FOUND, 18.0, (0.2, 3.0)) == pytest.approx(18.0 - 1.5)
