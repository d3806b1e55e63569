"""A chosen series among several flat in one folder, attacked (round 35, hostile35).

Oracle: the series the test writes (slice counts, HU, the header values it edits); every refusal is one line
naming the folder or file, the value and what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from trainer.core.anatomy.dicom_folder import series_files
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.dicom_mixed import MAX_SERIES_NUMBER, folder_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError


def _write(d, n, seed, value, number):
    """``n`` slices of ``value`` HU as series ``number``, named ``seed-000.dcm`` ... flat in ``d``."""
    hu = np.full((n, 8, 8), value, np.int16)
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((n, 8, 8), (0.8, 0.8, 1.0), (0, 0, 0)))
    out = []
    for k, p in enumerate(write_ct_series(vol, d / seed, uid_seed=seed, description=seed)):
        q = d / f"{seed}-{k:03d}.dcm"
        ds = pydicom.dcmread(p)
        ds.SeriesNumber = number
        ds.save_as(q)
        p.unlink()
        out.append(q)
    (d / seed).rmdir()
    return out


def test_a_chosen_series_slice_saved_without_preamble_is_read_with_its_series(tmp_path):
    """A slice of the chosen series saved as a bare data set (no preamble, no DICM) belongs to it: the reader
    reads such a slice in a folder of one series, so choosing the series must too.  Until hostile35 the header
    pass left it out of every series and the read failed with "missing slice(s) between second-001.dcm and
    second-003.dcm", naming neither the file nor why."""
    _write(tmp_path, 5, "first", 100, 1)
    second = _write(tmp_path, 7, "second", 300, 2)
    raw = second[2].read_bytes()
    assert raw[128:132] == b"DICM"
    ds = pydicom.dcmread(second[2])
    bare = pydicom.Dataset()
    bare.update(ds)                                     # the data set without file meta
    bare.save_as(second[2], implicit_vr=True, little_endian=True)
    assert second[2].read_bytes()[128:132] != b"DICM"
    found, others = folder_series(tmp_path, series_files(tmp_path))
    assert others == [] and [s.n_files for s in found] == [5, 7]
    vol = read_ct_series(tmp_path, series=2)
    assert vol.hu.shape == (7, 8, 8) and np.all(vol.hu == 300)


@pytest.mark.parametrize("number", [-5, MAX_SERIES_NUMBER + 1])
def test_a_series_number_no_selection_may_give_is_advised_by_its_uid(tmp_path, number):
    """SeriesNumber is a signed IS in the header, but a selection is 0 to 2**31 - 1: a series numbered -5 (or one
    past the bound) must be advised and listed by its UID.  Until hostile35 the refusal said "e.g. -5" and
    "expected one of -5, 1", and ``--series -5`` was then refused as not allowed."""
    _write(tmp_path, 5, "first", 100, 1)
    _write(tmp_path, 7, "second", 300, number)
    found, _ = folder_series(tmp_path, series_files(tmp_path))
    second = next(s for s in found if s.description == "second")
    with pytest.raises(DicomError) as err:
        read_ct_series(tmp_path)
    assert f"e.g. {second.uid}, the CT series with the most slices" in str(err.value)
    with pytest.raises(DicomError) as err:
        read_ct_series(tmp_path, series=7)
    expected = str(err.value).rsplit("expected one of ", 1)[1].split(", ")
    assert sorted(expected) == sorted(["1", second.uid]), err.value
    assert read_ct_series(tmp_path, series=second.uid).hu.shape == (7, 8, 8)


def test_choosing_a_scout_series_names_it_and_the_ct_series_to_choose(tmp_path):
    """A series that is all scouts (a topogram) chosen by its number: refused naming the choice and the CT series
    to choose.  Until hostile35 it said "second-000.dcm: ... is a scout/localizer image, not an axial slice;
    remove it from the series folder", which is advice for a scout among slices, not for a scout series chosen."""
    _write(tmp_path, 5, "first", 100, 1)
    for p in _write(tmp_path, 3, "second", 300, 2):
        ds = pydicom.dcmread(p)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
        ds.save_as(p)
    with pytest.raises(DicomError) as err:
        read_ct_series(tmp_path, series=2)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{tmp_path}: series 2 (CT scout 'second', 3 files) is a scout"), msg
    assert "choose an axial CT series: e.g. 1" in msg and "remove it" not in msg, msg


def test_a_gap_in_a_chosen_series_names_the_files_without_a_series_uid(tmp_path):
    """A slice of the chosen series whose SeriesInstanceUID is missing cannot be grouped with it: the gap it leaves
    is refused naming that file, the likely cause.  Until hostile35 the refusal named the gap only ("missing
    slice(s) between second-002.dcm and second-004.dcm"), the file lying beside them."""
    _write(tmp_path, 5, "first", 100, 1)
    second = _write(tmp_path, 7, "second", 300, 2)
    ds = pydicom.dcmread(second[3])
    del ds.SeriesInstanceUID
    ds.save_as(second[3])
    with pytest.raises(DicomError) as err:
        read_ct_series(tmp_path, series=2)
    msg = str(err.value)
    assert "\n" not in msg and "missing slice(s) between second-002.dcm" in msg, msg
    assert "1 file of the folder was not read (no SeriesInstanceUID in its header: second-003.dcm)" in msg, msg


def test_the_header_pass_parses_no_file_that_cannot_start_a_bare_data_set(tmp_path, monkeypatch):
    """A file without ``DICM`` is parsed as a bare data set only when its first bytes are a DICOM group (0002 or
    0008, either byte order): a zip or a video beside a flat export (a PACS zip kept beside its files) was parsed
    with pydicom's force, which reads whatever lengths the bytes give, into memory (hostile35's bare reading)."""
    import trainer.core.anatomy.dicom_study as study

    _write(tmp_path, 5, "first", 100, 1)
    (tmp_path / "export.zip").write_bytes(b"PK\x03\x04" + bytes(4096))
    parsed = []
    real = study.dcmread

    def spy(path, *args, **kwargs):
        parsed.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(study, "dcmread", spy)
    found, others = folder_series(tmp_path, series_files(tmp_path))
    assert [s.n_files for s in found] == [5] and [p.name for p in others] == ["export.zip"]
    assert "export.zip" not in parsed and len(parsed) == 5
