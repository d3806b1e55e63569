"""`vptrainer render` and the DICOM XA export (validated with dciodvfy)."""

import shutil
import subprocess

import numpy as np
import pydicom
import pytest

from trainer.cli import main
from trainer.core.xray.dicom_export import orientation_letters, positioner_angles_deg, write_xa
from trainer.core.xray.dose import shot_dose
from trainer.core.xray.geometry import AP, LATERAL, CArmGeometry, Pose, frame_for


def _dciodvfy_errors(path):
    exe = shutil.which("dciodvfy")
    assert exe, "dciodvfy (dicom3tools) must be installed; tools/setup.sh installs it"
    r = subprocess.run([exe, str(path)], capture_output=True, text=True)
    return [ln for ln in (r.stdout + r.stderr).splitlines() if ln.startswith("Error")]


def test_positioner_angles_and_orientation():
    g = CArmGeometry()
    assert positioner_angles_deg(frame_for(g, AP)) == (180.0, 0.0)          # prone AP: detector posterior
    assert positioner_angles_deg(frame_for(g, LATERAL)) == (90.0, 0.0)      # detector on the patient's left
    assert positioner_angles_deg(frame_for(g, Pose(0, 20)))[1] == pytest.approx(20.0)   # cranial
    ap = frame_for(g, AP)
    assert (orientation_letters(ap.u), orientation_letters(ap.v)) == ("R", "F")
    lat = frame_for(g, LATERAL)
    assert (orientation_letters(lat.u), orientation_letters(lat.v)) == ("P", "F")


def test_dicom_export_validates_and_carries_geometry_and_dose(tmp_path):
    g = CArmGeometry(pixels=64)
    frame = frame_for(g, Pose(30, -10))
    img = (np.arange(64 * 64) % 256).astype(np.uint8).reshape(64, 64)
    dose = shot_dose(4, 90)
    out = write_xa(tmp_path / "x.dcm", img, frame, 90, dose)
    assert _dciodvfy_errors(out) == []
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.12.1"
    assert float(ds.PositionerPrimaryAngle) == pytest.approx(150.0)
    assert float(ds.PositionerSecondaryAngle) == pytest.approx(-10.0)
    assert float(ds.DistanceSourceToDetector) == 1020 and float(ds.DistanceSourceToPatient) == 530
    assert float(ds.KVP) == 90
    assert float(ds.ImageAndFluoroscopyAreaDoseProduct) == pytest.approx(dose.dap_gycm2 * 10, rel=1e-4)
    assert float(ds.EntranceDoseInmGy) == pytest.approx(dose.entrance_kerma_mgy, rel=1e-4)
    assert np.array_equal(ds.pixel_array, img)
    # same content, same file
    again = write_xa(tmp_path / "y.dcm", img, frame, 90, dose)
    assert again.read_bytes() == out.read_bytes()


def test_render_command_writes_png_and_dicom(tmp_path, capsys):
    png = tmp_path / "lat.png"
    assert main(["render", "--view", "lateral", "--size", "96", "--out", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[16:24] == (96).to_bytes(4, "big") * 2
    dcm = tmp_path / "ap.dcm"
    assert main(["render", "l1-wedge-default", "--orbital", "10", "--tilt", "5", "--size", "64",
                 "--out", str(dcm)]) == 0
    assert _dciodvfy_errors(dcm) == []
    ds = pydicom.dcmread(dcm)
    assert float(ds.PositionerPrimaryAngle) == pytest.approx(170.0)
    assert ds.Rows == 64
    assert "l1-wedge-default" in capsys.readouterr().out


@pytest.mark.parametrize("argv, needle", [(["--size", "32"], "--size"), (["--out", "x.jpg"], "--out"),
                                          (["--orbital", "170"], "orbital_deg")])
def test_render_command_bad_input_is_one_line_exit_2(tmp_path, capsys, argv, needle):
    args = ["render", "--out", str(tmp_path / "a.png")] + argv
    if argv[0] == "--out":
        args = ["render"] + argv
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]
