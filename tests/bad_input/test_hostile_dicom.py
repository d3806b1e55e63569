"""DICOM CT folders: hostile or damaged headers and files are refused, naming the file and
the attribute, before any pixel is allocated (issue 18).  Listed in docs/bad-input.md.

Headers are damaged at the byte level where pydicom would refuse to write the value (text
in a number, NaN), so the reader meets exactly what a hostile file holds."""

import os
import shutil

import numpy as np
import pydicom
import pytest

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError

N = 6


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    d = tmp_path_factory.mktemp("ct") / "ct"
    hu = (np.arange(N * 16 * 16).reshape(N, 16, 16) % 2000 - 1000).astype(np.int16)
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((N, 16, 16), (0.8, 0.8, 2.0), (0, 0, 0)))
    write_ct_series(vol, d)
    return d


def _files(d):
    return sorted(d.iterdir())


def _set(name, value, which=0):
    def f(d):
        p = _files(d)[which]
        ds = pydicom.dcmread(p)
        setattr(ds, name, value)
        ds.save_as(p)
    return f


def _bytes(name, placeholder, hostile, which=0):
    """Write ``placeholder`` with pydicom, then replace its bytes by ``hostile`` (same length)."""
    def enc(v):
        return ("\\".join(v) if isinstance(v, list) else v).encode()

    assert len(enc(placeholder)) == len(enc(hostile))

    def f(d):
        p = _files(d)[which]
        ds = pydicom.dcmread(p)
        setattr(ds, name, placeholder)
        ds.save_as(p)
        raw = p.read_bytes()
        assert raw.count(enc(placeholder)) == 1
        p.write_bytes(raw.replace(enc(placeholder), enc(hostile)))
    return f


def _all(fn):
    def f(d):
        for i in range(len(_files(d))):
            fn_i = fn(i)
            fn_i(d)
    return f


def _truncate_pixels(d):
    p = _files(d)[2]
    ds = pydicom.dcmread(p)
    ds.PixelData = ds.PixelData[:100]
    ds.save_as(p)


def _truncate_file(d):
    p = _files(d)[1]
    p.write_bytes(p.read_bytes()[:300])


def _symlink_out(d):
    outside = d.parent / "outside.dcm"
    shutil.move(_files(d)[3], outside)
    (d / "CT0004.dcm").symlink_to(outside)


def _symlink_passwd(d):
    (d / "CT9999.dcm").symlink_to("/etc/passwd")


def _garbage(d):
    (d / "junk.dcm").write_bytes(os.urandom(2000))


def _empty_file(d):
    (d / "empty.dcm").write_bytes(b"")


def _one_slice(d):
    for p in _files(d)[1:]:
        p.unlink()


def _delete(key, which=0):
    def f(d):
        p = _files(d)[which]
        ds = pydicom.dcmread(p)
        delattr(ds, key)
        ds.save_as(p)
    return f


def _empty_folder(d):
    for p in _files(d):
        p.unlink()


def _dup_position(d):
    fs = _files(d)
    pos = pydicom.dcmread(fs[0]).ImagePositionPatient
    _set("ImagePositionPatient", pos, which=1)(d)


def _padding_two_values(d):
    p = _files(d)[1]
    ds = pydicom.dcmread(p)
    ds.PixelRepresentation = 1
    ds.add_new("PixelPaddingValue", "SS", [-2000, -3024])
    ds.save_as(p)


