"""High-Throughput JPEG 2000 slices (transfer syntaxes .201, .202, .203) read into the uncompressed slice's HU.

(:mod:`trainer.core.anatomy.dicom_htj2k`; round 40.)  The codestreams are written by OpenJPH (imagecodecs'
``htj2k_encode``), a separate HTJ2K implementation from the OpenJPEG that decodes them in the reader.  The oracle
for a lossless slice is the same series written uncompressed and read back; for a lossy one, OpenJPH's own decoder
of the same codestream (within 1: the irreversible wavelet rounds).  Before round 40 every such slice was refused
as "no decoder installed".
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from imagecodecs import htj2k_decode, htj2k_encode
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import HTJ2K, HTJ2KLossless, HTJ2KLosslessRPCL

from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError


def _series(d, n=3):
    rng = np.random.default_rng(7)
    hu = rng.integers(-1000, 2000, (n, 48, 64)).astype(np.int16)
    hu[:, :4, :] = -3024                         # below the writer's lowest stored value: kept as air on reading
    write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(hu.shape, (0.7, 0.7, 2), (0, 0, 0))),
                    d)
    return read_ct_series(d).hu.copy()


def _as_htj2k(d, syntax, signed=False, damage=None, **kw):
    """Each slice of ``d`` re-encoded by OpenJPH in ``syntax``; ``signed`` stores the HU themselves (PixelRepresentation
    1, intercept 0) instead of the writer's unsigned values; ``damage`` changes the second slice's codestream."""
    for i, p in enumerate(sorted(d.iterdir())):
        ds = pydicom.dcmread(p)
        px = ds.pixel_array
        if signed:
            px = (px.astype(np.int32) + int(ds.RescaleIntercept)).astype(np.int16)
            ds.PixelRepresentation, ds.RescaleIntercept = 1, "0"
        stream = bytes(htj2k_encode(px, **kw))
        if damage is not None and i == 1:
            stream = damage(stream)
        ds.file_meta.TransferSyntaxUID = syntax
        ds.PixelData = encapsulate([stream])
        ds["PixelData"].VR = "OB"
        ds.save_as(p, enforce_file_format=True)


@pytest.mark.parametrize("syntax", [HTJ2KLossless, HTJ2KLosslessRPCL, HTJ2K])
@pytest.mark.parametrize("signed", [False, True])
def test_a_lossless_htj2k_series_reads_into_the_uncompressed_hu(tmp_path, syntax, signed):
    d = tmp_path / "ct"
    plain = _series(d)
    _as_htj2k(d, syntax, signed=signed)
    assert pydicom.dcmread(d / "CT0001.dcm").file_meta.TransferSyntaxUID == syntax
    vol = read_ct_series(d)
    assert np.array_equal(vol.hu, plain)
    assert not any("lossy" in n for n in vol.meta["notes"])


def _read_lossy(tmp_path, syntax):
    """The series written with 9-7 (lossy) HTJ2K codestreams under ``syntax`` and read: (the volume, the plain HU),
    its middle slice checked against OpenJPH's own decode."""
    d = tmp_path / "ct"
    plain = _series(d)
    _as_htj2k(d, syntax, reversible=False)
    ds = pydicom.dcmread(d / "CT0002.dcm")
    theirs = htj2k_decode(next(generate_frames(ds.PixelData, number_of_frames=1))).astype(int) - 1024
    vol = read_ct_series(d)
    # the 9-7 wavelet is computed in floating point: two decoders may round a sample apart (OpenJPEG and OpenJPH
    # differ by 1 at a few pixels here), the lossless ones may not
    assert np.abs(vol.hu[1].astype(int) - theirs).max() <= 1
    assert not np.array_equal(vol.hu, plain)                # lossy: not the scanner's numbers
    return vol, plain


def test_a_lossy_htj2k_series_reads_as_openjph_decodes_it_and_says_lossy(tmp_path):
    vol, _ = _read_lossy(tmp_path, HTJ2K)
    assert any(n.startswith("3 of 3 slices are lossy-compressed (High-Throughput JPEG 2000 Image Compression")
               for n in vol.meta["notes"])


