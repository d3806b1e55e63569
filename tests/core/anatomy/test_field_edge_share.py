"""How much of the body outline's border is the reconstructed field's edge (``ct_spine.field_edge_share``), which
decides whether the bone threshold is read on the whole outline or around the spine (docs/realct-log.md, pass 188).
Oracles: outlines drawn by hand on a 64 x 64 matrix, whose border pixels are counted by construction."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_spine import SPINE_EDGE_SHARE, field_edge_share

N = 64


def _disc(radius_px: float) -> np.ndarray:
    yy, xx = np.mgrid[0:N, 0:N]
    return np.hypot(yy - 0.5 * (N - 1), xx - 0.5 * (N - 1)) <= radius_px


def test_a_body_wholly_inside_the_field_has_no_border_on_its_edge():
    body = np.repeat(_disc(20.0)[None], 4, axis=0)            # skin all round, 12 px inside the field's circle
    assert field_edge_share(body) == 0.0


def test_a_body_filling_the_field_has_all_its_border_on_the_edge():
    """What a 200 mm view of an abdomen gives: the field's circle padded with air outside, body everywhere inside."""
    body = np.repeat(_disc(0.5 * N - 0.5)[None], 4, axis=0)
    assert field_edge_share(body) == 1.0


def test_a_body_cut_at_its_flanks_by_the_matrix_shares_its_border():
    """A body 24 rows high spanning the matrix's whole width (its flanks cut, as the stored abdomen's are by its
    303 x 366 mm matrix).  Its border: the top and bottom rows (64 px each) and 22 px of each cut flank, 172 px.  On
    the field's edge: the 44 flank pixels, and in the top and bottom rows (11.5 px from the centre row, 0.36 of the
    half height) the 5 px at each end inside the field circle's band (r >= 1 - 5/64 = 0.922: x = 4 gives r = 0.931,
    x = 5 r = 0.903): 44 + 2 x 10 = 64 of 172."""
    body = np.zeros((3, N, N), bool)
    body[:, 20:44, :] = True
    assert field_edge_share(body) == 64 / 172
    assert field_edge_share(body) < SPINE_EDGE_SHARE
