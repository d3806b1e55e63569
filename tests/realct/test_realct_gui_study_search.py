"""The import editor given a CD's top folder: its series are searched for off the GUI thread, with progress and
Cancel (round 36).

The CD is three real series in ``DICOM/`` (the chest CT's spine crop, and two shorter pieces of the same CT, each a
series of its own, written by ``realct_sources.write_dicom``) beside a viewer program's 1,500 folders of files that
are not DICOM (``VIEWER/lib/...``), as a CD burnt by a PACS holds one.  Until round 36 the editor searched the folder
on the GUI thread: the window froze for the whole search, no progress, no Cancel.  Oracles: the series and folders
the test wrote (names, file counts, the number of folders) and a QTimer on the GUI thread, whose ticks while the
search is in flight are counted (0 when the search blocks the GUI thread).
"""

from __future__ import annotations

import re

import pytest
import realct_sources as sources
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog
from qt_input import CT_WORK_WAIT_MS, show_active

from trainer.ui.ct_landmarks import SEARCHING, CTLandmarkDialog

pytestmark = pytest.mark.slow

#: the viewer program's folders on the CD (none holds DICOM), and files in each
VIEWER_FOLDERS, VIEWER_FILES = 1500, 6
#: the series written in DICOM/: folder, (first, last) slice of the chest crop, or None for the whole crop
SERIES = {"S1": (0, 4), "S2": None, "S3": (30, 42)}


@pytest.fixture(scope="module")
def cd(chest_crop, tmp_path_factory):
    """(the CD's top folder, {series folder: number of files}, the number of folders below the top)."""
    top = tmp_path_factory.mktemp("study-search") / "cd"
    (top / "DICOMDIR").parent.mkdir(parents=True)
    (top / "DICOMDIR").write_bytes(b"\0" * 200)
    counts = {}
    for name, cut in SERIES.items():
        piece = chest_crop if cut is None else sources.crop(
            chest_crop, ((cut[0], cut[1]), (0, chest_crop.hu.shape[1]), (0, chest_crop.hu.shape[2])), f"piece{name}")
        sources.write_dicom(piece, top / "DICOM" / name)
        counts[f"DICOM/{name}"] = len(list((top / "DICOM" / name).iterdir()))
    for i in range(VIEWER_FOLDERS):
        d = top / "VIEWER" / "lib" / f"m{i:04d}"
        d.mkdir(parents=True)
        for j in range(VIEWER_FILES):
            (d / f"part{j}.dat").write_bytes(b"viewer program data, not DICOM\n" * 8)
    folders = sum(1 for p in top.rglob("*") if p.is_dir())
    return top, counts, folders


def _editor(qtbot) -> CTLandmarkDialog:
    dlg = CTLandmarkDialog(level="T12")
    qtbot.addWidget(dlg)
    show_active(qtbot, dlg)
    return dlg


def _searched(texts: list[str]) -> list[int]:
    """The folder counts the progress line said while searching ("Searching cd for series: 12 folders ...")."""
    return [int(m.group(1)) for t in texts if (m := re.search(r"for series: (\d+) folders? looked in", t))]


def _type_and_return(dlg, folder) -> None:
    QTest.keyClicks(dlg.folder_edit, str(folder))
    QTest.keyClick(dlg.folder_edit, Qt.Key.Key_Return)


def _choosers(dlg) -> list:
    return [b for b in dlg.dialogs if isinstance(b, QInputDialog) and b.objectName() == "seriesChooser"]


def test_the_study_is_searched_off_the_gui_thread_and_its_series_listed(qtbot, cd):
    top, counts, folders = cd
    dlg = _editor(qtbot)
    texts: list[str] = []
    dlg.runner.progress.connect(lambda _rid, _f, text: texts.append(text))
    ticks = {"searching": 0}

    def tick():         # the GUI thread's event loop turned while the search was in flight
        if dlg._busy == "ct" and not _choosers(dlg):
            ticks["searching"] += 1

    timer = QTimer(dlg)
    timer.setInterval(1)
    timer.timeout.connect(tick)
    timer.start()
    _type_and_return(dlg, top)
    qtbot.waitUntil(lambda: bool(_choosers(dlg)) and _choosers(dlg)[0].isVisible(), timeout=CT_WORK_WAIT_MS)
    timer.stop()
    assert ticks["searching"] >= 3, ticks
    # what the search said on its way: every folder below the CD's top looked in, one by one
    looked = _searched(texts)
    assert looked == list(range(1, folders + 1))
    assert all(t.startswith(f"{SEARCHING} cd for series") for t in texts if "looked in" in t)
    (box,) = _choosers(dlg)
    assert [item.split(" (")[0] for item in box.comboBoxItems()] == list(counts)
    for item, n in zip(box.comboBoxItems(), counts.values()):
        assert f"{n} file{'s' if n != 1 else ''}" in item, item
    assert box.textValue().startswith("DICOM/S2 ")            # the CT with the most slices
    assert "cd holds 3 series in its subfolders" in dlg.status.text() and dlg._busy is None
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        QTest.keyClick(box.focusWidget() or box, Qt.Key.Key_Return)
    assert dlg.folder == top / "DICOM" / "S2" and dlg.volume.hu.shape[0] == counts["DICOM/S2"]


def test_cancel_stops_the_search(qtbot, cd):
    """Cancel clicked as soon as the search says it started: the search stops (the folders it said it looked in stop
    short of the CD's), no list opens, nothing is read, and the editor is free for another folder."""
    top, counts, folders = cd
    dlg = _editor(qtbot)
    texts: list[str] = []

    def on_progress(_rid, _f, text):
        texts.append(text)
        if _searched([text]) and dlg.cancel_button.isVisible():
            QTest.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)

    dlg.runner.progress.connect(on_progress)
    _type_and_return(dlg, top)
    qtbot.waitUntil(lambda: (bool(_searched(texts)) or bool(_choosers(dlg))) and not dlg.runner.busy,
                    timeout=CT_WORK_WAIT_MS)
    QTest.qWait(50)                         # any response or progress still queued is delivered
    looked = _searched(texts)
    assert looked and max(looked) < folders, (looked[-1:], folders)
    assert not _choosers(dlg) and dlg.volume is None and dlg._busy is None
    assert dlg.status.text().startswith("Cancelled: no series loaded"), dlg.status.text()
    assert not dlg.cancel_button.isVisible() and dlg.choose_button.isEnabled()