CASES = [
    ("rows_65535", _all(lambda i: _set("Rows", 65535, i)), "Rows"),
    ("columns_65535", _all(lambda i: _set("Columns", 65535, i)), "Columns"),
    ("rows_zero", _set("Rows", 0), "Rows"),
    ("spacing_zero", _set("PixelSpacing", [0, 0]), "PixelSpacing"),
    ("spacing_negative", _set("PixelSpacing", [-0.8, 0.8]), "PixelSpacing"),
    ("spacing_huge", _set("PixelSpacing", [5000, 5000]), "PixelSpacing"),
    ("spacing_nan", _bytes("PixelSpacing", ["0.812345", "0.8"], ["NaN     ", "0.8"]), "PixelSpacing"),
    ("spacing_text", _bytes("PixelSpacing", ["0.812345", "0.8"], ["abcdefgh", "0.8"]), "PixelSpacing"),
    ("spacing_one_value", _set("PixelSpacing", [0.8]), "PixelSpacing"),
    ("position_nan", _bytes("ImagePositionPatient", ["1.123456", "0", "0"], ["NaN     ", "0", "0"]),
     "ImagePositionPatient"),
    ("position_inf", _bytes("ImagePositionPatient", ["1.123456", "0", "0"], ["inf     ", "0", "0"]),
     "ImagePositionPatient"),
    ("position_huge", _set("ImagePositionPatient", [1e12, 0, 0]), "ImagePositionPatient"),
    ("position_two_values", _set("ImagePositionPatient", [0, 0]), "ImagePositionPatient"),
    ("orientation_nan", _bytes("ImageOrientationPatient", ["1.000000", "0", "0", "0", "1", "0"],
                               ["NaN     ", "0", "0", "0", "1", "0"]), "ImageOrientationPatient"),
    ("rescale_slope_text", _bytes("RescaleSlope", "1.234567", "abcdefgh"), "RescaleSlope"),
    ("rescale_intercept_text", _bytes("RescaleIntercept", "-1024.12", "x-1024.1"), "RescaleIntercept"),
    ("rescale_slope_zero", _set("RescaleSlope", 0), "RescaleSlope"),
    ("rescale_slope_nan", _bytes("RescaleSlope", "1.234567", "NaN     "), "RescaleSlope"),
    ("rescale_intercept_huge", _set("RescaleIntercept", 1e30), "RescaleIntercept"),
    ("bits_8", _all(lambda i: _set("BitsAllocated", 8, i)), "BitsAllocated"),
    ("bits_32", _set("BitsAllocated", 32), "BitsAllocated"),
    ("samples_3", _set("SamplesPerPixel", 3), "SamplesPerPixel"),
    ("pixel_representation_empty", _set("PixelRepresentation", None), "PixelRepresentation"),
    ("pixel_representation_2", _set("PixelRepresentation", 2), "PixelRepresentation"),
    ("truncated_pixel_data", _truncate_pixels, "truncated"),
    ("truncated_file", _truncate_file, "CT0002"),
    ("symlink_out_of_folder", _symlink_out, "symbolic link"),
    ("symlink_to_passwd", _symlink_passwd, "symbolic link"),
    ("garbage_file", _garbage, "junk.dcm"),
    ("empty_file", _empty_file, "empty.dcm"),
    ("missing_position", _delete("ImagePositionPatient"), "ImagePositionPatient"),
    ("missing_pixel_data", _delete("PixelData"), "PixelData"),
    ("modality_mr", _set("Modality", "MR"), "Modality"),
    ("multi_frame", _set("NumberOfFrames", 2), "multi-frame"),
    ("mixed_series", _set("SeriesInstanceUID", "1.2.3.4"), "mixed series"),
    ("duplicate_position", _dup_position, "duplicated"),
    # a row direction of length 0.91 (until round 33 named "oblique": an oblique but valid orientation is read,
    # test_an_oblique_series_is_read_and_one_beyond_the_limit_refused)
    ("orientation_not_unit", _set("ImageOrientationPatient", [0.9, 0.1, 0, 0, 1, 0]), "orientation"),
    ("empty_folder", _empty_folder, "no DICOM files"),
    ("padding_two_values", _padding_two_values, "PixelPaddingValue"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_hostile_series_is_refused_before_pixels_are_read(series, tmp_path, case):
    _, damage, word = case
    d = tmp_path / "ct"
    shutil.copytree(series, d)
    damage(d)
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert word.lower() in msg.lower() and "\n" not in msg and len(msg) < 600


def test_the_cli_reports_a_huge_image_in_one_line(series, tmp_path, capsys):
    d = tmp_path / "ct"
    shutil.copytree(series, d)
    _all(lambda i: _set("Rows", 65535, i))(d)
    _all(lambda i: _set("Columns", 65535, i))(d)
    rc = main(["scenarios", "import-ct", str(d), "--level", "L1", "--out", str(tmp_path / "x.toml")])
    _, err = capsys.readouterr()
    assert rc == 2 and "Traceback" not in err and "Rows = 65535" in err and err.count("\n") == 1
    assert not (tmp_path / "x.toml").exists()


def test_a_good_series_still_reads(series):
    vol = read_ct_series(series)
    assert vol.hu.shape == (N, 16, 16) and vol.grid.spacing_xyz_mm == (0.8, 0.8, 2.0)


def test_a_text_file_in_the_series_is_named_without_pydicom_advice(series, tmp_path, capsys):
    # an instructor's export with a README beside the slices: the line names the file and says what
    # to do; pydicom's "Use force=True to force reading." suggested the command's --force (which
    # only replaces --out) and is not something a user can do
    d = tmp_path / "case" / "ct"
    shutil.copytree(series, d)
    (d / "README.txt").write_text("exported from the PACS\n")
    rc = main(["scenarios", "import-ct", str(d), "--level", "L1", "--out", str(tmp_path / "case" / "x.toml")])
    _, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "README.txt" in err and "force" not in err.lower() and "remove it from the series folder" in err
    assert sorted(p.name for p in (tmp_path / "case").iterdir()) == ["ct"]


def test_a_folder_holding_the_series_in_a_subfolder_names_the_subfolder(series, tmp_path, capsys):
    # a CD or PACS export keeps each series in its own subfolder; "holds no DICOM files" alone did
    # not say where the slices are
    shutil.copytree(series, tmp_path / "export" / "SE0001")
    (tmp_path / "export" / "DICOMDIR").write_bytes(b"\0" * 132)
    rc = main(["scenarios", "import-ct", str(tmp_path / "export"), "--level", "L1", "--out",
               str(tmp_path / "x.toml")])
    _, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1 and "no DICOM files" in err and "SE0001" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


@pytest.mark.parametrize(("key", "value", "shown"), [("RescaleSlope", 0, "RescaleSlope = 0 "),
                                                     ("RescaleSlope", 5000, "RescaleSlope = 5000 "),
                                                     ("RescaleIntercept", -2e5, "RescaleIntercept = -200000 ")])
def test_a_rescale_out_of_range_is_named_with_its_own_value(series, tmp_path, key, value, shown):
    # the line printed the slice's Columns (16, 512) as the refused value: "RescaleSlope = 512 is
    # not allowed" for a file whose slope is 0, sending the user to look for a value the file does not hold
    d = tmp_path / "ct"
    shutil.copytree(series, d)
    _set(key, value, which=2)(d)
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    assert shown in str(err.value) and _files(d)[2].name in str(err.value)


def _turn_all(deg):
    """Every slice's orientation turned ``deg`` about z (in the slice plane: positions stay along the normal)."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return _all(lambda i: _set("ImageOrientationPatient", [c, s, 0, -s, c, 0], i))


def test_an_oblique_series_is_read_and_one_beyond_the_limit_refused(series, tmp_path):
    """5 deg off the axes: read, resampled onto them (round 33, dicom_oblique); 20 deg: refused in one line
    naming the angle and the allowed 15 deg."""
    d = tmp_path / "ct5"
    shutil.copytree(series, d)
    _turn_all(5.0)(d)
    vol = read_ct_series(d)
    assert vol.meta["oblique_deg"] == pytest.approx(5.0, abs=1e-3) and vol.hu.shape[0] == N
    d = tmp_path / "ct20"
    shutil.copytree(series, d)
    _turn_all(20.0)(d)
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert "20.00 deg off the nearest axes" in msg and "allowed up to 15 deg" in msg and "\n" not in msg
