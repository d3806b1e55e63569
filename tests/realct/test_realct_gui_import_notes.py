"""The landmark editor shows the reader's notes ``import-ct`` prints for the same folder (round 33, pass 162).

The DICOM reader reads an exact copy of a slice once and ignores junk bytes after a slice's pixel data, saying so
in ``vol.meta["notes"]``; ``import-ct`` prints each as ``FOLDER: note: ...`` (pass 161).  On 1666040 Session >
Import patient CT read the same folder silently: the instructor never learnt that a file was left out.

Oracle: the CLI itself, ``python -m trainer scenarios import-ct`` run in a subprocess on the same folder, its
stderr's ``note:`` lines (an independent path: another process, the command's own print).  The copy is named with
a newline, so the escaping (``\\n``, :func:`trainer.core.one_line.one_line`) is compared too.  Real events: the
folder's path typed into the Series field and Return, a landmark value typed into the table.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import realct_sources as sources
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from qt_input import CT_WORK_WAIT_MS, show_active, type_into_spin

from trainer.ui.app import apply_theme
from trainer.ui.ct_landmarks import CTLandmarkDialog
from trainer.ui.series_notes import NOTE_COLOUR

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
#: the copy's name: a newline in it, as a script can make one (the CLI prints it ``CT0040\ncopy.dcm``)
COPY = "CT0040\ncopy.dcm"


def _cli_notes(folder: Path) -> list[str]:
    """What ``import-ct --level T12`` prints after ``FOLDER: note: `` on stderr, one entry per line."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "trainer", "scenarios", "import-ct", str(folder), "--level", "T12",
                           "--out", str(folder.parent / "case.toml")], capture_output=True, text=True, env=env,
                          cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    prefix = f"{folder}: note: "
    lines = [line for line in done.stderr.splitlines() if ": note: " in line]
    assert all(line.startswith(prefix) for line in lines), lines
    return [line[len(prefix):] for line in lines]


@pytest.fixture(scope="module")
def plain(chest_crop, tmp_path_factory):
    """The chest crop as DICOM, untouched."""
    folder = tmp_path_factory.mktemp("plain") / "series"
    sources.write_dicom(chest_crop, folder)
    return folder


@pytest.fixture(scope="module")
def noted(plain, tmp_path_factory):
    """(folder, the CLI's notes): the chest crop with an exact copy of CT0040 named :data:`COPY` and 1000 random
    bytes after CT0033's pixel data."""
    folder = tmp_path_factory.mktemp("noted") / "series"
    shutil.copytree(plain, folder)
    shutil.copy(folder / "CT0040.dcm", folder / COPY)
    f = folder / "CT0033.dcm"
    f.write_bytes(f.read_bytes() + np.random.default_rng(162).integers(0, 256, 1000, dtype=np.uint8).tobytes())
    return folder, _cli_notes(folder)


def _editor(qtbot) -> CTLandmarkDialog:
    """The editor in the product's theme (its style sheet reaches a label only when polished), shown active."""
    apply_theme(QApplication.instance())
    dlg = CTLandmarkDialog(level="T12")
    qtbot.addWidget(dlg)
    dlg.resize(1400, 900)
    show_active(qtbot, dlg)
    return dlg


def _type_folder(qtbot, dlg, folder: Path) -> None:
    """Type ``folder`` into the Series field over its text, press Return and wait for the series to be shown."""
    field = dlg.folder_edit
    QTest.mouseClick(field, Qt.MouseButton.LeftButton)
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(field, str(folder))
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        QTest.keyClick(field, Qt.Key.Key_Return)
    assert dlg.folder == folder


def _on_screen(dlg) -> list[str]:
    """The text of every label the instructor sees."""
    return [label.text() for label in dlg.findChildren(QLabel) if label.isVisible()]


def _colour(label: QLabel) -> str:
    return label.palette().color(QPalette.ColorRole.WindowText).name()


def test_the_editor_shows_the_notes_import_ct_prints_once_each(qtbot, noted):
    """On 1666040 the editor showed neither line (nothing on screen said a file was left out)."""
    folder, said = noted
    assert len(said) == 2, said
    assert said[0].startswith("an exact copy of a slice ignored") and "CT0040\\ncopy.dcm (a copy of CT0040.dcm)" in \
        said[0], said
    assert said[1].startswith("trailing data ignored") and "CT0033.dcm (1000 bytes)" in said[1], said
    dlg = _editor(qtbot)
    _type_folder(qtbot, dlg, folder)
    panel = dlg.notes_panel
    assert panel.isVisible()
    # one paragraph per note, the CLI's words (its name escaped the same way), each a note and no warning
    assert panel.text().split("\n\n") == [f"Note: {n}." for n in said], panel.text()
    screen = "\n".join(_on_screen(dlg))
    for n in said:
        assert screen.count(n) == 1, (n, screen)
    assert "Warning" not in panel.text() and all(n not in dlg.warnings_panel.text() for n in said)
    # told apart from the warnings by colour too: the notes' blue, not the warnings' amber
    assert _colour(panel) == NOTE_COLOUR and _colour(panel) != _colour(dlg.warnings_panel)
    # beside the landmarks table, where the warnings are, level with its top (not over the slices); the table
    # gives the notes the width its names do not need, each name still whole
    table = dlg.table.geometry()
    assert panel.geometry().left() >= table.right() and abs(panel.geometry().top() - table.top()) <= 2, \
        (panel.geometry(), table)
    names = [dlg.table.item(r, 0).text() for r in range(dlg.table.rowCount())]
    assert all(dlg.table.columnWidth(0) >= dlg.table.fontMetrics().horizontalAdvance(n) for n in names), names

    # a corrected landmark is checked again: the notes stay while it is checked and after (they are the series')
    z = round(dlg.landmarks["body_centre_mm"][2] + 1.0, 1)
    type_into_spin(qtbot, dlg.spins["body_centre_mm", "z"], z, Qt.Key.Key_Tab)
    assert dlg.source["body_centre_mm"] == "edited"
    assert panel.isVisible() and panel.notes == said
    qtbot.waitUntil(lambda: not dlg._check_timer.isActive() and not dlg.runner.busy, timeout=CT_WORK_WAIT_MS)
    assert panel.isVisible() and panel.text().split("\n\n") == [f"Note: {n}." for n in said]


def test_a_clean_series_shows_no_note_and_clears_the_last_ones(qtbot, plain, noted):
    """The plain crop: import-ct prints no note, the editor shows none; read after the noted series in the same
    editor, the noted series' notes go (they were its, not this one's)."""
    assert _cli_notes(plain) == []
    dlg = _editor(qtbot)
    _type_folder(qtbot, dlg, plain)
    assert not dlg.notes_panel.isVisible() and dlg.notes_panel.notes == []
    assert not any("Note:" in text for text in _on_screen(dlg)), _on_screen(dlg)
    _type_folder(qtbot, dlg, noted[0])
    assert dlg.notes_panel.isVisible() and dlg.notes_panel.notes == noted[1]
    _type_folder(qtbot, dlg, plain)
    assert not dlg.notes_panel.isVisible() and dlg.notes_panel.notes == []
    assert not any("Note:" in text for text in _on_screen(dlg)), _on_screen(dlg)