@pytest.mark.parametrize(("damage", "said"), [
    (lambda s: s[:len(s) // 2], "does not end with its EOC marker"),
    (lambda s: s[:len(s) // 2] + s[len(s) // 2 + 16:], "bytes long (Psot)"),
])
def test_a_damaged_htj2k_slice_is_refused_in_one_line_naming_file_and_syntax(tmp_path, damage, said):
    d = tmp_path / "ct"
    _series(d)
    _as_htj2k(d, HTJ2KLossless, damage=damage)
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert msg.startswith(str(d / "CT0002.dcm")) and "\n" not in msg
    assert "High-Throughput JPEG 2000 Image Compression (Lossless Only)" in msg and said in msg


def _enhanced(d, frames_codec, syntax):
    """The series written to ``d`` (3 slices) merged by highdicom into one Legacy Converted Enhanced CT, its frames
    re-encoded by ``frames_codec`` (an array -> bytes) in ``syntax``; the slice files removed.  (the plain HU)"""
    import highdicom as hd

    plain = _series(d)
    files = sorted(d.iterdir())
    merged = hd.legacy.LegacyConvertedEnhancedCTImage([pydicom.dcmread(p) for p in files], series_instance_uid=hd.UID(),
                                                     series_number=9, sop_instance_uid=hd.UID(), instance_number=1)
    for p in files:
        p.unlink()
    frames = merged.pixel_array
    merged.file_meta.TransferSyntaxUID = syntax
    merged.PixelData = encapsulate([frames_codec(f) for f in frames])
    merged["PixelData"].VR = "OB"
    merged.save_as(d / "ENH.dcm", implicit_vr=False, little_endian=True)
    return plain


def test_an_enhanced_ct_in_htj2k_reads_into_the_uncompressed_hu(tmp_path):
    d = tmp_path / "ct"
    plain = _enhanced(d, lambda f: bytes(htj2k_encode(f)), HTJ2KLossless)
    assert np.array_equal(read_ct_series(d).hu, plain)


@pytest.mark.parametrize("syntax", [HTJ2KLossless, HTJ2KLosslessRPCL])
def test_an_irreversible_codestream_under_a_lossless_only_syntax_is_read_with_the_lossy_note(tmp_path, syntax):
    """A writer that puts a 9-7 (lossy) codestream under a "Lossless Only" HTJ2K syntax (round 40, hostile40): the
    slices are read as OpenJPH decodes them and the note says they are lossy, naming the wavelet.  Before, no note:
    the codec's numbers were taken as the scanner's."""
    vol, _ = _read_lossy(tmp_path, syntax)
    (note,) = [n for n in vol.meta["notes"] if "lossy" in n]           # failed before: no such note
    assert note.startswith(f"3 of 3 slices are lossy-compressed ({syntax.name}, though its codestream uses the "
                           "irreversible 9-7 wavelet)")


def test_an_enhanced_ct_whose_later_frame_is_signed_under_pixel_representation_0_is_refused_naming_it(tmp_path):
    """Every frame's codestream is asked for its signedness (round 40, hostile40), not the first only: a second
    frame written signed (the HU themselves) in an object saying PixelRepresentation 0 was read 33791 HU off, from
    its own SIZ's sign bit (ISO 15444-1 A.5.1: Ssiz 0x8F, signed 16-bit)."""
    d = tmp_path / "ct"
    frames = []

    def codec(frame):
        frames.append(frame)
        if len(frames) == 2:
            frame = (frame.astype(np.int32) - 1024).astype(np.int16)
        return bytes(htj2k_encode(frame))

    _enhanced(d, codec, HTJ2KLossless)
    second = list(generate_frames(pydicom.dcmread(d / "ENH.dcm").PixelData, number_of_frames=3))[1]
    assert second[:4] == b"\xff\x4f\xff\x51" and second[42] == 0x8F         # the writer's signed 16-bit samples
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert msg.startswith(f"{d / 'ENH.dcm'}: frame 2 of 3: PixelRepresentation = 0 (unsigned) is not allowed here: "
                          "the JPEG 2000 codestream's SIZ segment says signed 16-bit samples (Ssiz 0x8f)")
    assert "\n" not in msg


def test_an_enhanced_ct_whose_later_frame_decodes_to_one_value_is_refused_naming_it(tmp_path):
    """Every decoded frame is asked whether it is one value (round 42): the third frame's 16-bit codestream with its
    precision byte saying 12 bits decodes to zeros (imagecodecs' OpenJPEG, the oracle, and the reader's alike) where
    the written frame holds thousands of values; until round 42 it was read as that one value without a word."""
    from imagecodecs import jpeg2k_decode

    d = tmp_path / "ct"
    frames = []

    def codec(frame):
        frames.append(frame)
        stream = bytes(htj2k_encode(frame))
        return stream[:42] + bytes([0x0B]) + stream[43:] if len(frames) == 3 else stream

    plain = _enhanced(d, codec, HTJ2KLossless)
    third = list(generate_frames(pydicom.dcmread(d / "ENH.dcm").PixelData, number_of_frames=3))[2]
    assert np.unique(jpeg2k_decode(bytes(third))).size == 1 and np.unique(plain[2]).size > 1000
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert msg.startswith(f"{d / 'ENH.dcm'}: Enhanced CT (3 frames) pixel data in High-Throughput JPEG 2000"), msg
    assert "frame 3 of 3: the JPEG 2000 codestream's SIZ segment says 12-bit samples (Ssiz 0x0b) under BitsStored" in msg
    assert "decodes to one value" in msg and "\n" not in msg


def test_an_enhanced_ct_whose_later_frame_is_truly_one_value_is_read(tmp_path):
    """A frame that is one value in the writer's hands too (a padding frame a converter writes) is read, not refused
    as damaged: round 42's one-value check (pass 218) refused it, "bytes changed in its header".  Its codestream is
    a few hundred bytes; the damaged frame of the test above keeps its thousands.  Oracle: the plain HU with the
    third frame set to the written value's HU."""
    d = tmp_path / "ct"
    frames = []

    def codec(frame):
        frames.append(frame)
        return bytes(htj2k_encode(np.full_like(frame, frame[10, 10]) if len(frames) == 3 else frame))

    plain = _enhanced(d, codec, HTJ2KLossless)
    third = list(generate_frames(pydicom.dcmread(d / "ENH.dcm").PixelData, number_of_frames=3))[2]
    assert np.unique(htj2k_decode(bytes(third))).size == 1
    hu = read_ct_series(d).hu                       # the frames are the volume's first axis, in z order
    (k,) = [k for k in range(3) if np.unique(hu[k]).size == 1]
    expected = plain.copy()
    expected[k] = plain[k, 10, 10]
    assert np.array_equal(hu, expected)


def test_small_tiles_split_into_tile_parts_by_resolution_read_into_the_uncompressed_hu(tmp_path):
    """OpenJPH's 16 x 16 tiles in one tile-part per resolution (round 40, hostile40): the lowest resolution's
    tile-parts hold no data byte or one after their SOD marker (ISO 15444-1 A.4.2 allows any length), and the
    layout check wanted 4 bytes left for a marker segment there, refusing a codestream that OpenJPEG decodes
    exactly ("no FF93 marker where its header should end").  Oracle: the same series uncompressed."""
    d = tmp_path / "ct"
    plain = _series(d)
    _as_htj2k(d, HTJ2KLossless, tile=(16, 16), tilepart=1)
    stream = next(generate_frames(pydicom.dcmread(d / "CT0001.dcm").PixelData, number_of_frames=1))
    at, lengths = stream.find(b"\xff\x90"), []
    while stream[at:at + 2] == b"\xff\x90":                      # each tile-part's Psot, from SOT to SOT
        lengths.append(int.from_bytes(stream[at + 6:at + 10], "big"))
        at += lengths[-1]
    assert stream[at:at + 2] == b"\xff\xd9" and len(lengths) == 12 * 6      # 12 tiles, 6 resolutions each
    assert {12 + 2, 12 + 2 + 1} <= set(lengths)                    # SOT and SOD, with no data byte or one
    assert np.array_equal(read_ct_series(d).hu, plain)             # failed before: refused as damaged


@pytest.mark.parametrize("dtype", [np.uint32, np.int32])
def test_a_32_bit_htj2k_codestream_is_refused_without_being_called_damaged(tmp_path, dtype):
    """OpenJPH writes 32-bit samples when given them, which ISO 15444-1 allows (1 to 38 bits) and a CT never holds
    (round 40, hostile40): refused in one line naming the precision read from its own SIZ byte, as a precision a CT
    cannot have, where it was blamed on "bytes changed in its header" alone."""
    d = tmp_path / "ct"
    _series(d)
    for p in sorted(d.iterdir()):
        ds = pydicom.dcmread(p)
        ds.PixelData = encapsulate([bytes(htj2k_encode(ds.pixel_array.astype(dtype) * 70000))])
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = HTJ2KLossless
        ds.save_as(p, enforce_file_format=True)
    stream = next(generate_frames(pydicom.dcmread(d / "CT0001.dcm").PixelData, number_of_frames=1))
    bits = (stream[42] & 0x7F) + 1
    assert bits == 32
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    msg = str(err.value)
    assert msg.startswith(str(d / "CT0001.dcm")) and "\n" not in msg
    assert (f"says component 0 has {bits}-bit samples subsampled 1 x 1; expected 8 to 16 bits, subsampled 1 to 255 "
            "(samples wider than a CT's, or bytes changed in its header)") in msg      # before: "(bytes changed ...)"
