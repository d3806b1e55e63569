"""A CT case whose series read does not answer (a folder on a hung network share) no longer leaves the picker stuck.

Passes 208 and 210 left it: the row said nothing while its read waited, and a read that never ends kept Start off
with no limit, every other CT case's read queued behind it.  Now the row says "reading its CT series…" while it is
read; once the read has gone the picker's patience without reading a file, the row says so and its details name
the series folder; the next case's read goes to a new thread at once, and Cancel closes the picker at once.

The read that does not answer is real: the picker's one reading thread is held in a read of a FIFO in the temporary
folder (``open`` of a FIFO blocks until a writer opens it, as a read of a hung share blocks in the kernel), and the
case's series read waits behind it.  The patience is set to 0.2 s so that the test does not sit out the 15 s a user
waits; no duration is asserted.  Oracles: what the picker emits and shows against the cases a hand wrote (one
series readable, ``scenarios validate`` run in its own process says OK for it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
from PySide6.QtCore import Qt

from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.ui.scenario_picker import READ_PATIENCE_S, READING_ROW, ScenarioPicker

_CT_CASE = ('[scenario]\ntitle = "synthetic {name}"\nobjectives = ["o"]\n[ct]\nfolder = "{folder}"\nlevel = "T12"\n'
            "[ct.landmarks]\nbody_centre_mm = [0.0, 0.0, 0.0]\npedicle_left_centre_mm = [15.0, 20.0, 0.0]\n"
            "pedicle_right_centre_mm = [-15.0, 20.0, 0.0]\nsuperior_endplate_z_mm = 10.0\n"
            "inferior_endplate_z_mm = -10.0\n")


def _case(root, name: str):
    """``root/name.toml`` over a readable 6-slice series in ``root/name-ct``."""
    hu = np.random.default_rng(7).integers(-1000, 1500, (6, 40, 48)).astype(np.int16)
    folder = root / f"{name}-ct"
    write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(hu.shape, (0.8, 0.8, 2), (0, 0, 0))),
                    folder)
    case = root / f"{name}.toml"
    case.write_text(_CT_CASE.format(name=name, folder=folder.name), encoding="utf-8")
    return case


def _row(picker, case):
    (item,) = [picker.list.item(i) for i in range(picker.list.count())
               if picker.list.item(i).data(Qt.ItemDataRole.UserRole + 1) == str(case.resolve())]
    return item


def _held_in_a_fifo_read(qtbot, picker, fifo):
    """The picker's one reading thread held in ``open(fifo).read()``: it blocks until a writer opens the FIFO."""
    os.mkfifo(fifo)
    inside = threading.Event()

    def hung_read(_payload, _progress):
        inside.set()
        with open(fifo, "rb") as f:
            return f.read()

    picker._runner.submit("hung share", hung_read)
    assert inside.wait(30)


def _let_go(fifo) -> None:
    """Open the FIFO for writing and close it: the held read ends (with no bytes)."""
    fd = os.open(fifo, os.O_WRONLY)
    os.close(fd)


def test_a_read_that_does_not_answer_is_said_and_another_case_is_read_at_once(qtbot, tmp_path):
    hung, other = _case(tmp_path, "hung"), _case(tmp_path, "other")
    r = subprocess.run([sys.executable, "-m", "trainer.cli", "scenarios", "validate", str(other)],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith(f"{other}: OK"), r
    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    assert READ_PATIENCE_S == 15 and picker.read_patience_ms == 15_000
    picker.read_patience_ms = 200
    fifo = tmp_path / "share"
    _held_in_a_fifo_read(qtbot, picker, fifo)
    try:
        picker.add_scenario_file(hung)
        item = _row(picker, hung)
        # the row says it is being read (failed before: "T12 · synthetic hung\n   intermediate", nothing more)
        assert item.text().endswith(f" · {READING_ROW}"), item.text()
        assert not picker.start_button.isEnabled()
        qtbot.waitUntil(lambda: picker.stalled(str(hung.resolve())), timeout=30_000)
        assert item.text() == "⏳ hung.toml: its CT series has not answered for 0.2 s", item.text()
        details = picker.details.toPlainText()
        assert f"Its CT series folder {tmp_path / 'hung-ct'} has not answered for 0.2 s" in details, details
        assert not picker.start_button.isEnabled()
        # another CT case chosen is read at once, on a new thread, while the first still hangs
        with qtbot.waitSignal(picker.seriesChecked, timeout=60_000) as checked:
            picker.add_scenario_file(other)
        assert checked.args == [str(other.resolve()), ""]
        assert _row(picker, other).text() == "T12 · synthetic other\n   intermediate"
        assert picker.start_button.isEnabled()
        # Cancel closes the picker at once, the hung read still held
        picker.reject()
        assert not picker.isVisible() and not picker.stalled(str(hung.resolve()))
    finally:
        _let_go(fifo)


def test_a_read_set_aside_that_answers_after_all_marks_its_row(qtbot, tmp_path):
    """The share wakes up: the held read ends, the case's read behind it runs on the thread set aside, and its row
    is then a case to start (validate says OK for it)."""
    hung = _case(tmp_path, "hung")
    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    picker.read_patience_ms = 200
    fifo = tmp_path / "share"
    _held_in_a_fifo_read(qtbot, picker, fifo)
    try:
        picker.add_scenario_file(hung)
        qtbot.waitUntil(lambda: picker.stalled(str(hung.resolve())), timeout=30_000)
        checked = qtbot.waitSignal(picker.seriesChecked, timeout=60_000)
    finally:
        _let_go(fifo)
    checked.wait()
    assert checked.args == [str(hung.resolve()), ""]
    assert _row(picker, hung).text() == "T12 · synthetic hung\n   intermediate" and picker.start_button.isEnabled()
    assert not picker.stalled(str(hung.resolve()))
