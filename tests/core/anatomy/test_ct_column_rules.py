"""Two rules of the column numbering (``ct_spine``), on the numbers measured on the abdominal CT turned
-10 deg (docs/realct-log.md, pass 85, round 23, colturn), so that they run without the real-CT downloads.

* The iliac wings: both wings of a pelvis are wings, not ribs, even when one wing's top lies a slice above
  the other's (the sacrum's top is the lower).  Before, the higher wing's top in the neck window was
  returned as a rib neck 5 mm above the sacrum, and the lowest ribs were put at L5.
* Two pairs of disc-score maxima equally close: the pair with a disc between them (a higher score between
  the maxima: one disc's two endplate rims) is merged, not the first in index order (between two discs lies
  a body's marrow, the profile's lowest).
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_spine import _Lateral, merge_lumbar_discs, ribs_and_sacrum

#: the four regions reaching furthest of the abdominal CT turned -10 deg about L3's canal (2 mm pooled, 3 mm
#: slices): the two iliac wings (tops within 40 mm of the canal at 241.3 and 238.3 mm) and the two 12th ribs
WINGS_AND_RIBS = [
    _Lateral(side=1, reach_mm=137.0, z_span_mm=180.0, n_voxels=13604, neck_top_mm=241.3, medial_top_mm=241.3,
             medial_back_mm=9.0),
    _Lateral(side=-1, reach_mm=163.0, z_span_mm=180.0, n_voxels=13193, neck_top_mm=244.3, medial_top_mm=238.3,
             medial_back_mm=48.0),
    _Lateral(side=1, reach_mm=88.0, z_span_mm=39.0, n_voxels=103, neck_top_mm=418.3, medial_top_mm=418.3,
             medial_back_mm=9.0),
    _Lateral(side=-1, reach_mm=75.0, z_span_mm=30.0, n_voxels=58, neck_top_mm=409.3, medial_top_mm=409.3,
             medial_back_mm=19.0),
]


def test_neither_iliac_wing_is_a_rib():
    necks, sacrum_top = ribs_and_sacrum(WINGS_AND_RIBS, 1.5)
    assert sacrum_top == 238.3                       # the lower wing's top
    # only the two 12th ribs (their tops plus half a slice), not the higher wing at 244.3 + 1.5
    assert sorted(necks) == [(-1, 410.8), (1, 419.8)]


def test_the_pair_with_a_disc_between_is_merged():
    # maxima at 373, 391 and 409 mm (18 mm apart both ways; the rib necks at 414 mm, so all three lie below the
    # rib cage and 22 mm is the merging pitch).  The smoothed score between 391 and 409 falls to 48 (T12/L1's
    # rims with the disc between), between 373 and 391 to 21 (L1's marrow): 391 and 409 are one disc, at 400.
    z = np.arange(340.0, 430.0, 3.0)
    score = np.full(z.shape, 60.0)
    score[(z > 373) & (z < 391)] = 21.0
    score[(z > 391) & (z < 409)] = 48.0
    for peak in (373.0, 391.0, 409.0):
        score[z == peak] = 150.0
    out = merge_lumbar_discs(np.array([373.0, 391.0, 409.0]), [(1, 414.0)], 238.0, 3.0, (z, score))
    assert out.tolist() == [373.0, 400.0]
