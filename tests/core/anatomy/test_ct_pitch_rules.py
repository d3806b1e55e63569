"""The count against the published pitch (``ct_spine.segments_out_of_pitch``; docs/realct-log.md, pass 150,
round 30) on hand-made columns, without the real-CT downloads.

Oracle: FACTS.md section 1's numbers worked by hand.  A vertebra's pitch is its posterior body height plus the
disc below it: T8 19.6 + 4.5 = 24.1 mm, T9 20.4 + 4.8 = 25.2, T10 21.2 + 5.3 = 26.5, T11 21.9 + 5.5 = 27.4,
T12 22.7 + 5.2 = 27.9, L1 23.8 + 6.6 = 30.4.

* Two neighbouring thoracic segments together shorter than 0.70 of their two pitches hold a disc too many (one
  vertebra cut in two): the count stops before the one farther from where it starts.
* A segment taller than 1.45 times its level's pitch holds a disc missed (L1: 44.1 mm).
"""

from __future__ import annotations

import numpy as np
from test_ct_rib_stub_rules import _column, _necks

from trainer.core.anatomy.ct_spine import number_vertebrae, published_pitch_mm, segments_out_of_pitch, vertebra_runs


def test_the_published_pitches():
    for level, mm in (("T8", 24.1), ("T9", 25.2), ("T10", 26.5), ("T11", 27.4), ("T12", 27.9), ("L1", 30.4)):
        assert abs(published_pitch_mm(level) - mm) < 0.05, level


def test_a_thoracic_vertebra_cut_in_two_stops_the_count_at_it():
    # cranial first: T8 24, T9 25, the real T10 cut in two halves of 13 and 14 mm, T11 27, T12 28 (the lowest
    # ribs), L1, L2
    heights = [24.0, 25.0, 13.0, 14.0, 27.0, 28.0, 30.0, 32.0]
    verts, ribbed = _column(heights, [True] * 6 + [False] * 2)
    by, certain, note = number_vertebrae(verts, _necks(verts, ribbed), None, 2.5)
    assert certain and by == "ribs"
    # counted from T12 (index 5) up: index 4 T11 (27 mm), index 3 "T10" (14) and index 2 "T9" (13): 27 mm against
    # 26.5 + 25.2 = 51.7, 0.52 < 0.70; T11 + "T10" = 41 against 53.9, 0.76, is not short.  The farther of the short
    # pair, index 2, stops the count: T8 and T9 above it are not numbered (they would be one level too high)
    assert [v.level for v in verts] == [None, None, None, "T10", "T11", "T12", "L1", "L2"], note
    assert "vertebrae 1-3" in note and "cut in two" in note


def test_the_note_names_runs_of_vertebrae():
    assert vertebra_runs([0, 1, 2, 5]) == "vertebrae 1-3, vertebra 6"
    assert vertebra_runs([4]) == "vertebra 5"
    assert vertebra_runs([0, 2, 3]) == "vertebra 1, vertebrae 3-4"


def test_the_chest_ct_s_own_short_pair_is_not_taken_for_a_cut_vertebra():
    # the unturned chest CT at 2.5 mm, T4-T12 (docs/realct-log.md pass 150): 20, 18, 15, 22, 15, 28, 28, 20, 28 mm;
    # its shortest pair, T6 + T5 = 33 mm, is 0.74 of 44.5 (T6 18.33 + 4.19, T5 17.87 + 4.09, the table's
    # extrapolation above T7): not short
    heights = [20.0, 18.0, 15.0, 22.0, 15.0, 28.0, 28.0, 20.0, 28.0, 28.0, 28.0]
    verts, ribbed = _column(heights, [True] * 9 + [False] * 2)
    # the top vertebra's rib on one side only: a pair at the series' top with a vertebra above would be read as
    # the first ribs (the real CT's T4 has no ribless vertebra above it in view)
    necks = [n for n in _necks(verts, ribbed) if n != (-1, verts[0].body_centre_mm[2] - 8.0)]
    by, certain, note = number_vertebrae(verts, necks, None, 2.5)
    assert certain, note
    assert [v.level for v in verts] == ["T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1", "L2"], note


def test_a_lumbar_segment_far_taller_than_its_level_is_not_numbered():
    # L1 of 45 mm below T12 (the chest CT turned -5 deg at 5 mm: from T12/L1 to L2/L3): 45 > 1.45 x 30.4 = 44.1.
    # Its neighbours (T12 30, T11 55) leave it under 1.45 times their median, the rule that ran before
    heights = [40.0, 55.0, 30.0, 45.0]
    verts, ribbed = _column(heights, [True, True, True, False])
    by, certain, note = number_vertebrae(verts, _necks(verts, ribbed), None, 5.0)
    assert certain and verts[2].level == "T12"
    assert verts[3].level is None and "vertebra 4" in note
    # 43 mm (0.98 x 44.1) is numbered
    verts, ribbed = _column([40.0, 55.0, 30.0, 43.0], [True, True, True, False])
    number_vertebrae(verts, _necks(verts, ribbed), None, 5.0)
    assert verts[3].level == "L1"


def test_anchors_and_unknown_heights_are_never_marked():
    # the anchor (index 1) in a short pair, an unknown (NaN: cut by the field's edge) height beside another
    h = np.array([10.0, 10.0, np.nan, 12.0])
    out = segments_out_of_pitch(h, ["T10", "T11", "T12", "L1"], anchors=[1])
    assert out.tolist() == [True, False, False, False]
    # a pair equally far from two anchors: both
    out = segments_out_of_pitch(np.array([27.0, 10.0, 10.0, 27.0]), ["T9", "T10", "T11", "T12"], anchors=[0, 3])
    assert out.tolist() == [False, True, True, False]
    # levels outside the count (None) are never judged
    out = segments_out_of_pitch(np.array([90.0, 5.0, 5.0]), [None, None, None], anchors=[])
    assert not out.any()
