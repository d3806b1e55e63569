"""The case picker's Start waits for a real CT case's series to be read (round 41).

The series is the chest CT cropped round its spine (80 real slices, ``chest_crop``), read in the picker's own
background job, as ``scenarios validate`` reads it.  While the read runs, Start is off and reads "Reading the
series…"; it comes on when the series reads, and stays off when a slice is damaged (one slice file cut short, as an
interrupted copy leaves it), the row then saying what ``scenarios validate``, run in its own process, says.
Before, Start was on from the moment the row was listed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import realct_sources as sources
from PySide6.QtCore import Qt

from trainer.ui.scenario_picker import ScenarioPicker

#: a T12 case over the series in ``ct`` beside it (the picker and validate read the series, not the landmarks)
_CASE = ('[scenario]\ntitle = "Chest crop"\nobjectives = ["o"]\n[ct]\nfolder = "ct"\nlevel = "T12"\n'
         "[ct.landmarks]\nbody_centre_mm = [0.0, 0.0, 0.0]\npedicle_left_centre_mm = [15.0, 20.0, 0.0]\n"
         "pedicle_right_centre_mm = [-15.0, 20.0, 0.0]\nsuperior_endplate_z_mm = 10.0\n"
         "inferior_endplate_z_mm = -10.0\n")


@pytest.fixture(scope="module")
def crop_case(chest_crop, tmp_path_factory):
    """(a case over the real chest crop, a case over a copy with its 40th slice file cut to half its length)."""
    cases = []
    for name in ("whole", "cut"):
        root = tmp_path_factory.mktemp(name)
        sources.write_dicom(chest_crop, root / "ct")
        (root / "case.toml").write_text(_CASE, encoding="utf-8")
        cases.append(root / "case.toml")
    victim = sorted((cases[1].parent / "ct").iterdir())[39]
    data = victim.read_bytes()
    victim.write_bytes(data[:len(data) // 2])
    return cases


def _validate(case) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainer.cli", "scenarios", "validate", str(case)],
                          capture_output=True, text=True)


@pytest.mark.parametrize("which", ["whole", "cut"])
def test_start_is_off_while_a_real_series_is_read(qtbot, crop_case, which):
    case = crop_case[0] if which == "whole" else crop_case[1]
    r = _validate(case)
    said = "" if r.returncode == 0 else r.stderr.splitlines()[1].removeprefix("  error: ")
    assert (r.returncode, bool(said)) == ((0, False) if which == "whole" else (2, True)), r
    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    with qtbot.waitSignal(picker.seriesChecked, timeout=120_000) as checked:
        picker.add_scenario_file(case)
        assert picker.checking(str(case.resolve()))
        # failed before: Start on, reading "Start", while the 80 slices were being read
        assert not picker.start_button.isEnabled() and picker.start_button.text() == "Reading the series…"
    assert checked.args == [str(case.resolve()), said]
    assert picker.start_button.text() == "Start"
    assert picker.start_button.isEnabled() == (which == "whole")
    item = picker.list.currentItem()
    assert item.toolTip() == (said or str(case.resolve()))
    assert (item.foreground().color() == Qt.GlobalColor.red) == (which == "cut")
