"""JPEG extended with 12-bit samples, decoded through imagecodecs (:mod:`trainer.core.anatomy.dicom_jpeg12`).

The streams here are written by imagecodecs' encoder (libjpeg-turbo's compressor, not the decoder under test); the
oracle is the image they were made from.  The real series (DCMTK's encoder, DCMTK's decoder as a second oracle) is
in tests/realct/test_realct_compressed.py.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from imagecodecs import jpeg8_decode, jpeg8_encode
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import JPEGExtended12Bit

import trainer.core.anatomy.dicom_codecs  # noqa: F401 - registers the plugin, as the reader's import does
from trainer.core.anatomy import dicom_jpeg12, dicom_jpeg_scan
from trainer.core.anatomy.dicom_jpeg_scan import decoded_pixels

#: IJG quality of the test streams, and the largest error it gave on the ramps below (measured: 1 stored unit), with room
QUALITY, BOUND = 95, 6


def _slice(stored: np.ndarray, signed: bool) -> Dataset:
    """A one-frame greyscale data set holding ``stored`` (12-bit samples) as a 12-bit JPEG extended stream."""
    pattern = (stored.astype(np.int32) & 0xFFF).astype(np.uint16)      # a signed sample's two's-complement bits
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = JPEGExtended12Bit
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, int(signed)
    ds.PixelData = encapsulate([jpeg8_encode(pattern, level=QUALITY, bitspersample=12)])
    ds["PixelData"].VR = "OB"
    return ds


def _ramp(lo: int, hi: int) -> np.ndarray:
    """A smooth 64 x 64 image from ``lo`` to ``hi`` (stored values)."""
    y, x = np.mgrid[0:64, 0:64]
    return np.round(lo + (hi - lo) * (x + y) / 126).astype(np.int16)


def test_signed_12_bit_samples_are_read_with_their_sign():
    """Signed samples (PixelRepresentation 1) are coded as their 12-bit two's-complement bits, -1000 as 3096 (read
    as unsigned they would be 4096 too high); the plugin hands pydicom the bits, pydicom extends the sign."""
    stored = _ramp(-2000, -10)
    arr = _slice(stored, signed=True).pixel_array
    assert arr.dtype == np.int16
    assert np.abs(arr.astype(np.int32) - stored).max() <= BOUND


def test_unsigned_12_bit_samples_use_the_whole_range():
    stored = _ramp(0, 4095).astype(np.uint16)
    arr = _slice(stored, signed=False).pixel_array
    assert arr.dtype == np.uint16
    assert np.abs(arr.astype(np.int32) - stored).max() <= BOUND


def test_the_12_bit_plugin_is_tried_first(caplog):
    """pydicom logs each plugin that fails with its traceback: GDCM and Pillow refuse 12-bit samples, so tried first
    they would log two tracebacks per slice."""
    with caplog.at_level(logging.DEBUG, logger="pydicom"):
        _ = _slice(_ramp(0, 4000), signed=False).pixel_array
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_stream_without_its_end_marker_is_refused():
    ds = _slice(_ramp(0, 4000), signed=False)
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    ds.PixelData = encapsulate([frame[:-2]])
    with pytest.raises(RuntimeError, match="imagecodecs: the JPEG stream does not end with its EOI marker"):
        _ = ds.pixel_array


@pytest.mark.parametrize("signed", [True, False])
def test_the_scan_check_and_the_pixels_decode_a_slice_once(monkeypatch, signed):
    """The reader's decode step (the scan check, then the pixels) decodes a 12-bit slice's stream once: until round 38
    the check decoded it and the plugin again.  The oracle: the streams libjpeg-turbo is handed, counted here (the
    check's own probe streams are others: EOI moved, and the last two data bytes dropped since round 39), and the
    image the slice was made from."""
    stored = _ramp(-2000, -10) if signed else _ramp(0, 4095).astype(np.uint16)
    ds = _slice(stored, signed)
    stream = bytes(next(generate_frames(ds.PixelData, number_of_frames=1))).rstrip(b"\x00")
    handed: list[bytes] = []

    def counted(src, *args, **kwargs):
        handed.append(bytes(src).rstrip(b"\x00"))
        return jpeg8_decode(src, *args, **kwargs)

    monkeypatch.setattr(dicom_jpeg_scan, "jpeg8_decode", counted)
    monkeypatch.setattr(dicom_jpeg12, "jpeg8_decode", counted)
    arr = decoded_pixels(ds)
    assert handed.count(stream) == 1 and len(handed) == 3
    assert arr.dtype == (np.int16 if signed else np.uint16)
    assert np.abs(arr.astype(np.int32) - stored).max() <= BOUND
