"""The reader's words for compressed slices: lossy or not (DICOM PS3.5 / PS3.3), and why one will not decode."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    JPEG2000,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from trainer.core.anatomy.dicom_codecs import is_lossy
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError


def _ds(syntax, flag=None):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    if flag is not None:
        ds.LossyImageCompression = flag
    return ds


@pytest.mark.parametrize(("syntax", "flag", "lossy"), [
    # lossy-only syntaxes (PS3.5 A.4: baseline and extended JPEG are lossy processes; JPEG-LS near-lossless)
    (JPEGBaseline8Bit, None, True), (JPEGExtended12Bit, None, True), (JPEGLSNearLossless, None, True),
    # lossless-only syntaxes, and JPEG 2000 (either: its header says)
    (JPEGLosslessSV1, None, False), (JPEGLSLossless, None, False), (RLELossless, None, False),
    (JPEG2000Lossless, None, False), (JPEG2000, None, False), (ExplicitVRLittleEndian, None, False),
    # PS3.3 C.7.6.1.1.5: once lossy-compressed, LossyImageCompression stays 01 whatever the storage now
    (JPEG2000, "01", True), (ExplicitVRLittleEndian, "01", True), (ExplicitVRLittleEndian, "00", False),
])
def test_lossy_is_the_syntax_or_the_header(syntax, flag, lossy):
    assert is_lossy(_ds(syntax, flag)) is lossy


def test_a_syntax_with_no_decoder_is_refused_naming_it_and_the_fix(tmp_path):
    hu = np.zeros((4, 8, 8), np.int16)
    d = tmp_path / "ct"
    write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(hu.shape, (1, 1, 2), (0, 0, 0))), d)
    p = sorted(d.iterdir())[1]
    ds = pydicom.dcmread(p)
    ds.file_meta.TransferSyntaxUID = "1.2.3.4.5"
    ds.PixelData = encapsulate([b"\x00" * 32])
    ds["PixelData"].VR = "OB"
    ds.save_as(p)
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert p.name in msg and "1.2.3.4.5" in msg and "no decoder installed" in msg and "\n" not in msg
    assert "export the series uncompressed" in msg and "copy the slice again" not in msg


def test_the_reader_s_own_reason_for_a_damaged_slice_is_not_cut_mid_word(tmp_path):
    """A JPEG 2000 slice (OpenJPEG through imagecodecs) that lost 16 bytes: the layout check's reason is 170
    characters, and the first 160 were kept until round 40 ("... bytes lost, or its le)")."""
    from imagecodecs import jpeg2k_encode

    hu = np.random.default_rng(2).integers(-1000, 1500, (3, 40, 48)).astype(np.int16)
    d = tmp_path / "ct"
    write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(hu.shape, (1, 1, 2), (0, 0, 0))), d)
    p = sorted(d.iterdir())[1]
    ds = pydicom.dcmread(p)
    stream = bytes(jpeg2k_encode(ds.pixel_array, codecformat="J2K", reversible=True, level=0))
    mid = len(stream) // 2
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
    ds.PixelData = encapsulate([stream[:mid] + stream[mid + 16:]])
    ds["PixelData"].VR = "OB"
    ds.save_as(p, enforce_file_format=True)
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    assert "(the bytes before its EOC marker): bytes lost, or its length damaged): damaged, cut short" in str(err.value)
