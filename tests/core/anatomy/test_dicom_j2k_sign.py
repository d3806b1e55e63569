"""A JPEG 2000 codestream's sample signedness and precision against the data set's (round 40).

(:func:`trainer.core.anatomy.dicom_j2k.sign_mismatch`, :func:`trainer.core.anatomy.dicom_codecs.check_stream_sign`.)
The codestreams are written by real encoders: GDCM's own JPEG 2000 encoder (as an export would hold them) and
OpenJPEG through imagecodecs (to choose the precision and signedness).  The oracles are the HU the series was
written with, and GDCM's own reader (``gdcm.ImageReader``, not pydicom's plugin) on the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from gdcm_j2k import gdcm_j2k_in_place
from imagecodecs import jpeg2k_encode
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import JPEG2000Lossless

from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError


def _series(d: Path) -> np.ndarray:
    rng = np.random.default_rng(11)
    hu = rng.integers(-1000, 2000, (3, 40, 48)).astype(np.int16)      # stored HU + 1024: 24 to 3023, 12 bits
    write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(hu.shape, (0.7, 0.7, 2), (0, 0, 0))),
                    d)
    return hu


def _gdcm_encode(p: Path) -> None:
    """``p`` re-encoded in place by GDCM's JPEG 2000 lossless encoder."""
    gdcm_j2k_in_place(p)


def _gdcm_hu(p: Path) -> np.ndarray:
    """What GDCM's own reader makes of ``p``: its decoded buffer read as its pixel format says, rescaled."""
    import gdcm

    r = gdcm.ImageReader()
    r.SetFileName(str(p))
    assert r.Read()
    img = r.GetImage()
    signed = img.GetPixelFormat().GetPixelRepresentation() == 1
    raw = np.frombuffer(img.GetBuffer().encode("utf-8", "surrogateescape"), "<i2" if signed else "<u2")
    return raw.astype(int) + int(float(pydicom.dcmread(p).RescaleIntercept))


def _frame(ds) -> bytes:
    return bytes(next(generate_frames(ds.PixelData, number_of_frames=1)))


def _set_ssiz(p: Path, ssiz: int) -> int:
    """Write ``ssiz`` as the first component's Ssiz byte of the slice ``p``'s codestream (in place); the byte it held."""
    ds = pydicom.dcmread(p)
    frame = _frame(ds)
    at = frame.find(b"\xff\x4f\xff\x51") + 42
    was = frame[at]
    ds.PixelData = encapsulate([frame[:at] + bytes([ssiz]) + frame[at + 1:]])
    ds.save_as(p)
    return was


def test_a_gdcm_slice_whose_siz_says_signed_under_pixel_representation_0_is_refused(tmp_path):
    """The Ssiz byte's sign bit set in GDCM's codestream (a byte changed in its header): GDCM's own reader and, before
    round 40, the reader both read the slice without a word, the CT numbers wrong."""
    d = tmp_path / "ct"
    hu = _series(d)
    p = d / "CT0002.dcm"
    _gdcm_encode(p)
    assert _set_ssiz(p, 0x8F) == 0x0F                        # unsigned 16-bit samples, as GDCM writes them
    assert not np.array_equal(_gdcm_hu(p).reshape(hu[1].shape), hu[1])     # GDCM reads it wrong
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert msg.startswith(f"{p}: PixelRepresentation = 0 (unsigned) is not allowed here") and "\n" not in msg
    assert "signed 16-bit samples (Ssiz 0x8f); expected 1 (signed)" in msg and "JPEG 2000 Image Compression" in msg


def test_a_gdcm_slice_whose_header_says_signed_over_its_unsigned_16_bit_samples_is_read(tmp_path):
    """PixelRepresentation set to 1 over GDCM's unsigned 16-bit codestream: the samples' 16 bits are the same either
    way, and GDCM's reader and ours read the written HU (a pin: read so before round 40 too)."""
    d = tmp_path / "ct"
    hu = _series(d)
    p = d / "CT0002.dcm"
    _gdcm_encode(p)
    ds = pydicom.dcmread(p)
    ds.PixelRepresentation = 1
    ds.save_as(p)
    assert np.array_equal(_gdcm_hu(p).reshape(hu[1].shape), hu[1])
    assert np.array_equal(read_ct_series(d).hu, hu)


