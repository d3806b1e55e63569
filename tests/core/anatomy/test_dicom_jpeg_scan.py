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
from imagecodecs import jpeg8_decode, jpeg8_encode
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import JPEGLosslessSV1

from trainer.core.anatomy.dicom_jpeg_scan import decoded_pixels, header_damage, scan_damage


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


def test_what_gdcm_printed_while_refusing_is_the_reason_not_text_on_stderr(capfd):
    """A decode that raises after printing (GDCM's IJG library prints "Bogus marker length", then pydicom raises
    "gdcm: 'NoneType' object has no attribute 'encode'"): what was printed is the refusal's reason, nothing of it
    reaches the real stderr (it was written there above the one-line error until round 39), and stderr is the
    real one again after."""
    with pytest.raises(ValueError, match="GDCM's decoder said 'Bogus marker length'") as err:
        decoded_pixels(_PrintingDecode(b"Bogus marker length\n", fails=True))
    assert isinstance(err.value.__cause__, RuntimeError)
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_a_decode_that_raises_without_printing_raises_as_it_did(capfd):
    with pytest.raises(RuntimeError, match="the decoder failed"):
        decoded_pixels(_PrintingDecode(b"", fails=True))
    assert capfd.readouterr().err == ""


def test_premature_end_of_file_refuses_the_slice_too():
    """libjpeg's JWRN_JPEG_EOF: the data ran out before the image (its words do not start "Corrupt JPEG data")."""
    with pytest.raises(ValueError, match="warned 'Premature end of JPEG file'"):
        decoded_pixels(_PrintingDecode(b"Premature end of JPEG file\n"))


def test_a_slice_decoded_without_a_word_is_returned():
    assert decoded_pixels(_PrintingDecode(b"")).shape == (2, 2)


def _with_jfif(stream: bytes) -> bytes:
    """``stream`` with a JFIF APP0 segment after SOI, as DCMTK's dcmcjpeg writes it (version 1.01)."""
    return stream[:2] + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + stream[2:]


@pytest.mark.parametrize("lossless", [True, False])
def test_an_intact_header_is_not_refused(lossless):
    assert header_damage(_stream(lossless)) is None and header_damage(_with_jfif(_stream(lossless))) is None
    assert scan_damage(_with_jfif(_stream(lossless)), lossless) is None


def test_a_zeroed_segment_length_is_refused_before_a_decoder_sees_it():
    """GDCM's IJG library read it with a warning and GDCM then ended the process (SIGABRT), round 39."""
    s = _with_jfif(_stream(True))
    damaged = s[:4] + b"\x00\x00" + s[6:]
    assert "marker FFE0 at byte 2 has a length of 0 bytes" in header_damage(damaged)
    assert "header is damaged" in scan_damage(damaged, True)


def test_bytes_where_a_marker_should_start_are_refused():
    s = _with_jfif(_stream(True))
    assert "byte 20 is 00 where a marker (FF) should start" in header_damage(s[:20] + b"\x00" + s[21:])
    assert "byte 20 is FF00" in header_damage(s[:21] + b"\x00" + s[22:])


def test_a_jfif_version_other_than_1_is_refused():
    s = _with_jfif(_stream(True))
    assert "JFIF segment says version 0.01" in header_damage(s[:11] + b"\x00" + s[12:])


@pytest.mark.parametrize("bits", [0, 17, 239])
def test_a_lossless_frame_header_saying_an_impossible_precision_is_refused(bits):
    """GDCM crashed the process (SIGSEGV) on 0 and 17 bits, and decoded 239 into samples 32768 off (round 39)."""
    s = _stream(True)
    sof = s.find(b"\xff\xc3")
    assert f"says {bits}-bit samples; expected 2 to 16" in header_damage(s[:sof + 4] + bytes([bits]) + s[sof + 5:])


def test_a_twelve_bit_dct_frame_header_saying_16_bits_is_refused():
    s = _stream(False)
    sof = s.find(b"\xff\xc1")
    assert sof > 0 and "says 16-bit samples; expected 8 to 12" in header_damage(s[:sof + 4] + b"\x10" + s[sof + 5:])


def test_bytes_inserted_into_a_dct_scan_are_left_over():
    """64 bytes of a 12-bit DCT scan copied twice (a bad copy): libjpeg-turbo decodes it with a warning only, and
    its image does not need the scan's last two bytes; read without a word until round 39."""
    s = _stream(False)
    first, end = _scan(s)
    cut = (first + end) // 2
    assert "left over" in scan_damage(s[:cut + 64] + s[cut:], False)


def test_a_dct_scan_needs_its_last_two_bytes():
    """The oracle of the left-over probe on a DCT stream: the intact scan's image changes without its last two
    data bytes (the blocks after the one the data runs out in are left mid-grey)."""
    s = _stream(False)
    first, end = _scan(s)
    image = jpeg8_decode(s)
    assert not np.array_equal(jpeg8_decode(s[:end - 2] + b"\xff\xd9"), image)
    assert scan_damage(s, False) is None
