"""Which centre slice's body the labelling keeps (ct_labels._chosen_body, centre_is_blend).

Hand-made bodies: each entry of ``found`` is (mask, half-width mm, closed) as derive_labels collects them, the
centre's first.  The expected choice is read off the rule by hand (docs/realct-log.md passes 157 and 216): a blend's
open ring gives way, where an acquired slice's section is closed and larger than the blend's, to the largest acquired
section (since round 42 closed or not: a closed ring can be half a marrow split by a trabecular band); otherwise the
centre is kept unless it is a fragment (under half the largest).
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.core.anatomy.ct_labels import FRAGMENT_FRACTION, _chosen_body, centre_is_blend
from trainer.core.anatomy.grid import Grid, Volume


def _body(n_voxels: int) -> np.ndarray:
    mask = np.zeros(400, bool)
    mask[:n_voxels] = True
    return mask


def test_a_blends_open_ring_gives_way_to_the_largest_acquired_section():
    centre, closed_larger, open_largest = (_body(60), 6.0, False), (_body(80), 8.0, True), (_body(120), 12.0, False)
    closed_largest = (_body(85), 8.5, True)
    body, half_w = _chosen_body([centre, closed_larger, open_largest], centre_blended=True)
    assert body.sum() == 120 and half_w == 12.0        # the open acquired one, larger than the closed one (round 42)
    body, half_w = _chosen_body([centre, closed_larger, closed_largest], centre_blended=True)
    assert body.sum() == 85 and half_w == 8.5          # the larger of two closed ones


def test_a_closed_acquired_section_smaller_than_the_blends_guess_is_not_taken():
    centre = (_body(90), 9.0, False)
    body, half_w = _chosen_body([centre, (_body(70), 7.0, True), (_body(60), 6.0, False)], centre_blended=True)
    assert body.sum() == 90 and half_w == 9.0


def test_a_closed_blend_is_kept_when_it_is_no_fragment():
    centre = (_body(60), 6.0, True)
    body, half_w = _chosen_body([centre, (_body(110), 11.0, True), (_body(100), 10.0, True)], centre_blended=True)
    assert FRAGMENT_FRACTION * 110 <= 60
    assert body.sum() == 60 and half_w == 6.0


def test_on_the_series_own_slices_an_open_centre_is_kept_when_it_is_no_fragment():
    # no blend: both slices were acquired, the nearer one keeps the body
    centre, other = (_body(70), 7.0, False), (_body(100), 10.0, True)
    body, half_w = _chosen_body([centre, other], centre_blended=False)
    assert body.sum() == 70 and half_w == 7.0


@pytest.mark.parametrize("centre_closed", [True, False])
def test_a_fragment_gives_way_to_the_largest(centre_closed):
    centre = (_body(40), 4.0, centre_closed)
    found = [centre, (_body(100), 10.0, False), (_body(90), 9.0, False)]
    body, half_w = _chosen_body(found, centre_blended=True)
    assert FRAGMENT_FRACTION * 100 > 40
    assert body.sum() == 100 and half_w == 10.0        # no closed acquired section: the fragment rule


def _fine(slice_mm, z_spacing_mm: float, z0=0.4) -> Volume:
    grid = Grid((4, 4, 4), (0.7, 0.7, z_spacing_mm), (0.0, 0.0, 0.0))
    meta = {} if slice_mm is None else {"slice_mm": slice_mm, "slice_z0_mm": z0}
    return Volume(hu=np.zeros((4, 4, 4), np.int16), labels=np.zeros((4, 4, 4), np.uint8), grid=grid, meta=meta)


@pytest.mark.parametrize(("slice_mm", "z_mm", "blend"), [
    (5.0, 0.7, True),       # 5 mm slices resampled at 0.7 mm: the centre slice is a blend
    (2.5, 0.7, False),      # 2.5 mm: the centre's blend is the only section (ACQUIRED_CENTRE_FROM_MM)
    (3.0, 3.0, False),      # a 3 mm series on its own slices
    (5.0, 5.0, False),      # 5 mm slices labelled on their own voxels: no blend
    (None, 0.7, False),     # no series slices recorded
])
def test_centre_is_blend(slice_mm, z_mm, blend):
    assert centre_is_blend(_fine(slice_mm, z_mm)) is blend
