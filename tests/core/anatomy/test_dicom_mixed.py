"""Two series flat in one folder that share a SeriesNumber (two studies exported together, both numbering from 1):
the number cannot choose, the UID must (round 35, mixed35).

Oracle: the series the test writes (UIDs, slice counts, HU); the real-data cases are in
tests/realct/test_realct_mixed_folder.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.core.anatomy.dicom_folder import series_files
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.dicom_mixed import folder_series, series_selector
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError


def _write(d, n, seed, value):
    hu = np.full((n, 8, 8), value, np.int16)
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((n, 8, 8), (0.8, 0.8, 1.0), (0, 0, 0)))
    files = write_ct_series(vol, d / seed, uid_seed=seed, description=seed)
    for k, p in enumerate(files):
        p.rename(d / f"{seed}-{k:03d}.dcm")
    (d / seed).rmdir()


@pytest.fixture
def shared(tmp_path):
    _write(tmp_path, 5, "first", 100)
    _write(tmp_path, 7, "second", 300)
    return tmp_path


def test_a_shared_series_number_is_refused_and_the_uid_reads_its_series(shared):
    with pytest.raises(DicomError) as err:
        read_ct_series(shared)
    msg = str(err.value)
    assert "mixed series (2 SeriesInstanceUIDs" in msg and "\n" not in msg
    assert "series 1 (CT 'first', 5 files, 1 mm slices)" in msg and "series 1 (CT 'second', 7 files" in msg
    with pytest.raises(DicomError, match=r"series 1: 2 series have SeriesNumber 1 .*choose one by its SeriesInstanceUID"):
        read_ct_series(shared, series=1)

    found, others = folder_series(shared, series_files(shared))
    second = next(s for s in found if s.description == "second")
    assert others == [] and f"e.g. {second.uid}, the CT series with the most slices" in msg
    vol = read_ct_series(shared, series=second.uid)
    assert vol.hu.shape == (7, 8, 8) and np.all(vol.hu == 300) and vol.meta["files"] == 7
    assert vol.meta["notes"] == ["series 1 (CT 'second', 7 files, 1 mm slices) chosen among the folder's 2 series; "
                                 "5 other files not read"]


@pytest.mark.parametrize("value, expected", [(3, 3), ("3", 3), (" 12 ", 12), ("1.2.840.10008", "1.2.840.10008"),
                                             (-1, None), (True, None), (2.0, None), ("2a", None), ("1..2", None),
                                             ("1." + "2" * 70, None), (2**31, None), ("٣", None)])
def test_a_series_is_chosen_by_number_or_uid_only(value, expected):
    assert series_selector(value) == expected