def _openjpeg(d: Path, bits: int, signed: bool, bits_stored: int, pixel_representation: int) -> Path:
    """The second slice of ``d`` encoded by OpenJPEG with ``bits``-bit samples, ``signed`` (its HU themselves,
    intercept 0) or not (the writer's stored values), under the header's BitsStored and PixelRepresentation."""
    p = d / "CT0002.dcm"
    ds = pydicom.dcmread(p)
    px = ds.pixel_array
    if signed:
        px = (px.astype(np.int32) + int(ds.RescaleIntercept)).astype(np.int16)
        ds.RescaleIntercept = "0"
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
    ds.PixelData = encapsulate([bytes(jpeg2k_encode(px, codecformat="J2K", reversible=True, level=0,
                                                    bitspersample=bits))])
    ds["PixelData"].VR = "OB"
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits_stored, bits_stored - 1, pixel_representation
    ds.save_as(p, enforce_file_format=True)
    return p


@pytest.mark.parametrize(("bits", "signed", "stored", "rep", "gdcm_right", "said"), [
    # a signed codestream under PixelRepresentation 0: the negative HU read 4096 off before round 40 (GDCM's own
    # reader: 65536 off)
    (12, True, 16, 0, False, "PixelRepresentation = 0 (unsigned) is not allowed here: the JPEG 2000 codestream's SIZ "
                             "segment says signed 12-bit samples (Ssiz 0x8b); expected 1 (signed)"),
    # an unsigned 12-bit codestream under 1: pydicom sign-extended the samples over 2047 (4096 off), GDCM did not
    (12, False, 12, 1, True, "PixelRepresentation = 1 (signed) is not allowed here: the JPEG 2000 codestream's SIZ "
                              "segment says unsigned 12-bit samples (Ssiz 0x0b); expected 0 (unsigned)"),
])
def test_a_codestream_whose_signedness_disagrees_with_the_header_is_refused(tmp_path, bits, signed, stored, rep,
                                                                          gdcm_right, said):
    d = tmp_path / "ct"
    hu = _series(d)
    p = _openjpeg(d, bits, signed, stored, rep)
    assert np.array_equal(_gdcm_hu(p).reshape(hu[1].shape), hu[1]) is gdcm_right
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert msg.startswith(f"{p}: {said}") and "\n" not in msg


@pytest.mark.parametrize(("bits", "signed", "stored", "rep"), [
    (12, False, 16, 0), (16, False, 12, 0), (12, True, 16, 1), (16, True, 12, 1)])
def test_a_precision_other_than_bits_stored_is_read_as_the_codestream_says(tmp_path, bits, signed, stored, rep):
    """Signedness agreeing, the precision not: GDCM's reader takes the codestream's and so does ours, into the
    written HU (a pin: read so before round 40 too)."""
    d = tmp_path / "ct"
    hu = _series(d)
    p = _openjpeg(d, bits, signed, stored, rep)
    assert np.array_equal(_gdcm_hu(p).reshape(hu[1].shape), hu[1])
    assert np.array_equal(read_ct_series(d).hu, hu)


@pytest.mark.parametrize(("ssiz", "bits"), [(0x00, 1), (0x06, 7)])
def test_a_gdcm_slice_whose_siz_says_under_8_bit_samples_is_refused(tmp_path, ssiz, bits):
    """GDCM's 16-bit codestream with its Ssiz byte zeroed (1-bit samples) or saying 7 bits: decoded into samples
    clipped to that precision, which GDCM's own reader takes as another pixel size; until round 40 the reader read
    it 3023 HU off at 99 % of its pixels.  A CT's samples are 8 to 16 bits (BitsStored's range in the header
    checks), so a codestream saying fewer is damaged."""
    d = tmp_path / "ct"
    hu = _series(d)
    p = d / "CT0002.dcm"
    _gdcm_encode(p)
    _set_ssiz(p, ssiz)
    assert _gdcm_hu(p).size != hu[1].size                   # GDCM: 8-bit samples, half the buffer
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert msg.startswith(f"{p}: pixel data in JPEG 2000") and "\n" not in msg
    assert f"SIZ segment says component 0 has {bits}-bit samples subsampled 1 x 1; expected 8 to 16 bits" in msg


def test_an_enhanced_ct_whose_codestreams_are_signed_under_pixel_representation_0_is_refused(tmp_path):
    """Its frames encoded by OpenJPEG from their signed HU under the writer's PixelRepresentation 0: refused before
    the frames are decoded, naming the file (before round 40 read with every pixel off, up to 3072 HU)."""
    from test_dicom_htj2k import _enhanced

    d = tmp_path / "ct"
    _enhanced(d, lambda f: bytes(jpeg2k_encode((f.astype(np.int32) - 1024).astype(np.int16), codecformat="J2K",
                                               reversible=True, level=0, bitspersample=12)), JPEG2000Lossless)
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert msg.startswith(f"{d / 'ENH.dcm'}: frame 1 of 3: PixelRepresentation = 0 (unsigned) is not allowed here")
    assert "\n" not in msg
    assert "says signed 12-bit samples (Ssiz 0x8b); expected 1 (signed)" in msg
