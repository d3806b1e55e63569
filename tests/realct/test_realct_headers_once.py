"""``read_ct_series(..., headers=...)``: the headers a caller read already (the import editor's reading job, round
45, docs/realct-log.md pass 230) serve the reader only while they are current.  Oracle: the same read without them
(the uncached path) on the real chest CT's crop (80 slices): the same volume, array for array, when nothing
changed; the same refusal as the uncached read once a slice was rewritten into another series after the listing."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest

from trainer.core.anatomy.dicom_folder import series_files
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.dicom_listing import folder_headers


def test_current_headers_read_the_same_volume(chest_crop_dicom):
    listed = folder_headers(chest_crop_dicom, series_files(chest_crop_dicom))
    given = read_ct_series(chest_crop_dicom, headers=listed)
    alone = read_ct_series(chest_crop_dicom)
    assert np.array_equal(given.hu, alone.hu) and given.hu.dtype == alone.hu.dtype
    assert given.grid == alone.grid and given.meta == alone.meta
    assert len(listed.files) == 80


def test_headers_of_a_slice_rewritten_since_are_read_again(chest_crop_dicom, tmp_path):
    folder = tmp_path / "ct"
    shutil.copytree(chest_crop_dicom, folder)
    listed = folder_headers(folder, series_files(folder))
    first = listed.files[0]
    ds = pydicom.dcmread(first)
    ds.SeriesInstanceUID = ds.SeriesInstanceUID + ".9"          # now a second series beside the 79 others
    ds.SeriesNumber = 99
    ds.save_as(first)
    assert not listed.current_for(folder, series_files(folder))
    with pytest.raises(Exception) as alone:
        read_ct_series(folder)
    with pytest.raises(Exception) as given:
        read_ct_series(folder, headers=listed)
    # the uncached read names two series side by side; the stale listing (one series) would have read all 80
    # slices and refused them as mixed UIDs instead
    assert type(given.value) is type(alone.value) and str(given.value) == str(alone.value)
    assert "series 99" in str(alone.value)
