"""The estimate's waist test (trainer.core.anatomy.ct_pedicle.no_waist) on counts worked by hand.

The counts are a side's bone voxels per coronal row, front (the body) to back.  A side narrowing all the way to the
last row has no waist (the abdominal L5 left at 3 mm voxels, measured: 45 41 47 39 33); a dip before the last row is a
waist (L3 left: 27 14 25 37); a tie of the fewest that reaches the last row is no waist (the fewest row is then the
pars as much as the isthmus); rows holding no bone are not candidates, and a side whose last row holds none has its
fewest elsewhere.
"""

from __future__ import annotations

from trainer.core.anatomy.ct_pedicle import no_waist


def test_narrowing_to_the_last_row_has_no_waist():
    assert no_waist([45, 41, 47, 39, 33])
    assert no_waist([36, 36, 43, 36, 35])


def test_a_dip_before_the_last_row_is_a_waist():
    assert not no_waist([27, 14, 25, 37])
    assert not no_waist([20, 33, 37, 32])


def test_a_tie_reaching_the_last_row_has_no_waist():
    assert no_waist([9, 5, 5])


def test_empty_rows_are_no_candidates():
    assert no_waist([0, 12, 9, 4])
    assert not no_waist([12, 9, 4, 0])
    assert not no_waist([0, 0, 0])
