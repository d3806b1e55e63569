"""A folder with neither slices nor series below it is searched once by the import editor's reading job
(realct-log pass 183); a folder of slices is searched below with progress and Cancel (pass 187).

Until round 37 the job searched it (``series_below``: cancellable, with progress) and then ``read_ct_series``
searched it again for its one-line refusal, which Cancel did not stop.  The oracle: the folders the test made, each
of which a search reports through ``find_series``'s progress (counted here for both searches, the reader's too).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trainer.core.anatomy.dicom_io as dicom_io
import trainer.ui.series_chooser as series_chooser
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.dicom_study import find_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError
from trainer.ui.ct_landmarks import _load_job
from trainer.ui.workers import Cancelled

#: folders below the top (a viewer program's on a CD), none holding DICOM
FOLDERS = 40


@pytest.fixture
def visits(monkeypatch) -> list[str]:
    """Every folder any study search looks in (the job's and the reader's), in order."""
    seen: list[str] = []

    def counted(root, *args, progress=None, **kwargs):
        def report(n, rel):
            seen.append(rel)
            if progress is not None:
                progress(n, rel)
        return find_series(root, *args, progress=report, **kwargs)

    monkeypatch.setattr(series_chooser, "find_series", counted)
    monkeypatch.setattr(dicom_io, "find_series", counted)
    return seen


def _no_series(tmp_path: Path) -> Path:
    top = tmp_path / "cd"
    for i in range(FOLDERS):
        (top / "VIEWER" / f"m{i:02d}").mkdir(parents=True)
        (top / "VIEWER" / f"m{i:02d}" / "part.dat").write_bytes(b"viewer program data, not DICOM\n")
    return top


def test_a_folder_without_series_is_searched_once_and_refused_in_one_line(tmp_path, visits):
    top = _no_series(tmp_path)
    with pytest.raises(DicomError) as err:
        _load_job((str(top), "T12"), lambda _f, _text: None)
    assert visits == ["VIEWER", *(f"VIEWER/m{i:02d}" for i in range(FOLDERS))]       # each folder once
    assert str(err.value) == (f"{top}: the folder holds no DICOM files (it holds 1 folder(s): VIEWER, with no DICOM "
                              "files within 4 levels; give the folder of one series' slices)")


def test_cancel_during_the_search_stops_it_and_nothing_searches_again(tmp_path, visits):
    """The job's progress raises (the runner's Cancelled once Cancel is clicked) at the search's third folder: the
    job ends there, no folder looked in after it."""
    top = _no_series(tmp_path)

    def progress(_f, text):
        if "3 folders looked in" in text:
            raise Cancelled

    with pytest.raises(Cancelled):
        _load_job((str(top), "T12"), progress)
    assert len(visits) == 3


def _slices_above_folders(tmp_path: Path) -> Path:
    """A PACS export's top folder: a series' slices at the top, ``FOLDERS`` folders below (none DICOM) and one more
    holding a copy of two slices (``old``)."""
    top = _no_series(tmp_path)
    hu = (np.arange(3 * 8 * 8).reshape(3, 8, 8) % 1500 - 700).astype(np.int16)
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((3, 8, 8), (0.8, 0.8, 1.0), (0, 0, 0)))
    written = write_ct_series(vol, top, uid_seed="above")
    (top / "old").mkdir()
    for p in written[:2]:
        (top / "old" / p.name).write_bytes(p.read_bytes())
    return top


def test_cancel_during_the_search_below_a_folder_of_slices_stops_the_job(tmp_path, visits):
    """Slices at the top and folders below: the reader's search for its subfolder note reports each folder through
    the job's progress, so the runner's Cancelled raised at the third folder ends the job there.  Until round 38
    that search had no progress: the job walked every folder (here 42) and read the slices past Cancel."""
    top = _slices_above_folders(tmp_path)
    texts: list[str] = []

    def progress(_f, text):
        texts.append(text)
        if "3 folders looked in" in text:
            raise Cancelled

    with pytest.raises(Cancelled):
        _load_job((str(top), "T12"), progress)
    assert len(visits) == 3
    assert not any(t.startswith("Reading slice") for t in texts)


def test_the_search_below_a_folder_of_slices_reports_every_folder_once(tmp_path, visits):
    """The core reader's ``searching`` is ``find_series``' progress: each folder the test made is reported once, in
    the search's order, and the note names the copy in ``old``."""
    top = _slices_above_folders(tmp_path)
    reported: list[tuple[int, str]] = []
    vol = read_ct_series(top, searching=lambda n, rel: reported.append((n, rel)))
    made = ["VIEWER", "old", *(f"VIEWER/m{i:02d}" for i in range(FOLDERS))]
    assert reported == list(enumerate(made, start=1))
    assert visits == made
    assert vol.hu.shape == (3, 8, 8)
    assert any(n.startswith("2 DICOM files in subfolder old not read") for n in vol.meta["notes"])
