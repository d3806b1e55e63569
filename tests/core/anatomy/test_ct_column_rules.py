"""Two rules of the column numbering (``ct_spine``), on the numbers measured on the abdominal CT turned
-10 deg (docs/realct-log.md, pass 85, round 23, colturn), so that they run without the real-CT downloads.

* The iliac wings: both wings of a pelvis are wings, not ribs, even when one wing's top lies a slice above
  the other's (the sacrum's top is the lower).  Before, the higher wing's top in the neck window was
  returned as a rib neck 5 mm above the sacrum, and the lowest ribs were put at L5.
* Two pairs of disc-score maxima equally close: the pair with a disc between them (a higher score between
  the maxima: one disc's two endplate rims) is merged, not the first in index order (between two discs lies
  a body's marrow, the profile's lowest).
* A lumbar disc's score maximum sits on one of its endplate rims; the disc is moved to its own middle, the
  darkest part of the body's centre between the rims (pass 94, round 24, abdturn), on the profile measured on the
  abdominal CT turned -15 deg.  Oracle: the TotalSegmentator mask's disc bands along the body track.
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_spine import Thresholds, _Lateral, disc_centres_mm, merge_lumbar_discs, ribs_and_sacrum

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


#: the abdominal CT turned -15 deg about L3's canal: mean HU within 5 mm of the body track per 3 mm slice, z 280.3 to
#: 412.3 mm (``split_vertebrae``'s centre), and the patient's thresholds (soft tissue 27 +- 32 HU, bone 156)
TURNED_CENTRE_HU = [93, 114, 145, 249, 80, 61, 65, 69, 236, 129, 111, 122, 108, 121, 126, 183, 167, 67, 68, 73, 162,
                    160, 112, 132, 133, 128, 137, 157, 164, 76, 83, 109, 177, 117, 99, 103, 126, 161, 208, 208, 147,
                    79, 123, 118, 114]
ABDOMEN_THRESHOLDS = Thresholds(27.0, 32.3, 156.1)


def test_lumbar_discs_move_from_their_rims_into_the_mask_disc_bands():
    z = 280.3 + 3.0 * np.arange(len(TURNED_CENTRE_HU))
    # the score maxima measured: L4's upper rim, L2's lower rim, L2/L1, L1's upper endplate band, T12's lower rim
    maxima = np.array([292.3, 340.3, 373.3, 391.3, 409.3])
    out, moved = disc_centres_mm(maxima, z, np.asarray(TURNED_CENTRE_HU, float), ABDOMEN_THRESHOLDS)
    # the mask's disc bands along the body track: L4/L3 294-303, L3/L2 330-339, L2/L1 366-372, L1/T12 at 402
    for got, (lo, hi) in zip(out[[0, 1, 2, 4]], [(294, 303), (330, 339), (366, 372), (400, 405)]):
        assert lo <= got <= hi, out
    # 391: L1's band of darker marrow (99-103 HU at 382-385 mm) between thick endplates is no disc: kept
    assert out[3] == 391.3 and moved.tolist() == [True, True, True, False, True]
    # the two maxima of T12/L1 (391 unmoved, 403 in the disc) are one disc, at the one in the disc; L3 is now
    # 36 mm, not the 48 mm (1.5 times its neighbours) that was cut in two
    merged = merge_lumbar_discs(out, [(1, 414.0)], 238.0, 3.0, None, moved)
    assert np.allclose(merged, [295.3, 331.3, 367.3, 403.3]), merged
