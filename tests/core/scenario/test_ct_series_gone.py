"""A scenario whose ``[ct] series`` is no longer in its folder (re-exported, or the series deleted): refused in one
line naming the scenario file, the field and its value, then the series the folder holds (round 35, hostile35).

Until hostile35 the line named the CT folder and "series 7" only: an instructor running ``scenarios show`` on the
file was not told the value came from its ``[ct] series``.  The same for ``import-ct --series``.
Oracle: the series the test writes and the value it puts in the file.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from trainer.cli import main
from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario

_TOML = """[scenario]
title = "CT case"
objectives = ["Access on a patient CT"]

[ct]
folder = "ct"
level = "L1"
series = {series}

[ct.landmarks]
body_centre_mm = [0.0, 0.0, 2.0]
pedicle_left_centre_mm = [2.0, 2.0, 2.0]
pedicle_right_centre_mm = [-2.0, 2.0, 2.0]
superior_endplate_z_mm = 3.0
inferior_endplate_z_mm = 1.0
"""


@pytest.fixture
def folder(tmp_path):
    """Two series flat in ``tmp_path / "ct"``, numbered 1 and 2."""
    d = tmp_path / "ct"
    for seed, number in (("first", 1), ("second", 2)):
        hu = np.full((5, 8, 8), 100, np.int16)
        vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((5, 8, 8), (0.8, 0.8, 1.0), (0, 0, 0)))
        for p in write_ct_series(vol, d / seed, uid_seed=seed):
            ds = pydicom.dcmread(p)
            ds.SeriesNumber = number
            ds.save_as(d / f"{seed}-{p.name}")
            p.unlink()
        (d / seed).rmdir()
    return d


@pytest.mark.parametrize("series, shown", [("7", "7"), ('"1.2.3"', '"1.2.3"')])
def test_a_scenario_series_not_in_its_folder_names_the_file_and_field(folder, tmp_path, capsys, series, shown):
    p = tmp_path / "case.toml"
    p.write_text(_TOML.format(series=series))
    with pytest.raises(DicomError) as err:
        patient_for(load_scenario(p), cache=False)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{p}: ct.series = {shown}: {folder}: series "), msg
    assert "expected one of 1, 2" in msg, msg
    assert main(["scenarios", "show", str(p)]) == 2
    err_text = capsys.readouterr().err
    assert err_text.count("\n") == 1 and f"{p}: ct.series = {shown}: " in err_text and "Traceback" not in err_text


def test_import_ct_series_not_in_the_folder_names_the_option(folder, tmp_path, capsys):
    out = tmp_path / "out.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L1", "--series", "7", "--out", str(out)]) == 2
    err_text = capsys.readouterr().err
    assert err_text.count("\n") == 1 and f"--series 7: {folder}: series 7: no series with this SeriesNumber" in err_text
    assert not out.exists()


def test_a_scenario_without_series_whose_folder_now_holds_several_names_the_file(folder, tmp_path, capsys):
    """The scenario was imported from a folder of one series; another series was copied beside it since: refused
    naming the scenario file and that its ``[ct]`` chooses no series (until hostile35 the folder only)."""
    p = tmp_path / "case.toml"
    p.write_text(_TOML.format(series=1).replace("series = 1\n", ""))
    assert main(["scenarios", "show", str(p)]) == 2
    err_text = capsys.readouterr().err
    assert err_text.count("\n") == 1 and "Traceback" not in err_text, err_text
    assert f"{p}: ct.series is not given: {folder}: mixed series (2 SeriesInstanceUIDs" in err_text, err_text
