"""The labelled canal's plausibility line (round 41, pass 211): the limits by hand from the level table.

L2 in ``assets/morphometry.csv`` (Panjabi 1992): canal 23.8 mm wide and 18.2 mm deep; times 0.6 (published
canal widths differ by up to 40 %, FACTS.md 1.1): 14.28 mm and 10.92 mm.
"""

from __future__ import annotations

import pytest

from trainer.core.scenario.ct_canal_check import canal_limits_mm, canal_note


def test_the_l2_limits_are_the_table_s_canal_times_0_6():
    assert canal_limits_mm("L2") == pytest.approx((14.28, 10.92), abs=1e-9)


@pytest.mark.parametrize("width, depth, said", [
    (14.2, 15.0, ["14.2 mm wide between its pedicles (the L2 canal: at least 14.3 mm)"]),
    (14.3, 10.9, ["10.9 mm deep behind the body (the L2 canal: at least 10.9 mm)"]),
    (8.2, 6.0, ["8.2 mm wide", "6.0 mm deep"]),
    (14.3, 11.0, []),
])
def test_a_canal_is_said_only_below_a_limit(width, depth, said):
    note = canal_note(width, depth, "L2", 5.0)
    assert bool(note) == bool(said), note
    for words in said:
        assert words in note, note
    if note:
        assert "at most 3 mm slices" in note and "before teaching with this case" in note, note


def test_thin_slices_and_the_editor_have_their_own_advice():
    thin = canal_note(8.0, 15.0, "L2", 2.5)
    assert "at most 3 mm slices" not in thin and "choose another level" in thin, thin
    assert "before saving" in canal_note(8.0, 15.0, "L2", 5.0, in_editor=True)
