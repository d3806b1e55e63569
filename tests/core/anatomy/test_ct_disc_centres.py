"""Where a lumbar disc lies (``ct_spine.disc_centres_mm``), on the numbers measured on the abdominal CT turned -15
deg (docs/realct-log.md, pass 97, round 24, abdturn), so that it runs without the real-CT downloads.

A disc's score maximum (``split_vertebrae``) sits on one of its two endplate rims, and which one depends on where
the slices fall; the disc is moved to its own middle, the darkest part of the body's centre between the rims.
Oracle: the TotalSegmentator mask's disc bands along the body track (not our code).  Before, the L3/L4 disc
was read at 292 mm and L2/L3 at 340 (opposite rims), L3 was 48 mm tall, 1.5 times its neighbours, and was cut
in two, so the ribs' and the sacrum's counts disagreed.
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_spine import Thresholds, disc_centres_mm, merge_lumbar_discs

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
