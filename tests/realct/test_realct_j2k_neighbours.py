"""A lossless JPEG 2000 slice decoded wrong without a word, told by its two neighbours (round 43, realct-log pass 221).

A JPEG 2000 codestream whose coding-style or quantisation bytes were changed to values valid for another image is
decoded by every decoder into other pixels (round 42's header sweep: 78 of 723 one-byte changes of the real CTs'
middle slices read wrong).  The reader now weighs each lossless JPEG 2000 / HTJ2K slice against the slices beside
it (``trainer.core.anatomy.dicom_neighbours``).  Oracles: imagecodecs' own OpenJPEG build decodes the damaged
codestream into pixels far from the uncompressed slice's (the read is wrong, independently of the reader's
decoder, GDCM); the uncompressed series read back for the series that must still be read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
import realct_sources as sources
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import HTJ2KLossless

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series


@pytest.fixture(scope="module")
def plain(chest_crop_dicom):
    return chest_crop_dicom


@pytest.fixture(scope="module")
def j2k(plain, tmp_path_factory):
    """The chest crop as GDCM's JPEG 2000 lossless slices (the reader's and the sweep's encoder)."""
    out = tmp_path_factory.mktemp("j2k") / "ct"
    out.mkdir()
    for p in sorted(plain.iterdir()):
        sources.write_j2k_slice(p, out / p.name)
    return out


def _stream(path: Path) -> bytes:
    return bytes(next(generate_frames(pydicom.dcmread(path).PixelData, number_of_frames=1)))


def _cod(s: bytes) -> int:
    return s.find(b"\xff\x52")


def _qcd(s: bytes) -> int:
    return s.find(b"\xff\x5c")


#: (what, the byte's offset in the codestream, its change): changes of round 42's sweep that were read wrong (COD:
#: marker, length, Scod, progression, layers, MCT, then the decomposition levels at +9 and the wavelet at +13; QCD:
#: marker, length, Sqcd, then one exponent a sub-band from +5)
CHANGED = [
    ("decomposition levels plus one", lambda s: _cod(s) + 9, lambda b: b + 1),
    ("wavelet zeroed (9-7 read for 5-3)", lambda s: _cod(s) + 13, lambda b: 0),
    ("the low band's exponent zeroed", lambda s: _qcd(s) + 5, lambda b: 0),
    ("a high band's exponent inverted", lambda s: _qcd(s) + 7, lambda b: b ^ 0xFF),
]


@pytest.mark.parametrize(("what", "where", "change"), CHANGED, ids=[c[0] for c in CHANGED])
def test_a_jpeg_2000_slice_whose_coding_or_quantisation_byte_was_changed_is_refused_by_import_ct(
        j2k, plain, tmp_path, capsys, what, where, change):
    """GDCM's JPEG 2000 slice of the real chest crop (the fourth of 80) with one coding-style or quantisation byte
    changed to a value valid for another image.  imagecodecs' OpenJPEG (the oracle) decodes it without a word into
    a slice of which over a fifth is more than 50 HU off the uncompressed one; until round 43 the reader read it so
    and ``import-ct`` wrote its scenario.  Now: exit 2, one line naming the file, the transfer syntax, the measure
    and its allowed ratio; nothing written."""
    from imagecodecs import jpeg2k_decode

    folder = tmp_path / "ct"
    shutil.copytree(j2k, folder)
    victim = sorted(folder.iterdir())[3]
    s = _stream(victim)
    at = where(s)
    damaged = s[:at] + bytes([change(s[at]) & 0xFF]) + s[at + 1:]
    ds = pydicom.dcmread(victim)
    ds.PixelData = encapsulate([damaged])
    ds.save_as(victim)
    decoded = jpeg2k_decode(damaged).astype(np.int32)
    original = pydicom.dcmread(plain / victim.name).pixel_array.astype(np.int32)
    assert np.mean(np.abs(decoded - original) > 50) > 0.2
    out = tmp_path / "case.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and (f"{victim}: pixel data in JPEG 2000 Image Compression (Lossless Only) decoded "
                                     "into a slice unlike both its neighbours") in err, err
    assert "times the" in err and "(allowed: at most 1.25 times" in err and "copy the slice again" in err, err
    assert not out.exists()


@pytest.mark.parametrize("name", ["totalseg", "totalseg-5mm-slabs", "aorta"])
def test_a_real_lossless_jpeg_2000_series_near_the_bound_is_read_whole(name, request, tmp_path):
    """The real series whose slices come nearest the bound (realct-log pass 221: the abdomen at 3 mm up to 0.94 of
    it, as 5 mm slabs 0.80; the contrast angiogram with its stent graft at 1.5 mm 0.88), in GDCM's JPEG 2000
    lossless: read whole into the uncompressed series' HU (the oracle), none refused as unlike its neighbours."""
    ct = request.getfixturevalue("totalseg_ct") if name.startswith("totalseg") else sources.load("aorta")
    if name.endswith("slabs"):
        ct = sources.slabs(ct, 5.0)
    flat = tmp_path / "plain"
    sources.write_dicom(ct, flat)
    packed = tmp_path / "j2k"
    packed.mkdir()
    for p in sorted(flat.iterdir()):
        sources.write_j2k_slice(p, packed / p.name)
    assert np.array_equal(read_ct_series(packed).hu, read_ct_series(flat).hu)


def test_a_blank_slice_between_two_real_ones_in_jpeg_2000_is_read(plain, j2k, tmp_path):
    """A padding slice of one value (stored 0, -1024 HU) in the middle of the real chest crop, in GDCM's JPEG 2000:
    it is unlike both its neighbours, but its codestream is a blank frame's few hundred bytes (the one-value check's
    rule, pass 219): it was one value in the writer's hands, and is read as the uncompressed series reads it."""
    flat, middle = sources.flat_slice_copy(plain, tmp_path / "plain", 40)
    packed = tmp_path / "j2k"
    # the module's series with the blank slice encoded: what encoding every slice of ``flat`` gives (GDCM encodes
    # each file on its own, to the same bytes every time), without the 79 unchanged slices encoded again
    shutil.copytree(j2k, packed)
    sources.write_j2k_slice(middle, packed / middle.name)
    assert len(_stream(packed / middle.name)) < 1000
    assert np.array_equal(read_ct_series(packed).hu, read_ct_series(flat).hu)


def test_a_blank_htj2k_slice_coded_with_one_decomposition_level_is_read(plain, tmp_path):
    """OpenJPH's HTJ2K with one decomposition level (imagecodecs' ``resolutions=1``) codes a constant 384 x 368 frame
    sample by sample in its low band (the unsigned samples are shifted by half their range, so the band is one value
    that is not 0): tens of kilobytes, as many as a real slice.  Round 42's bound on a blank frame's codestream (3488
    bytes here) refused such a padding slice as damaged; the bound now counts the low band's samples.  Oracle: the
    uncompressed series read back (its first slice blank)."""
    from imagecodecs import htj2k_encode

    flat, first = sources.flat_slice_copy(plain, tmp_path / "plain", 0)
    packed = tmp_path / "htj2k"
    packed.mkdir()
    for p in sorted(flat.iterdir()):
        ds = pydicom.dcmread(p)
        ds.PixelData = encapsulate([bytes(htj2k_encode(ds.pixel_array, resolutions=1))])
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = HTJ2KLossless
        ds.save_as(packed / p.name, enforce_file_format=True)
    stream = _stream(packed / first.name)
    assert len(stream) > 20000 and stream[_cod(stream) + 9] == 1
    assert np.array_equal(read_ct_series(packed).hu, read_ct_series(flat).hu)
