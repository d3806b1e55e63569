"""The landmark editor says the true AP's tilt that ``scenarios show`` prints for the same landmarks (round 42).

Pass 214 put the line in ``scenarios show``; the editor (Session > Import patient CT) never said it, and its check
job labelled the patient only at thick slices or with a landmark still estimated.  The real abdominal CT: as 5 mm
slabs its L2's labelled endplates both lean about -9 deg (an AP squared on the orbital angle alone fails "True AP
before access: endplates"); at 3 mm the span holds 0.  The editor now labels the patient from the landmarks as the
file will hold them, off the GUI thread, and shows the line under its landmarks table.

Oracles: ``vptrainer scenarios show`` run on the scenario the editor saved (the same landmarks), and the endplates'
inclinations computed by hand from the saved scenario's label volume (``_hand_inclinations_deg`` of
test_realct_true_ap_tilt.py: the body's lowest and highest labelled voxel a quarter of the depth inside each wall).
In a file of tests/realct, not tests/ui, for the real CTs' fixtures (tests/realct/conftest.py).
"""

from __future__ import annotations

import json
import re

import pytest
from PySide6.QtCore import Qt
from qt_input import type_into_spin
from realct_gui import open_editor
from test_realct_true_ap_tilt import _hand_inclinations_deg

from trainer.cli import main

pytestmark = pytest.mark.slow

LINE = re.compile(r"^\s*(true AP tilt .*)$", re.M)
ORBITAL = re.compile(r"^\s*(true AP at orbital .*)$", re.M)


def show_lines(capsys, scenario) -> tuple[list[str], dict]:
    """(``scenarios show``'s true AP lines: the orbital line of a turned vertebra, if any, and the tilt line;
    ``show --json``)."""
    capsys.readouterr()
    assert main(["scenarios", "show", str(scenario)]) == 0
    text = capsys.readouterr().out
    assert main(["scenarios", "show", str(scenario), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (line,) = LINE.findall(text)
    return ORBITAL.findall(text) + [line], data


def _show_line(capsys, scenario) -> tuple[str, dict]:
    """(``scenarios show``'s true AP tilt line, ``show --json``)."""
    lines, data = show_lines(capsys, scenario)
    return lines[-1], data


def shown_sentences(dlg) -> list[str]:
    """The editor's true AP sentences as on screen, back in ``show``'s words (each one's capital and full stop
    taken off)."""
    assert dlg.true_ap_label.isVisible()
    text = dlg.true_ap_label.text()
    assert text.startswith("True AP ") and text.endswith("."), text
    return ["t" + s[1:-1] for s in re.split(r"(?<=\.) (?=True AP )", text)]


def _shown(dlg) -> str:
    """The editor's true AP tilt sentence in ``show``'s words (its last)."""
    tilt = shown_sentences(dlg)[-1]
    assert tilt.startswith("true AP tilt "), tilt
    return tilt


def test_the_editor_says_the_5_mm_l2s_tilt_as_show_does(qtbot, capsys, totalseg_5mm_series):
    root, folder = totalseg_5mm_series
    dlg = open_editor(qtbot, folder, level="L2")
    shown = _shown(dlg)                               # failed before: the editor has no such line
    out = root / "editor-true-ap-l2.toml"
    assert dlg.save_scenario(out, force=True) is not None
    lines, data = show_lines(capsys, out)
    line = lines[-1]
    assert shown == line, (shown, line)
    # the L2 lies turned: its orbital line as show says it, before the tilt (round 43; before, the tilt alone)
    assert len(lines) == 2 and shown_sentences(dlg) == lines, (shown_sentences(dlg), lines)
    assert not dlg.true_ap_label.is_cut(), dlg.true_ap_label.shown_lines()     # both whole on the screen
    inf, sup = _hand_inclinations_deg(out, data["landmarks"])
    assert max(inf, sup) < -3.0                       # both lean: the line asks for a caudal tilt
    assert f"lean {inf:.1f} deg (inferior) and {sup:.1f} deg (superior" in shown, shown
    assert "(caudal, Ctrl+Down)" in shown and "teach the tilt with this case" in shown
    assert "color: #ffc060" in dlg.true_ap_label.styleSheet()          # amber: the AP needs a tilt


def test_a_landmark_typed_on_the_thin_series_is_judged_again(qtbot, capsys, totalseg_series):
    """At 3 mm the estimate's L2 needs no tilt; the superior endplate typed 4 mm lower (a slip, or a choice) changes
    what the trainer labels, and the line follows, as ``show`` says it for the saved file."""
    root, folder = totalseg_series
    dlg = open_editor(qtbot, folder, level="L2")
    first = _shown(dlg)
    assert first.startswith("true AP tilt 0 deg:"), first
    assert "color: #a8e0a8" in dlg.true_ap_label.styleSheet()
    moved = round(dlg.landmarks["superior_endplate_z_mm"] - 4.0, 1)
    type_into_spin(qtbot, dlg.spins["superior_endplate_z_mm", "z"], moved, Qt.Key.Key_Tab)
    assert dlg.source["superior_endplate_z_mm"] == "edited"
    qtbot.waitUntil(lambda: dlg.true_ap_label.text() not in ("", "True AP: checking the landmarks as moved…")
                    and _shown(dlg) != first, timeout=180_000)
    out = root / "editor-true-ap-l2-typed.toml"
    assert dlg.save_scenario(out, force=True) is not None
    line, data = _show_line(capsys, out)
    assert _shown(dlg) == line, (_shown(dlg), line)
    inf, sup = _hand_inclinations_deg(out, data["landmarks"])
    assert f"lean {inf:.1f} deg (inferior) and {sup:.1f} deg (superior" in line, line
