"""Two numbering rules of ``ct_spine`` on a hand-made column (docs/realct-log.md, pass 143, round 29), so that
they run without the real-CT downloads.  Oracle: the anatomy each rule states, checked by hand on the numbers.

* A stub below the lowest ribs: when the ribs are the only count, bone beside the canal of the vertebra below
  the lowest ribs that reaches further than L1's transverse processes but not as far as a rib (a 12th rib whose
  shaft the thick slices lost) makes the numbering uncertain; with the sacrum in view agreeing it does not.
* A rib-bearing segment taller than any thoracic vertebra with its disc (T12's posterior height 22.7 mm plus
  the T10/T11 disc's 5.4 mm, FACTS.md 1.3 / 1.4, times 1.45 = 40.7 mm) holds a missed disc even when its
  neighbours are as tall: the count does not carry across it.
"""

from __future__ import annotations

from trainer.core.anatomy.ct_spine import Vertebra, _Lateral, number_vertebrae, rib_stubs


def _column(heights_mm, ribs, top_mm=0.0):
    """Vertebrae cranial first, stacked down from ``top_mm`` with the given heights, centred on x = y = 0."""
    out, z = [], top_mm
    for h in heights_mm:
        out.append(Vertebra(z_top_mm=z, z_bottom_mm=z - h, body_centre_mm=(0.0, -30.0, z - h / 2),
                            canal_centre_mm=(0.0, 0.0, z - h / 2)))
        z -= h
    return out, ribs


def _necks(verts, ribbed):
    """Rib necks (side, neck top z) 8 mm below the middle of each rib-bearing vertebra, both sides."""
    return [(s, v.body_centre_mm[2] - 8.0) for v, r in zip(verts, ribbed) if r for s in (-1, 1)]


def test_a_stub_at_the_vertebra_below_the_lowest_ribs_makes_the_count_uncertain():
    verts, ribbed = _column([25.0] * 8, [True] * 6 + [False] * 2)
    necks = _necks(verts, ribbed)
    # by the ribs alone: vertebra 6 (index 5) is T12
    by, certain, _ = number_vertebrae(verts, necks, None, 5.0)
    assert certain and by == "ribs" and verts[5].level == "T12"
    # a 52 mm region in vertebra 7's neck window (the chest CT turned +15 deg at 5 mm: 52 mm): uncertain, nothing
    # numbered, and the note says which vertebra and how far out
    stub = (1, verts[6].body_centre_mm[2] - 8.0, 52.0)
    by, certain, note = number_vertebrae(verts, necks, None, 5.0, stubs=[stub])
    assert not certain and by == "" and all(v.level is None for v in verts)
    assert "vertebra 7" in note and "left 52 mm" in note and "--body-centre" in note
    # the same stub at the lowest ribs' own vertebra (the other side's 12th rib, its shaft lost) changes nothing
    same = (-1, verts[5].body_centre_mm[2] - 8.0, 55.0)
    by, certain, _ = number_vertebrae(verts, necks, None, 5.0, stubs=[same])
    assert certain and verts[5].level == "T12"


def test_the_sacrum_agreeing_outweighs_a_stub():
    # T12 (index 5) and five lumbar vertebrae: L5 is index 10, the sacrum's top lies 2 mm below its lower face,
    # above the centre of index 11 (S1)
    verts, ribbed = _column([25.0] * 13, [True] * 6 + [False] * 7)
    necks = _necks(verts, ribbed)
    sacrum_mm = verts[10].z_bottom_mm - 2.0
    stub = (1, verts[6].body_centre_mm[2] - 8.0, 52.0)
    by, certain, _ = number_vertebrae(verts, necks, sacrum_mm, 3.0, stubs=[stub])
    assert certain and by == "ribs and sacrum" and verts[5].level == "T12" and verts[10].level == "L5"


def test_rib_stubs_are_the_regions_between_a_transverse_process_and_a_rib():
    def region(reach_mm, neck_top_mm=-200.0):
        return _Lateral(side=1, reach_mm=reach_mm, z_span_mm=10.0, n_voxels=20, neck_top_mm=neck_top_mm,
                        medial_top_mm=neck_top_mm, medial_back_mm=5.0)
    # L1's transverse processes on the chest CT reach 37-42 mm, the lost 12th ribs 50-52, a rib 60 or more
    got = rib_stubs([region(40.0), region(52.0), region(82.0), region(50.0, float("nan"))], 2.5)
    assert got == [(1, -197.5, 52.0)]


def test_a_rib_bearing_segment_taller_than_a_thoracic_vertebra_stops_the_count():
    # the chest CT turned -5 deg at 5 mm: 40, 40 and 55 mm rib-bearing segments side by side above T12 (30 mm)
    heights = [20.0, 40.0, 40.0, 55.0, 30.0, 30.0]
    verts, ribbed = _column(heights, [True] * 5 + [False])
    by, certain, note = number_vertebrae(verts, _necks(verts, ribbed), None, 5.0)
    assert certain and verts[4].level == "T12" and verts[5].level == "L1"
    # 55 mm > 40.7 mm: not numbered, nor anything above it; 40 mm segments alone would be carried
    assert [v.level for v in verts[:4]] == [None] * 4
    assert "vertebrae 1-4" in note
    # a non-rib (lumbar) segment 43 mm tall is not held to the thoracic bound (L1's own, 1.45 x 30.4 = 44.1 mm since
    # round 30, test_ct_pitch_rules.py)
    verts, ribbed = _column([28.0, 30.0, 32.0, 43.0, 38.0], [True, True, True, False, False])
    number_vertebrae(verts, _necks(verts, ribbed), None, 5.0)
    assert verts[3].level == "L1"
