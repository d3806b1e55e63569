"""The case picker reads a patient-CT case's series, as ``scenarios validate`` does, and shows the same line.

Round 40: until then the picker loaded the TOML only, and a CT case whose series has a damaged slice was listed as
one to start while ``vptrainer scenarios validate`` said INVALID with the reader's line.  The oracle is that
command, run in its own process on the same file: its stderr's ``error:`` line is the text the picker must show.
The series is a synthetic one written by the trainer's DICOM writer, one slice re-encoded in JPEG 2000 by OpenJPEG
(imagecodecs) and then damaged as a bad copy would (16 bytes lost from its codestream).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
from imagecodecs import jpeg2k_encode
from PySide6.QtCore import Qt

from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.scenario.model import Scenario
from trainer.ui.scenario_picker import ScenarioPicker

#: a CT scenario over the series in ``ct`` beside it (validate reads the series, not the landmarks' anatomy)
_CT_CASE = ('[scenario]\ntitle = "synthetic series"\nobjectives = ["o"]\n[ct]\nfolder = "ct"\nlevel = "T12"\n'
            "[ct.landmarks]\nbody_centre_mm = [0.0, 0.0, 0.0]\npedicle_left_centre_mm = [15.0, 20.0, 0.0]\n"
            "pedicle_right_centre_mm = [-15.0, 20.0, 0.0]\nsuperior_endplate_z_mm = 10.0\n"
            "inferior_endplate_z_mm = -10.0\n")


def _case(tmp_path, damaged: bool):
    """case.toml over a 6-slice series; with ``damaged``, its third slice is a JPEG 2000 codestream that lost 16
    bytes mid-way.  (the case file, the damaged slice)"""
    folder = tmp_path / "case" / "ct"
    hu = np.random.default_rng(5).integers(-1000, 1500, (6, 40, 48)).astype(np.int16)
    write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(hu.shape, (0.8, 0.8, 2), (0, 0, 0))),
                    folder)
    victim = sorted(folder.iterdir())[2]
    if damaged:
        ds = pydicom.dcmread(victim)
        stream = bytes(jpeg2k_encode(ds.pixel_array, codecformat="J2K", reversible=True, level=0))
        mid = len(stream) // 2
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
        ds.PixelData = pydicom.encaps.encapsulate([stream[:mid] + stream[mid + 16:]])
        ds["PixelData"].VR = "OB"
        ds.save_as(victim, enforce_file_format=True)
    case = folder.parent / "case.toml"
    case.write_text(_CT_CASE, encoding="utf-8")
    return case, victim


def _validate(case) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainer.cli", "scenarios", "validate", str(case)],
                          capture_output=True, text=True)


def _row(picker, case):
    (item,) = [picker.list.item(i) for i in range(picker.list.count())
               if picker.list.item(i).data(Qt.ItemDataRole.UserRole + 1) == str(case.resolve())]
    return item


def test_a_ct_case_with_a_damaged_slice_shows_validate_s_line(qtbot, tmp_path):
    case, victim = _case(tmp_path, damaged=True)
    r = _validate(case)
    lines = r.stderr.splitlines()
    assert r.returncode == 2 and lines[0] == f"{case}: INVALID (1 problem)" and len(lines) == 2, r
    said = lines[1].removeprefix("  error: ")
    assert said.startswith(f"{victim}: pixel data in JPEG 2000")
    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    with qtbot.waitSignal(picker.seriesChecked, timeout=60_000) as checked:
        picker.add_scenario_file(case)
        # the file is listed at once from its TOML, its series being read off the GUI thread: the window answers
        item = _row(picker, case)
        assert isinstance(item.data(Qt.ItemDataRole.UserRole), Scenario) and picker.checking(str(case.resolve()))
        assert "Reading its CT series to check every slice" in picker.details.toPlainText()
        # Start waits for the read (round 41: it was on, and the damaged case could be started meanwhile)
        assert not picker.start_button.isEnabled() and picker.start_button.text() == "Reading the series…"
    assert checked.args == [str(case.resolve()), said]
    assert item.text() == "⚠ case.toml: its CT series cannot be read" and item.toolTip() == said
    assert item.foreground().color() == Qt.GlobalColor.red
    assert said in picker.details.toPlainText() and not picker.start_button.isEnabled()
    assert picker.start_button.text() == "Start"
    assert picker.current_scenario() is None


def test_a_ct_case_whose_series_reads_stays_a_case_to_start(qtbot, tmp_path):
    case, _ = _case(tmp_path, damaged=False)
    r = _validate(case)
    assert r.returncode == 0 and r.stdout.startswith(f"{case}: OK (T12 patient CT") and r.stderr == "", r
    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    with qtbot.waitSignal(picker.seriesChecked, timeout=60_000) as checked:
        picker.add_scenario_file(case)
    assert checked.args == [str(case.resolve()), ""]
    item = _row(picker, case)
    assert isinstance(item.data(Qt.ItemDataRole.UserRole), Scenario) and not item.text().startswith("⚠")
    assert picker.start_button.isEnabled() and "Reading its CT series" not in picker.details.toPlainText()


def _busy_picker(qtbot):
    """(a picker whose one reading thread is held busy by a job waiting for an event, that event): a case's read
    submitted now stays queued until the event is set."""
    import threading

    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    gate, holding = threading.Event(), threading.Event()

    def hold(_payload, _progress):
        holding.set()
        gate.wait()

    picker._runner.submit("hold", hold)
    assert holding.wait(30)
    return picker, gate


def test_closing_the_picker_lets_a_series_read_go(qtbot, tmp_path):
    """Start (or Cancel) while a CT case's series waits to be read: the read is dropped, not run (the session reads
    the series again when it builds the patient: two reads at once held it twice).  The picker's one reading thread
    is held busy first by a job that waits for an event, so the case's read is still queued when the picker closes."""
    case, _ = _case(tmp_path, damaged=True)
    picker, gate = _busy_picker(qtbot)
    checked = []
    picker.seriesChecked.connect(lambda *a: checked.append(a))
    picker.add_scenario_file(case)
    assert picker.checking(str(case.resolve()))
    picker.reject()
    gate.set()
    qtbot.waitUntil(lambda: not picker._runner.busy, timeout=60_000)
    assert checked == [] and not picker.checking(str(case.resolve()))


