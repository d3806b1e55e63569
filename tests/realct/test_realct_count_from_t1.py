"""Numbering counted down from T1 when the series holds the top of the thorax (issue 12).

The contrast-enhanced chest CT (``realct_sources.load('aorta')``, 1.5 mm, C7 to the T12/L1 disc) shows no
vertebra below its lowest ribs, so the count from the lowest ribs cannot tell T12 from L1; it does show the
ribless C7 above the first ribs.  Oracles: TotalSegmentator's T12 label (its body centre, measured by
realct_reference), and hand-built columns whose rib pairs are counted by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.cli import main
from trainer.core.anatomy.ct_spine import LEVEL_ORDER, Vertebra, number_vertebrae

#: whole-series column detection (about 5 s) and one import of the 1.5 mm series
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def aorta_ct():
    return sources.load("aorta")


def test_aorta_t12_is_counted_down_from_t1_and_is_the_reference_t12(aorta_ct):
    """Before: "not numbered (the lowest rib lies at the lowest vertebra in view (T12 or above ...)".
    Now: T1 is the vertebra of the first ribs below the ribless C7, and the 12th vertebra down from it,
    the last in view, bears the lowest ribs: T12, within 3 mm of the reference's body centre."""
    col = sources.column(aorta_ct)     # once per run (realct_sources.column): test_realct_pedicle.py's too
    assert col.certain and col.numbered_by == "first rib", col.note
    assert "counted down from T1" in col.note and "12th pair" in col.note
    t12 = col.find("T12")
    assert t12 is not None, [v.level for v in col.vertebrae]
    ref = reference.measure(aorta_ct.labels, aorta_ct.grid, sources.VERTEBRA_LABELS["T12"])
    assert np.linalg.norm(np.asarray(t12.body_centre_mm) - ref.body_centre_mm) <= 3.0
    # C7 above T1, and every vertebra numbered: the count runs over the whole series
    assert [v.level for v in col.vertebrae] == list(LEVEL_ORDER[:LEVEL_ORDER.index("T12") + 1])


def test_import_ct_without_landmarks_finds_t12_and_says_it_counted_from_t1(aorta_ct, tmp_path, capsys):
    """`import-ct --level T12` with no landmark on the 1.5 mm series: written (exit 0), the message names
    the count from T1, the written body centre is within 3 mm of the reference's.  Before: exit 2, asking
    for --body-centre."""
    import tomllib

    folder = tmp_path / "series"
    sources.write_dicom(aorta_ct, folder)
    out = tmp_path / "aorta-T12.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out)]) == 0
    assert "T12 found by first rib (counted down from T1" in capsys.readouterr().err
    lm = tomllib.loads(out.read_text())["ct"]["landmarks"]
    ref = reference.measure(aorta_ct.labels, aorta_ct.grid, sources.VERTEBRA_LABELS["T12"])
    assert np.linalg.norm(np.asarray(lm["body_centre_mm"]) - ref.body_centre_mm) <= 3.0


def _column(n_rib_pairs: int):
    """A column drawn by hand: one ribless vertebra (C7), ``n_rib_pairs`` rib-bearing ones, each 20 mm tall, then
    two ribless (lumbar) ones, each 28 mm (cranial first; under 1.45 times their 20 mm neighbours), and the rib
    necks as measured on the chest CT: the first pair 11 mm above its vertebra's top (the first rib rises from its
    head), the others 8 mm below their vertebra's middle (on both sides).  The lumbar ones were 20 mm until round
    34: a 20 mm L1 below a 20 mm T12 reads 0.69 of their published pitches (27.9 + 30.4 mm), a vertebra cut in
    two, and since pass 166 the count does not carry there."""
    heights = [20.0] * (1 + n_rib_pairs) + [28.0] * 2
    tops = 800.0 - np.concatenate([[0.0], np.cumsum(heights)[:-1]])
    verts = [Vertebra(z_top_mm=t, z_bottom_mm=t - h, body_centre_mm=(0.0, -100.0, t - h / 2),
                      canal_centre_mm=(0.0, -75.0, t - h / 2)) for t, h in zip(tops, heights)]
    necks = [(side, verts[1].z_top_mm + 11.0) for side in (-1, 1)]
    for v in verts[2:1 + n_rib_pairs]:
        necks += [(side, v.body_centre_mm[2] - 8.0) for side in (-1, 1)]
    return verts, necks


def test_the_two_counts_agree_on_twelve_rib_pairs():
    """12 rib pairs: T1 (first ribs) and T12 (lowest ribs) are 11 vertebrae apart, the column is numbered from
    both, and the note says they agree.  Before: numbered from the lowest ribs alone."""
    verts, necks = _column(12)
    by, certain, note = number_vertebrae(verts, necks, None, 1.5)
    assert certain and by == "first rib and ribs", note
    assert "they agree" in note
    assert [v.level for v in verts] == list(LEVEL_ORDER[:LEVEL_ORDER.index("L2") + 1])


def test_thirteen_rib_pairs_leave_the_numbering_uncertain_and_say_both_counts():
    """13 rib pairs (a published variant: counted from T1 the lowest ribs are the 13th vertebra): the
    counts disagree by one, the numbering is uncertain and the note names both.  Before: numbered from
    the lowest ribs, every level above T12 one off."""
    verts, necks = _column(13)
    by, certain, note = number_vertebrae(verts, necks, None, 1.5)
    assert not certain and by == "", note
    assert "makes vertebra 2 T1 but the lowest ribs make vertebra 14 T12" in note
    assert "--body-centre" in note
    assert all(v.level is None for v in verts)
