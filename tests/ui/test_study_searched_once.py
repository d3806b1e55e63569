"""A folder with neither slices nor series below it is searched once by the import editor's reading job
(realct-log pass 183).

Until round 37 the job searched it (``series_below``: cancellable, with progress) and then ``read_ct_series``
searched it again for its one-line refusal, which Cancel did not stop.  The oracle: the folders the test made, each
of which a search reports through ``find_series``'s progress (counted here for both searches, the reader's too).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import trainer.core.anatomy.dicom_io as dicom_io
import trainer.ui.series_chooser as series_chooser
from trainer.core.anatomy.dicom_study import find_series
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
