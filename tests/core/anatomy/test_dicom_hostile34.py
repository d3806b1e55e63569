"""Hostile inputs to round 34's reader features (realct-log pass 171): a study's folder search, compressed slices,
the series size bound checked as files are read.

The oracle of each test is the input it writes: which folders hold a series, what size each file's header says and
how many bytes its pixels hold, what the codestream says, which slices were lossy-compressed.
"""

from __future__ import annotations

import os

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGLSLossless, RLELossless

import trainer.core.anatomy.dicom_enhanced as enhanced
import trainer.core.anatomy.dicom_io as dicom_io
import trainer.core.anatomy.dicom_sanity as sanity
from trainer.core.anatomy.dicom_codecs import _j2k_irreversible, lossy_note, stream_size
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.dicom_study import MAX_FOLDERS, find_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError


def _write(d, n=5, rows=16, cols=16, seed="s"):
    hu = (np.arange(n * rows * cols).reshape(n, rows, cols) % 1500 - 700).astype(np.int16)
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((n, rows, cols), (0.8, 0.8, 1.0), (0, 0, 0)))
    write_ct_series(vol, d, uid_seed=seed)
    return hu


def _merged(d, n):
    """``n`` slices written to ``d`` and merged by highdicom into one Legacy Converted Enhanced CT object (not yet
    saved; the slice files removed)."""
    import highdicom as hd

    _write(d, n)
    files = sorted(d.iterdir())
    merged = hd.legacy.LegacyConvertedEnhancedCTImage([pydicom.dcmread(p) for p in files], series_instance_uid=hd.UID(),
                                                     series_number=9, sop_instance_uid=hd.UID(), instance_number=1)
    for p in files:
        os.unlink(p)
    return merged


def _compress(d, syntax):
    for p in sorted(d.glob("CT*.dcm")):
        ds = pydicom.dcmread(p)
        ds.compress(syntax)
        ds.save_as(p)


def test_a_folder_of_slices_whose_search_below_was_cut_says_so_in_its_note(tmp_path):
    """Slices at the top, 2100 folders below, two slice copies in the first: the note counted the copies found as
    all there were (round 38); the oracle is the folders the test made, 100 of them beyond the search's limit."""
    root = tmp_path / "export"
    hu = _write(root, 3)
    for i in range(MAX_FOLDERS + 100):
        (root / f"F{i:04d}").mkdir()
    for p in sorted(root.glob("CT*.dcm"))[:2]:
        (root / "F0000" / p.name).write_bytes(p.read_bytes())
    vol = read_ct_series(root)
    assert np.array_equal(vol.hu, hu)
    assert ("2 DICOM files in subfolder F0000 not read (a series is read from its own folder only; give a subfolder "
            "to read its series; the search stopped after 2000 folders: more may lie beyond them)") in vol.meta["notes"]


def test_a_study_search_cut_at_its_folder_limit_says_so(tmp_path):
    # 2100 folders: the series in the 2050th lies beyond the 2000 searched; the line claimed "no DICOM files within
    # 4 levels" and, with other series found, suggested one of them as if the search were whole
    root = tmp_path / "study"
    for i in range(MAX_FOLDERS + 100):
        (root / f"F{i:04d}").mkdir(parents=True)
    _write(root / "F2050", 3)
    found = find_series(root)
    assert found == [] and found.stopped_after == MAX_FOLDERS
    with pytest.raises(DicomError, match=r"no DICOM files within 4 levels \(the search stopped after 2000 folders: "
                                         r"more may lie beyond them; give a folder nearer the series\)") as e:
        read_ct_series(root)
    assert "\n" not in str(e.value)
    _write(root / "F0007", 2, seed="t")
    with pytest.raises(DicomError, match=r"hold 1 series folder \(the search stopped after 2000 folders"):
        read_ct_series(root)
    for i in range(100, 200):
        (root / f"F{i:04d}").rmdir()
    found = find_series(root)                   # exactly 2000 folders: searched whole, both series, nothing said
    assert [s.rel for s in found] == ["F0007", "F2050"] and found.stopped_after == 0


def test_a_link_to_a_folder_in_a_study_is_not_refused_as_a_slice(tmp_path):
    # a study folder with "latest -> A" was refused as "latest: is a symbolic link ... a CT folder must hold the slice
    # files themselves"; a dangling link, or a link to a file, is still refused as before
    root = tmp_path / "study"
    hu = _write(root / "A", 3)
    (root / "latest").symlink_to(root / "A", target_is_directory=True)
    with pytest.raises(DicomError, match=r"holds no DICOM files itself; its subfolders hold 1 series folder: A "):
        read_ct_series(root)
    assert np.array_equal(read_ct_series(root / "A").hu, hu)
    (root / "A" / "CT0009.dcm").symlink_to(root / "nowhere")
    with pytest.raises(DicomError, match="CT0009.dcm: is a symbolic link"):
        read_ct_series(root / "A")


