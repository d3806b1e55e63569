"""A study folder (a CD or PACS export) given instead of one series: its series are named by what they are.

The oracle is the layout each test writes: which folders hold how many slices of which series, which
one is a scout; the reader must name them and suggest the series an instructor would pick by hand
(the CT with the most slices, not the scout), and reading that suggestion must give the series written.
"""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest

from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.dicom_study import find_series, likely_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError


def _write(d, n, desc, thick, seed):
    hu = (np.arange(n * 8 * 8).reshape(n, 8, 8) % 1500 - 700).astype(np.int16)
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((n, 8, 8), (0.8, 0.8, thick), (0, 0, 0)))
    write_ct_series(vol, d, description=desc, uid_seed=seed, slice_thickness_mm=thick)
    return hu


def _scout(d):
    _write(d, 2, "Topogram 0.6 T20f", 1.0, "scout")
    for i, p in enumerate(sorted(d.iterdir())):
        if i:
            p.unlink()
            continue
        ds = pydicom.dcmread(p)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
        ds.save_as(p)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A DICOMDIR-style export: DICOM/PAT1/STU1/{SER1 scout, SER2 5 mm axial (6 slices), SER3 1 mm (20)}."""
    root = tmp_path_factory.mktemp("cd") / "cd"
    base = root / "DICOM" / "PAT1" / "STU1"
    _scout(base / "SER1")
    _write(base / "SER2", 6, "Abdomen 5.0 B30f", 5.0, "thick")
    thin = _write(base / "SER3", 20, "Abdomen 1.0 B30f", 1.0, "thin")
    (root / "DICOMDIR").write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 64)
    (root / "DICOM" / "README.TXT").write_text("burned by the PACS\n")
    return root, thin


def test_the_series_of_a_study_are_found_four_levels_down_and_described(study):
    root, _ = study
    found = find_series(root)
    assert [s.rel for s in found] == ["DICOM/PAT1/STU1/SER1", "DICOM/PAT1/STU1/SER2", "DICOM/PAT1/STU1/SER3"]
    assert [s.n_files for s in found] == [1, 6, 20]
    assert [s.localizer for s in found] == [True, False, False]
    assert [s.thickness_mm for s in found][1:] == [5.0, 1.0]
    assert found[2].description == "Abdomen 1.0 B30f" and found[2].modality == "CT"
    assert likely_series(found).rel == "DICOM/PAT1/STU1/SER3"
    # one level less is not enough for this layout (the files are four folders down)
    assert find_series(root, max_depth=3) == []


def test_the_reader_names_the_series_and_suggests_one_that_reads(study):
    root, thin = study
    with pytest.raises(DicomError) as err:
        read_ct_series(root)
    msg = str(err.value)
    assert "\n" not in msg and "holds no DICOM files itself" in msg and "3 series folders" in msg
    assert "SER1 (CT scout 'Topogram 0.6 T20f', 1 file)" in msg
    assert "SER2 (CT 'Abdomen 5.0 B30f', 6 files, 5 mm slices)" in msg
    suggested = msg.rsplit("e.g. the CT with the most slices: ", 1)[1]
    vol = read_ct_series(suggested)
    assert np.array_equal(vol.hu, thin)


def test_a_study_without_a_ct_says_so(tmp_path):
    root = tmp_path / "cd"
    _scout(root / "S1")
    with pytest.raises(DicomError, match=r"1 series folder: S1 \(CT scout .*none is a CT series"):
        read_ct_series(root)


def test_subfolders_without_dicom_files_are_still_named(tmp_path):
    (tmp_path / "export" / "notes").mkdir(parents=True)
    (tmp_path / "export" / "notes" / "a.txt").write_text("x")
    with pytest.raises(DicomError, match=r"1 folder\(s\): notes, with no DICOM files within 4 levels"):
        read_ct_series(tmp_path / "export")


def test_a_copy_in_a_subfolder_is_said_not_read_and_the_series_is_read_unchanged(tmp_path):
    # a copy of three slices in a subfolder was ignored without a word (round 33's Left)
    d = tmp_path / "ct"
    hu = _write(d, 10, "Chest 2.5", 2.5, "c")
    (d / "old").mkdir()
    for p in sorted(d.glob("CT000[1-3].dcm")):
        shutil.copy(p, d / "old" / p.name)
    vol = read_ct_series(d)
    assert np.array_equal(vol.hu, hu)
    assert any("3 DICOM files in subfolder old not read" in n for n in vol.meta["notes"])
    shutil.rmtree(d / "old")
    assert not any("subfolder" in n for n in read_ct_series(d).meta.get("notes", ()))


def test_links_to_folders_are_not_followed(tmp_path):
    # a link back up would make the search go round; a link elsewhere is not the study's
    root = tmp_path / "cd"
    _write(root / "S1", 3, "Head", 1.0, "h")
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert [s.rel for s in find_series(root)] == ["S1"]


class _Stop(Exception):
    """What the editor's Cancel raises in the search's progress (the runner's Cancelled; a core test has no Qt)."""


def test_the_search_reports_each_folder_and_stops_when_its_progress_raises(tmp_path):
    """Round 36: the import editor searches a study folder off the GUI thread; ``progress`` says each folder looked in
    and its Cancel raises there, which must end the search (the oracle: the folders this test made)."""
    _write(tmp_path / "DICOM" / "S1", 2, "a", 1.0, "s1")
    for i in range(5):
        (tmp_path / "VIEWER" / f"m{i}").mkdir(parents=True)
        (tmp_path / "VIEWER" / f"m{i}" / "x.dat").write_bytes(b"not DICOM")
    calls = []
    found = find_series(tmp_path, progress=lambda n, rel: calls.append((n, rel)))
    assert [s.rel for s in found] == ["DICOM/S1"]
    assert calls == list(enumerate(["DICOM", "VIEWER", "DICOM/S1", *(f"VIEWER/m{i}" for i in range(5))], start=1))

    def stop_at_third(n, rel):
        calls.append((n, rel))
        if n == 3:
            raise _Stop

    calls.clear()
    with pytest.raises(_Stop):
        find_series(tmp_path, progress=stop_at_third)
    assert [n for n, _ in calls] == [1, 2, 3]
