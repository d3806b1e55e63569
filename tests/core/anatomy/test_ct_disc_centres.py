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


#: the chest CT turned +10 deg about T12's canal and averaged to 5 mm: mean HU within 5 mm of the body track per
#: slice, z -338.75 to -13.75 mm (``split_vertebrae``'s centre, rounded), its thresholds and score maxima; at 5 mm
#: the 12th ribs' shafts fall under the threshold, so the lowest ribs are the 11th and every disc below -231.25 mm
#: is taken for lumbar (pass 143, pass 200)
TURNED_CHEST_5MM_CENTRE_HU = [79, 62, 206, 162, 181, 86, 71, 64, 221, 174, 129, 80, 40, 178, 171, 186, 101, 110, 121,
                              189, 228, 114, 100, 96, 189, 185, 94, 76, 155, 176, 103, 101, 118, 178, 166, 102, 94,
                              182, 189, 96, 115, 178, 199, 129, 113, 156, 200, 124, 114, 198, 201, 140, 183, 242, 176,
                              179, 194, 115, 41, 163, 334, 293, 136, 76, -32, -18]
TURNED_CHEST_MAXIMA = [-323.75, -293.75, -273.75, -248.75, -223.75, -193.75, -148.75, -113.75, -98.75, -78.75,
                       -48.75, -28.75]
CHEST_THRESHOLDS = Thresholds(69.0, 40.0, 200.0)


def test_at_thick_slices_a_disc_moves_at_most_one_slice_from_its_maximum():
    """At 5 mm the T11/T12 disc's maximum (-248.75 mm) lies on the turned mask's disc band (T12's superior endplate
    -248.75, T11's inferior -243.75: ``realct_reference.measure`` on the turned labels).  Followed down the darker
    slices as at 3 mm, it was walked to -258.75, 10 mm into T12's body (the mask's T12 -271.25 to -248.75), and the
    column numbered the 5 mm turned chest two levels off with certainty; looked for one slice away only
    (``one_slice``, every slice over 3 mm since round 40), it stays in the band."""
    z = -338.75 + 5.0 * np.arange(len(TURNED_CHEST_5MM_CENTRE_HU))
    centre = np.asarray(TURNED_CHEST_5MM_CENTRE_HU, float)
    walked, _ = disc_centres_mm(np.array(TURNED_CHEST_MAXIMA), z, centre, CHEST_THRESHOLDS, -231.25)
    assert -271.25 < walked[3] < -248.75 - 5.0, walked          # the 3 mm rule: inside T12's body
    kept, moved = disc_centres_mm(np.array(TURNED_CHEST_MAXIMA), z, centre, CHEST_THRESHOLDS, -231.25, one_slice=True)
    assert -248.75 - 2.5 <= kept[3] <= -243.75 + 2.5 and not moved[3], kept


#: the abdominal CT as 5 mm slabs: mean HU within 5 mm of the body track per slab, z 190.3 to 425.3 mm (the slabs
#: of the series' middle, ``split_vertebrae``'s centre, rounded), and its thresholds
ABDOMEN_5MM_CENTRE_HU = [-99, -103, -98, 137, 124, 155, 217, 89, 168, 185, 124, 111, 151, 89, 79, 151, 146, 120, 103,
                         134, 178, 69, 69, 195, 108, 108, 121, 152, 109, 71, 147, 142, 134, 132, 128, 142, 86, 142, 114,
                         102, 197, 257, 154, 90, 132, 107, 111, 97]


def test_at_5_mm_slabs_the_l2_l3_cut_moves_into_its_disc():
    """The 5 mm slabs' L2/L3 cut (split_tall_segments' ``place``: between 300.3 and 360.3, at 340.3, the slab of L2's
    lower endplate) moves one slab to 335.3, inside the mask's L2/L3 disc (L3's superior endplate 326.8, L2's
    inferior 338.8: ``realct_reference.measure`` on the 3 mm mask); before round 40 thick slices were not moved."""
    z = 190.3 + 5.0 * np.arange(len(ABDOMEN_5MM_CENTRE_HU))
    out, moved = disc_centres_mm(np.array([300.3, 340.3, 360.3]), z, np.asarray(ABDOMEN_5MM_CENTRE_HU, float),
                                 Thresholds(23.0, 28.9, 138.5), np.inf, one_slice=True)
    assert 326.8 <= out[1] <= 338.8 and moved[1], out


def test_at_5_mm_slabs_with_the_sacrum_in_view_the_l1_l2_trough_two_slabs_away_is_found():
    """The 5 mm slabs' L1/L2 maximum (360.3 mm) lies in L2's top: the mask's L1/L2 disc is 365.8-371.8 (L2's
    superior endplate, L1's inferior: ``realct_reference.measure`` on the 3 mm mask) and the darkest slab of the
    body's centre there (370.3 mm, 86 HU, rims of 142 HU on both sides) is two slabs up.  One slab away (the round-40
    rule) the maximum is kept; two (``reach_slices=2``, where the sacrum confirms the lumbar count, pass 206) it moves
    into the disc."""
    z = 190.3 + 5.0 * np.arange(len(ABDOMEN_5MM_CENTRE_HU))
    maxima = np.array([300.3, 360.3, 390.3, 410.3])
    centre, thr = np.asarray(ABDOMEN_5MM_CENTRE_HU, float), Thresholds(23.0, 28.9, 138.5)
    kept, moved = disc_centres_mm(maxima, z, centre, thr, np.inf, one_slice=True)
    assert kept[1] == 360.3 and not moved[1], kept
    out, moved = disc_centres_mm(maxima, z, centre, thr, np.inf, one_slice=True, reach_slices=2)
    assert 365.8 <= out[1] <= 371.8 and moved[1], out