def test_a_later_file_over_the_size_bound_is_refused_before_the_rest_are_read(tmp_path, monkeypatch):
    # the bound was checked from the first file only: a first file of 16 x 16 pixels, then 40 of 4096 x 4096, held
    # 1.3 GB before the refusal; here (the bound made 10 slices of 16 x 16) a first file of 16 x 16 and four of 64 x 64
    monkeypatch.setattr(sanity, "MAX_SERIES_VOXELS", 10 * 16 * 16)
    d = tmp_path / "s"
    _write(d, 1)
    _write(tmp_path / "big", 4, 64, 64, seed="s")       # the same series UID, other positions
    for k, p in enumerate(sorted((tmp_path / "big").iterdir())):
        ds = pydicom.dcmread(p)
        ds.ImagePositionPatient = [0, 0, k + 1]
        ds.save_as(d / f"CT{k + 2:04d}.dcm")
    read = []
    real = dicom_io._read_one
    monkeypatch.setattr(dicom_io, "_read_one", lambda p, t: read.append(p) or real(p, t))
    with pytest.raises(DicomError, match=r"/s: 5 slices of 64 x 64 pixels = 2.05e\+04 voxels .* allowed up to 2.56e\+03"):
        read_ct_series(d)
    assert len(read) == 2


def test_pixel_data_far_longer_than_rows_and_columns_need_is_refused(tmp_path, monkeypatch):
    # Rows and Columns 16 over 64 x 64 pixels: read as the first 512 bytes, silently (and 40 files of 32 MB were held)
    d = tmp_path / "s"
    hu = _write(d, 4)
    p = d / "CT0003.dcm"
    ds = pydicom.dcmread(p)
    ds.PixelData = np.zeros((64, 64), "<u2").tobytes()
    ds.save_as(p)
    read = []
    real = dicom_io._read_one
    monkeypatch.setattr(dicom_io, "_read_one", lambda p, t: read.append(p) or real(p, t))
    with pytest.raises(DicomError, match=r"CT0003.dcm: pixel data holds 8192 bytes, more than twice the 512 that Rows "
                                         r"x Columns = 16 x 16 16-bit pixels need; expected one slice's pixels"):
        read_ct_series(d)
    assert len(read) == 3
    ds.PixelData = hu[2].astype("<i2").tobytes() + b"\0" * 512     # a little padding after the pixels: read as before
    ds.PixelRepresentation, ds.RescaleIntercept = 1, 0
    ds.save_as(p)
    assert np.array_equal(read_ct_series(d).hu, hu)


def test_a_compressed_slice_cut_short_is_said_cut_short(tmp_path):
    # encapsulated pixel data with no end: pydicom returns an empty data set, refused as "not a CT image (Modality = '',
    # SOPClassUID = '')"
    d = tmp_path / "s"
    _write(d, 4)
    _compress(d, RLELossless)
    p = d / "CT0004.dcm"
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(DicomError, match=r"CT0004.dcm: a CT image file \(MediaStorageSOPClassUID 1.2.840.10008.5.1.4.1.1.2\)"
                                         r" that ends inside its data set \(\d+ bytes; compressed pixel data with no end "
                                         r"marker\): the file is cut short"):
        read_ct_series(d)


def test_a_compressed_stream_of_another_size_than_rows_and_columns_is_named(tmp_path):
    # all slices JPEG-LS of 16 x 16 pixels under Rows 12: "could not be decoded (gdcm: 'NoneType' object has no
    # attribute 'encode'): damaged, cut short, or a variant ..."
    d = tmp_path / "s"
    hu = _write(d, 4)
    _compress(d, JPEGLSLossless)
    assert stream_size(pydicom.dcmread(d / "CT0001.dcm")) == (16, 16)
    assert np.array_equal(read_ct_series(d).hu, hu)
    for p in d.iterdir():
        ds = pydicom.dcmread(p)
        ds.Rows = 12
        ds.save_as(p)
    with pytest.raises(DicomError, match=r"CT0001.dcm: pixel data in JPEG-LS Lossless Image Compression is a 16 x 16 "
                                         r"pixel image, Rows x Columns = 12 x 16; expected the same"):
        read_ct_series(d)


