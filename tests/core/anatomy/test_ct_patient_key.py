"""The CT patient cache's key holds the series' geometry: the series fingerprint covers the slices' ids and HU only
(trainer.core.anatomy.dicom_io), so a re-export of the same slices with another spacing, position or orientation
must not read the patient labelled on the first (second read of round 25)."""

from __future__ import annotations

from trainer.core.anatomy.cache import ct_patient_key
from trainer.core.anatomy.grid import Grid

META = {"series_sha256": "ab" * 32, "files": 40, "series_uid": "1.2.3", "orientation": "1,0,0,0,1,0"}
MARKS = {"body_centre_mm": (1.0, 2.0, 3.0), "superior_endplate_z_mm": 15.0}
GRID = Grid((40, 512, 512), (0.7, 0.7, 2.5), (-180.0, -180.0, -300.0))


def test_the_same_series_and_landmarks_give_the_same_key():
    assert ct_patient_key(dict(META), GRID, dict(MARKS), "L1", "chest") == ct_patient_key(META, GRID, MARKS, "L1",
                                                                                         "chest")


def test_another_spacing_origin_or_orientation_is_another_patient():
    base = ct_patient_key(META, GRID, MARKS, "L1", "chest")
    others = [ct_patient_key(META, Grid(GRID.shape, (0.7, 0.7, 3.0), GRID.origin_mm), MARKS, "L1", "chest"),
              ct_patient_key(META, Grid(GRID.shape, GRID.spacing_xyz_mm, (-180.0, -180.0, -290.0)), MARKS, "L1",
                             "chest"),
              ct_patient_key({**META, "orientation": "-1,0,0,0,1,0"}, GRID, MARKS, "L1", "chest"),
              ct_patient_key(META, GRID, {**MARKS, "superior_endplate_z_mm": 15.1}, "L1", "chest")]
    assert base is not None and len({base, *others}) == 5


def test_a_series_with_no_fingerprint_is_not_cached():
    assert ct_patient_key({**META, "series_sha256": ""}, GRID, MARKS, "L1", "chest") is None