def test_opening_a_ct_case_again_lets_its_earlier_read_go(qtbot, tmp_path):
    """A CT case's file opened three times while the picker's one reading thread is busy (an instructor opening a
    folder of cases again, round 40 hostile40): only the last open's read runs.  Before, each open queued a read of
    the whole series (0.3 to 2 s a real CT), the earlier ones' answers then thrown away, so that a folder opened
    twice read every series twice before the newest row was told.  Reads that ran are counted by the files each
    reported reading; the row shows validate's line, as for one open."""
    case, _ = _case(tmp_path, damaged=True)
    said = _validate(case).stderr.splitlines()[1].removeprefix("  error: ")
    picker, gate = _busy_picker(qtbot)
    reading = set()
    picker._runner.progress.connect(lambda rid, _f, _t: reading.add(rid))
    for _ in range(3):
        picker.add_scenario_file(case)
    with qtbot.waitSignal(picker.seriesChecked, timeout=60_000) as checked:
        gate.set()
    qtbot.waitUntil(lambda: not picker._runner.busy, timeout=60_000)
    assert len(reading) == 1, reading                 # failed before: 3 reads, of the same series
    assert checked.args == [str(case.resolve()), said] and _row(picker, case).toolTip() == said


def test_start_waits_for_the_series_read_and_neither_a_double_click_nor_return_starts_before(qtbot, tmp_path):
    """A CT case whose series reads: while the read waits (the picker's one reading thread held busy), Start is off
    and says "Reading the series…"; a real double-click on the case's row and a real Return on the picker start
    nothing.  Once the read says the series reads, Start is on again and a click on it starts that case.  Before
    (round 40) Start was on from the moment the row was listed, so a case whose series the check then refused could
    be started first."""
    from PySide6.QtTest import QTest
    from qt_input import show_active

    case, _ = _case(tmp_path, damaged=False)
    picker, gate = _busy_picker(qtbot)
    try:
        show_active(qtbot, picker)
        started, checked = [], []
        picker.scenarioChosen.connect(started.append)
        picker.seriesChecked.connect(lambda *a: checked.append(a))
        picker.add_scenario_file(case)
        item = _row(picker, case)
        assert picker.list.currentItem() is item and picker.checking(str(case.resolve()))
        assert not picker.start_button.isEnabled() and picker.start_button.text() == "Reading the series…"
        rect = picker.list.visualItemRect(item)
        for click in (QTest.mouseClick, QTest.mouseDClick):    # press, release, then the second press: a double-click
            click(picker.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        QTest.keyClick(picker, Qt.Key.Key_Return)
        assert started == [] and picker.isVisible()              # failed before: the double-click started the case
    finally:
        gate.set()                   # a failure above does not leave the reading thread held
    qtbot.waitUntil(lambda: not picker.checking(str(case.resolve())), timeout=60_000)
    assert checked == [(str(case.resolve()), "")]
    assert picker.start_button.isEnabled() and picker.start_button.text() == "Start"
    QTest.mouseClick(picker.start_button, Qt.MouseButton.LeftButton)
    assert [Path(s.path).resolve() for s in started] == [case.resolve()]
    assert not picker.isVisible()


def test_the_selected_case_s_series_is_read_before_the_other_rows_waiting(qtbot, tmp_path):
    """A folder of three CT cases opened while the picker's one reading thread is held busy, then its last case
    selected: once the thread is free, the read already started (the first case's) ends, and the selected case's
    series is read next, before the second's.  Before (round 41, hostile41) every row's read was queued at once in
    list order, so the selected case's Start stayed off until all the reads before it had run (4.2 s for the last of
    8 cases over a real chest CT)."""
    case, _ = _case(tmp_path, damaged=False)
    for name in ("a", "b", "c"):
        (case.parent / f"{name}.toml").write_text(_CT_CASE.replace("synthetic series", f"series {name}"),
                                                  encoding="utf-8")
    case.unlink()
    picker, gate = _busy_picker(qtbot)
    checked = []
    picker.seriesChecked.connect(lambda key, _said: checked.append(Path(key).stem))
    try:
        assert picker.add_folder(case.parent) == 3
        last = _row(picker, case.parent / "c.toml")
        picker.list.setCurrentItem(last)
        assert picker.checking(str((case.parent / "c.toml").resolve()))
        assert not picker.start_button.isEnabled()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: len(checked) == 3, timeout=60_000)
    assert checked == ["a", "c", "b"]                           # failed before: ["a", "b", "c"]
    assert picker.list.currentItem() is last and picker.start_button.isEnabled()
