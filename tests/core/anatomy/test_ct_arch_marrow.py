"""The arch's marrow fill (trainer.core.anatomy.ct_arch_marrow), on hand-built label slices counted by hand."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_arch_marrow import fill_arch_marrow
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.labels import Label

PE, M, C = int(Label.POSTERIOR_ELEMENTS), int(Label.MUSCLE), int(Label.CANAL)


def _volume(rows: list[str], fine_mm: float, block: int) -> Volume:
    """One axial slice drawn at the series' voxels ('#' posterior elements, '.' muscle, 'c' canal), each series
    voxel carried to ``block`` x ``block`` fine voxels of ``fine_mm``."""
    code = {"#": PE, ".": M, "c": C}
    coarse = np.array([[code[ch] for ch in r] for r in rows], np.uint8)
    lab = np.kron(coarse, np.ones((block, block), np.uint8))[None]
    grid = Grid(lab.shape, (fine_mm, fine_mm, fine_mm), (0.0, 0.0, 0.0))
    return Volume(hu=np.zeros(lab.shape, np.int16), labels=lab.copy(), grid=grid, meta={})


ROWS = ["...........",
        ".####......",
        ".#.#.#.....",   # a one-voxel hole (col 2) and a one-voxel notch open to the back (col 4)
        ".######....",
        ".#c#..#####",   # a canal voxel enclosed, and a slot two voxels long (cols 4-5)
        ".######...#",   # a 3 x 3 hole (rows 5-7, cols 7-9)
        "......#...#",
        "......#...#",
        "......#####",
        "..........."]


def test_the_cross_closes_holes_and_slots_of_the_arch_but_not_the_canal_or_a_wider_hole():
    """Counted by hand: a muscle voxel is filled when each of its four in-plane neighbours is arch or touches it."""
    vol = _volume(ROWS, 1.0, 3)
    n = fill_arch_marrow(vol, 3.0)
    coarse = vol.labels[0, 1::3, 1::3]            # the centre of every series voxel
    assert coarse[2, 2] == PE and coarse[2, 4] == PE
    assert coarse[4, 4] == PE and coarse[4, 5] == PE
    assert coarse[4, 2] == C
    # the 3 x 3 hole: its corners are filled, the cross through its centre stays muscle
    assert [coarse[r, c] for r, c in ((5, 7), (5, 9), (7, 7), (7, 9))] == [PE] * 4
    assert [coarse[r, c] for r, c in ((5, 8), (6, 7), (6, 8), (6, 9), (7, 8))] == [M] * 5
    assert coarse[6, 5] == PE                      # the concave corner under the arch's right angle
    assert n == (2 + 2 + 4 + 1) * 9                # nine series voxels, nine fine voxels each


def test_fine_series_voxels_are_left_as_labelled():
    vol = _volume(ROWS, 0.7, 1)
    before = vol.labels.copy()
    assert fill_arch_marrow(vol, 0.7) == 0
    assert np.array_equal(vol.labels, before)
