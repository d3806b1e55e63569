"""A series whose SeriesInstanceUID is not a conformant UID (letters in it: some vendors' exports), chosen among
several in a flat folder (round 35, hostile35).

Until hostile35: the editor's series list offered it and reading it was refused ("series '1.2.840.ABC.2' is not
allowed"), and ``import-ct --series 2`` read it, estimated its landmarks, then refused the scenario it had written
itself ("imp.toml:16: ct.series = \"1.2.840.ABC.2\": not allowed").  Now the folder's own UID reads its series,
and a scenario stores the SeriesNumber instead when that names the series alone (else the import is refused in
one line before anything is estimated).  Oracle: the series the test writes and the numbers it gives them.
"""

from __future__ import annotations

import numpy as np
import pytest
from odd_uid_series import ODD, write_flat_pair

from trainer.cli import main
from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.scenario.loader import load_scenario


def test_the_folders_own_odd_uid_reads_its_series(tmp_path):
    hu = np.full((5, 8, 8), 100, np.int16)
    write_flat_pair(tmp_path, Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8),
                           grid=Grid((5, 8, 8), (0.8, 0.8, 1.0), (0, 0, 0))), (1, 2))
    vol = read_ct_series(tmp_path, series=ODD)
    assert vol.meta["series_uid"] == ODD and vol.meta["files"] == 5
    assert vol.meta["series_choice"] == 2             # what a scenario stores: the number, which names it alone
    assert read_ct_series(tmp_path, series=1).meta["series_choice"] == read_ct_series(tmp_path, series=1).meta[
        "series_uid"]


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """The synthetic L1 patient's series, written as series A and B flat in one folder (B with the odd UID)."""
    truth = build_patient(load_scenario("l1-wedge-default").anatomy)
    root = tmp_path_factory.mktemp("odd")
    return truth.volume, root


def test_import_ct_of_the_odd_uid_series_stores_its_number(export, capsys):
    vol, root = export
    folder = root / "unique" / "ct"
    write_flat_pair(folder, vol, (1, 2))
    out = root / "unique" / "case.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L1", "--series", "2", "--out", str(out)]) == 0
    text = out.read_text()
    assert "series = 2   # SeriesInstanceUID " in text and ODD in text, text
    assert load_scenario(out).ct.series == 2


def test_import_ct_of_the_odd_uid_series_sharing_its_number_is_refused(export, capsys):
    vol, root = export
    folder = root / "shared" / "ct"
    write_flat_pair(folder, vol, (1, 1))
    out = root / "shared" / "case.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L1", "--series", ODD, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"--series {ODD}: {folder}: series 1 (CT " in err and "is not a valid UID" in err, err
    assert "put this series' files in a folder of their own" in err and not out.exists(), err
