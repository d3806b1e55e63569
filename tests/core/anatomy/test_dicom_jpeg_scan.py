"""Damage inside a JPEG stream's entropy-coded data, told by decoding it again (:mod:`trainer.core.anatomy.dicom_jpeg_scan`).

The streams are written by imagecodecs' encoder (libjpeg-turbo's compressor) from a smooth 12-bit image with some
noise (so that each row has its own codes); the damage is made by hand, as a bad copy would: bytes dropped or
inserted inside the scan, EOI kept.  The real series (DCMTK's encoders, DCMTK's decoder as the oracle) are in
tests/realct/test_realct_compressed.py.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from imagecodecs import jpeg8_encode
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import JPEGLosslessSV1

from trainer.core.anatomy.dicom_jpeg_scan import decoded_pixels, scan_damage


def _image() -> np.ndarray:
    """128 x 128 12-bit samples: a ramp with noise, air (0) in the last rows as a CT has below the table."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:128, 0:128]
    img = 400 + 8 * x + 6 * y + rng.integers(0, 40, (128, 128))
    img[112:] = 0
    return img.astype(np.uint16)


def _stream(lossless: bool) -> bytes:
    if lossless:
        return bytes(jpeg8_encode(_image(), lossless=True, predictor=1, bitspersample=12))
    return bytes(jpeg8_encode(_image(), level=90, bitspersample=12))


def _scan(stream: bytes) -> tuple[int, int]:
    """(first, end) byte of the entropy-coded data: after the SOS segment, before EOI."""
    sos = stream.find(b"\xff\xda")
    return sos + 2 + int.from_bytes(stream[sos + 2:sos + 4], "big"), len(stream) - 2


@pytest.mark.parametrize("lossless", [True, False])
def test_an_intact_stream_is_not_refused(lossless):
    assert scan_damage(_stream(lossless), lossless) is None
    assert scan_damage(_stream(lossless) + b"\x00", lossless) is None      # the fragment's padding byte


@pytest.mark.parametrize("lossless", [True, False])
def test_the_end_of_the_scan_lost_with_eoi_kept_runs_short(lossless):
    """The last quarter of the entropy-coded data lost, EOI written after what is left (a copy that lost its last
    block, a writer that closes what it has): the decoder would make the last rows of zeros without a word."""
    s = _stream(lossless)
    first, end = _scan(s)
    damaged = s[:end - (end - first) // 4].rstrip(b"\xff") + b"\xff\xd9"
    assert "runs short" in scan_damage(damaged, lossless)


def test_a_run_of_bytes_dropped_inside_a_lossless_scan_runs_short():
    s = _stream(True)
    first, end = _scan(s)
    cut = first + (end - first) // 2
    assert "runs short" in scan_damage(s[:cut] + s[cut + 16:], True)


def test_bytes_inserted_into_a_lossless_scan_are_left_over():
    s = _stream(True)
    first, end = _scan(s)
    cut = (first + end) // 2
    damaged = s[:cut] + bytes(range(1, 33)) + s[cut:]
    assert "left over" in scan_damage(damaged, True)


def test_a_stream_without_eoi_is_cut_short():
    s = _stream(True)
    assert "cut short" in scan_damage(s[:len(s) // 2], True)


class _PrintingDecode(Dataset):
    """A JPEG Lossless slice whose decoding prints ``printed`` on file descriptor 2 as GDCM's C code does, then
    returns a 2 x 2 image, or raises when ``fails``."""

    def __init__(self, printed: bytes, fails: bool = False):
        super().__init__()
        self.file_meta = FileMetaDataset()
        self.file_meta.TransferSyntaxUID = JPEGLosslessSV1
        self._printed, self._fails = printed, fails

    @property
    def pixel_array(self) -> np.ndarray:
        os.write(2, self._printed)
        if self._fails:
            raise RuntimeError("the decoder failed")
        return np.zeros((2, 2), np.uint16)


def test_a_libjpeg_warning_on_stderr_refuses_the_slice_and_other_text_is_passed_on(capfd):
    """The oracle is what the test's decode printed: libjpeg's warning becomes the refusal's reason, another
    thread's line printed meanwhile reaches the real stderr, and stderr is the real one again after."""
    ds = _PrintingDecode(b"another thread's line\nCorrupt JPEG data: premature end of data segment\n")
    with pytest.raises(ValueError, match="warned 'Corrupt JPEG data: premature end of data segment'"):
        decoded_pixels(ds)
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "another thread's line\nafter\n"


def test_stderr_is_put_back_when_the_decode_raises(capfd):
    with pytest.raises(RuntimeError, match="the decoder failed"):
        decoded_pixels(_PrintingDecode(b"gdcm: an error\n", fails=True))
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "gdcm: an error\nafter\n"


def test_a_slice_decoded_without_a_word_is_returned():
    assert decoded_pixels(_PrintingDecode(b"")).shape == (2, 2)