def test_a_jpeg_2000_slice_with_the_irreversible_wavelet_is_said_lossy(tmp_path):
    # GDCM's JPEG 2000 encoder at a lossy rate writes no LossyImageCompression 01: read without a word, HU changed
    # (the 9-7 wavelet; the 5-3 one truncated to a rate is lossy too and not told, see the log's Left)
    from gdcm_j2k import gdcm_j2k_in_place

    d = tmp_path / "s"
    hu = _write(d, 3, 64, 64)
    for reversible, p in zip((False, True, True), sorted(d.iterdir())):
        gdcm_j2k_in_place(p, lossless_syntax=False, rate=None if reversible else 40)
    first = pydicom.dcmread(d / "CT0001.dcm")
    assert "LossyImageCompression" not in first and _j2k_irreversible(first)
    assert not _j2k_irreversible(pydicom.dcmread(d / "CT0002.dcm"))
    vol = read_ct_series(d)
    assert not np.array_equal(vol.hu[0], hu[0]) and np.array_equal(vol.hu[1:], hu[1:])
    assert vol.meta["notes"] == ["1 of 3 slices is lossy-compressed (JPEG 2000 Image Compression, the first CT0001.dcm): "
                                 "their CT numbers are the codec's approximation of the scanner's, read as they are (ask "
                                 "for a lossless or uncompressed export for teaching)"]


@pytest.mark.parametrize(("ratio", "said"), [(None, ""), ("abc", ""), ("-3", ""), ("5\\10", ", compression ratio 5\\10"),
                                             ("12.50", ", compression ratio 12.5")])
def test_the_lossy_note_names_the_mark_not_the_storage_and_only_a_real_ratio(tmp_path, ratio, said):
    # "1 of 6 slices are lossy-compressed (Explicit VR Little Endian)": the storage named as the compression;
    # "compression ratio abc" quoted a value that is no ratio
    d = tmp_path / "s"
    _write(d, 3)
    sets = []
    for p in sorted(d.iterdir()):
        ds = pydicom.dcmread(p)
        if p.name == "CT0002.dcm":
            ds.LossyImageCompression = "01"
            if ratio is not None:
                ds.add_new((0x0028, 0x2112), "LO", ratio)
        sets.append((p, ds))
    assert lossy_note(sets) == (f"1 of 3 slices is lossy-compressed (LossyImageCompression 01, stored now as Explicit "
                                f"VR Little Endian{said}, the first CT0002.dcm): their CT numbers are the codec's "
                                "approximation of the scanner's, read as they are (ask for a lossless or uncompressed "
                                "export for teaching)")


def test_a_compressed_enhanced_ct_over_the_bound_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    # 2100 RLE frames of 512 x 512 were decoded whole (4.4 GB RSS, 8.7 s CPU), then refused by the series' bound
    d = tmp_path / "s"
    merged = _merged(d, 6)
    merged.compress(RLELossless)
    merged.save_as(d / "ENH.dcm")
    assert pydicom.dcmread(d / "ENH.dcm").file_meta.TransferSyntaxUID == RLELossless
    assert read_ct_series(d).hu.shape == (6, 16, 16)
    monkeypatch.setattr(sanity, "MAX_SERIES_VOXELS", 5 * 16 * 16)

    def never(*_a):
        raise AssertionError("decoded before the size check")

    monkeypatch.setattr(enhanced, "_native", never)
    with pytest.raises(DicomError, match=r"/s: 6 slices of 16 x 16 pixels = 1.54e\+03 voxels"):
        read_ct_series(d)


def test_an_enhanced_ct_in_an_unknown_transfer_syntax_is_refused_in_one_line(tmp_path):
    # pydicom's is_compressed raised "ValueError: UID is not a transfer syntax." (a traceback) for 1.2.3.4.5
    d = tmp_path / "s"
    merged = _merged(d, 3)
    merged.file_meta.TransferSyntaxUID = "1.2.3.4.5"
    merged.PixelData = encapsulate([b"\0" * 32] * 3)
    merged["PixelData"].VR = "OB"
    merged.save_as(d / "ENH.dcm", implicit_vr=False, little_endian=True)
    with pytest.raises(DicomError, match=r"ENH.dcm: Enhanced CT \(3 frames\) pixel data in 1.2.3.4.5 cannot be decoded "
                                         r"here \(no decoder installed for it"):
        read_ct_series(d)


def test_the_study_search_opens_a_few_files_of_a_folder_that_is_no_series(tmp_path, monkeypatch):
    # /usr given by mistake: every file of 2000 folders was opened (38352 on this machine, 7 s with a cold cache)
    import trainer.core.anatomy.dicom_study as study

    root = tmp_path / "home"
    (root / "docs").mkdir(parents=True)
    for i in range(200):
        (root / "docs" / f"note{i:03d}.txt").write_text("not DICOM\n")
    _write(root / "ct", 3)
    for name in ("README.TXT", "a.jpg", "b.jpg"):                 # a series folder with a few other files first
        (root / "ct" / name).write_bytes(b"\xff\xd8\xff" + b"\0" * 200)
    opened = []
    real = study.is_dicom_file
    monkeypatch.setattr(study, "is_dicom_file", lambda p: opened.append(p) or real(p))
    found = find_series(root)
    assert [(s.rel, s.n_files) for s in found] == [("ct", 3)]
    assert sum(p.parent.name == "docs" for p in opened) == 32
