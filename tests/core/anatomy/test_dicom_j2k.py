"""A JPEG 2000 codestream's layout and a JPEG-LS stream's header and end, checked before a decoder sees them.

(:mod:`trainer.core.anatomy.dicom_j2k`, :func:`trainer.core.anatomy.dicom_jpeg_scan.jpegls_damage`; round 39.)  The
streams are written by imagecodecs' encoders (OpenJPEG, CharLS) from a 12-bit image with noise; the damage is made
by hand, as a bad copy would.  Both real CTs written by GDCM's and DCMTK's encoders and damaged the same ways are
measured by benchmarks/realct_jpeg_damage.py; the real CLI refusing such a slice is in
tests/realct/test_realct_compressed.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from imagecodecs import jpeg2k_decode, jpeg2k_encode, jpegls_encode
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000Lossless

from trainer.core.anatomy.dicom_j2k import codestream_damage
from trainer.core.anatomy.dicom_jpeg_scan import check_jpeg_scans, jpegls_damage


def _image() -> np.ndarray:
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:96, 0:128]
    return (300 + 10 * x + 4 * y + rng.integers(0, 60, (96, 128))).astype(np.uint16)


@pytest.fixture(scope="module")
def j2k() -> bytes:
    return bytes(jpeg2k_encode(_image(), codecformat="J2K", reversible=True, level=0))


def _psot(stream: bytes) -> tuple[int, int]:
    """(where the first SOT marker is, its Psot)."""
    at = stream.find(b"\xff\x90")
    return at, int.from_bytes(stream[at + 6:at + 10], "big")


def test_an_intact_codestream_is_not_refused_padded_or_not(j2k):
    assert codestream_damage(j2k) is None and codestream_damage(j2k + b"\x00") is None
    at, _ = _psot(j2k)
    last = j2k[:at + 6] + bytes(4) + j2k[at + 10:]          # Psot 0: the last tile-part runs to EOC (A.4.2)
    assert codestream_damage(last) is None and np.array_equal(jpeg2k_decode(last), _image())


def test_bytes_lost_or_inserted_inside_the_data_no_longer_end_at_eoc(j2k):
    """The tile-part's Psot no longer ends where EOC starts: 16 bytes lost, 64 written twice (OpenJPEG reads both
    without a word, the image wrong)."""
    mid = len(j2k) // 2
    lost = j2k[:mid] + j2k[mid + 16:]
    assert "bytes long (Psot); expected 14 to" in codestream_damage(lost)
    twice = j2k[:mid + 64] + j2k[mid:]
    assert "where neither the next tile-part (FF90) nor the end of the codestream" in codestream_damage(twice)


def test_a_codestream_cut_short_or_without_eoc_is_refused(j2k):
    assert "does not end with its EOC marker" in codestream_damage(j2k[:len(j2k) * 3 // 4])
    assert "does not end with its EOC marker" in codestream_damage(j2k[:-2])


def test_a_damaged_main_header_or_tile_part_header_is_refused(j2k):
    cod = j2k.find(b"\xff\x52")
    assert "main header is damaged: marker FF52" in codestream_damage(j2k[:cod + 2] + b"\x00\x00" + j2k[cod + 4:])
    at, _ = _psot(j2k)
    assert "tile-part header at byte" in codestream_damage(j2k[:at + 2] + b"\x00\x07" + j2k[at + 4:])


def test_bytes_zeroed_inside_the_data_are_not_told(j2k):
    """The layout holds (the length right): what a reference alone could tell; OpenJPEG decodes other pixels."""
    mid = len(j2k) // 2
    zeroed = j2k[:mid] + bytes(64) + j2k[mid + 64:]
    assert codestream_damage(zeroed) is None
    assert not np.array_equal(jpeg2k_decode(zeroed), _image())


def test_the_reader_s_check_refuses_a_jpeg_2000_slice_that_lost_bytes(j2k):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
    mid = len(j2k) // 2
    ds.PixelData = encapsulate([j2k[:mid] + j2k[mid + 16:]])
    with pytest.raises(ValueError, match="JPEG 2000 codestream's tile-part at byte"):
        check_jpeg_scans(ds)
    ds.PixelData = encapsulate([j2k])
    check_jpeg_scans(ds)


def test_a_jpeg_ls_stream_s_header_and_end_are_checked():
    stream = bytes(jpegls_encode(_image()))
    assert jpegls_damage(stream) is None and jpegls_damage(stream + b"\x00") is None
    assert "does not end with its EOI marker" in jpegls_damage(stream[:len(stream) // 2])
    sof = stream.find(b"\xff\xf7")
    assert "JPEG-LS stream's frame header (FFF7" in jpegls_damage(stream[:sof + 4] + b"\x11" + stream[sof + 5:])
    assert "JPEG-LS stream's header is damaged: marker FFF7" in jpegls_damage(
        stream[:sof + 2] + b"\x00\x00" + stream[sof + 4:])


@pytest.mark.parametrize("ssiz, bits", [(0xF0, 113), (0x10, 17)])
def test_a_siz_sample_precision_over_16_bits_is_refused(j2k, ssiz, bits):
    """The component's precision byte (SIZ byte 42) inverted or raised: GDCM's OpenJPEG ended the process on the
    first (a real chest slice, round 39) and read the second 32768 HU off."""
    assert j2k[42] == 0x0F                                  # 16-bit samples (imagecodecs from uint16), unsigned
    assert f"component 0 has {bits}-bit samples" in codestream_damage(j2k[:42] + bytes([ssiz]) + j2k[43:])


@pytest.mark.parametrize("at, value, said", [(6, 0xEF, "says 239-bit samples"), (6, 0x11, "says 17-bit samples"),
                                             (9, 0x00, "says 0 samples per line")])
def test_a_jpeg_ls_frame_header_saying_impossible_values_is_refused(at, value, said):
    """SOF55's precision (byte 4 of its segment) and samples per line: GDCM's CharLS ended the process on a real
    slice with the precision byte inverted or raised, or its samples per line zeroed (round 39)."""
    stream = bytes(jpegls_encode(_image()))
    sof = stream.find(b"\xff\xf7")
    k = sof + at - 2                                        # ``at`` counted from SOI in DCMTK's stream, FFF7 at 2
    damaged = stream[:k] + bytes([value]) + stream[k + 1:]
    if at == 9:
        damaged = damaged[:k + 1] + b"\x00" + damaged[k + 2:]  # both bytes of X
    assert said in jpegls_damage(damaged)
