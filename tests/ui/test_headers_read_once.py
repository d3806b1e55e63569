"""The import editor's reading job reads each slice's header once (round 45, docs/realct-log.md pass 230).

It lists the folder's series to see whether several lie side by side (every header read), then reads the series;
until round 45 the reader read every header again.  The oracle: the slice files the test wrote, each of whose
headers ``folder_series`` reads through ``header_of`` (counted here, the job's reading and the reader's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trainer.core.anatomy.dicom_mixed as dicom_mixed
from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.dicom_study import header_of
from trainer.core.anatomy.grid import Grid, Volume
from trainer.ui.ct_landmarks import _load_job
from trainer.ui.workers import Cancelled

SLICES = 5


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The name of every file whose header ``folder_series`` reads, in order."""
    seen: list[str] = []

    def counted(path, bare=False):
        seen.append(Path(path).name)
        return header_of(path, bare=bare)

    monkeypatch.setattr(dicom_mixed, "header_of", counted)
    return seen


def test_the_reading_job_reads_each_header_once(tmp_path, reads):
    hu = (np.arange(SLICES * 8 * 8).reshape(SLICES, 8, 8) % 1500 - 700).astype(np.int16)
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((SLICES, 8, 8), (0.8, 0.8, 1.0), (0, 0, 0)))
    written = write_ct_series(vol, tmp_path / "ct", uid_seed="once")

    def progress(_fraction, text):
        if text.startswith("Finding the column"):
            raise Cancelled                 # the series is read: what follows reads no header
    with pytest.raises(Cancelled):
        _load_job((str(tmp_path / "ct"), "L1"), progress)
    assert sorted(reads) == sorted(p.name for p in written)         # each file once (until round 45: twice)
