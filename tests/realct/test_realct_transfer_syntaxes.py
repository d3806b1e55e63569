"""The other valid transfer syntaxes real exports hold, read into the uncompressed series' HU exactly (round 39).

RLE Lossless (DCMTK's ``dcmcrle``: ultrasound and older CT archives), Deflated Explicit VR Little Endian (``dcmconv
+td``: some teleradiology and web exports) and Explicit VR Big Endian (``dcmconv +tb``: retired in 2006 but still met
on old CDs and archives) of the real chest CT's spine crop.  Two oracles: the uncompressed series the three were
made from, and DCMTK's own decoding back to Explicit VR Little Endian (``dcmdrle``, ``dcmconv +te``), whose stored
pixels must be the uncompressed slices' (so a shared misreading by pydicom and the reader would show).  Each is read
by the reader (:func:`~trainer.core.anatomy.dicom_io.read_ct_series`) and by ``import-ct`` end to end, the same
landmarks written.  All three read right before this file (it pins them; realct-log pass 195).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
import realct_sources as sources
import tomllib
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian, RLELossless

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series

#: name: (DCMTK command writing it, its transfer syntax, DCMTK command decoding it back to little endian)
SYNTAXES = {"rle": (["dcmcrle"], RLELossless, ["dcmdrle"]),
            "deflated": (["dcmconv", "+td"], DeflatedExplicitVRLittleEndian, ["dcmconv", "+te"]),
            "big-endian": (["dcmconv", "+tb"], ExplicitVRBigEndian, ["dcmconv", "+te"])}


@pytest.fixture(scope="module")
def plain(chest_crop, tmp_path_factory):
    folder = tmp_path_factory.mktemp("plain") / "ct"
    sources.write_dicom(chest_crop, folder)
    return folder


def _converted(src: Path, out: Path, command: list[str]) -> Path:
    out.mkdir(parents=True)
    for p in sorted(src.iterdir()):
        subprocess.run([*command, str(p), str(out / p.name)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def converted(plain, tmp_path_factory):
    """``converted(name)``: the plain series in the transfer syntax ``name`` (:data:`SYNTAXES`), converted by DCMTK
    once per module on first use (DCMTK writes the same bytes every time: until round 45 each series was converted
    again for the import test, 240 DCMTK runs); the tests only read it."""
    root = tmp_path_factory.mktemp("converted")
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            made[name] = _converted(plain, root / name / "ct", SYNTAXES[name][0])
        return made[name]
    return get


@pytest.mark.parametrize("name", sorted(SYNTAXES))
def test_the_series_reads_into_the_uncompressed_series_hu_and_dcmtk_agrees(plain, converted, tmp_path, name):
    _, syntax, back = SYNTAXES[name]
    folder = converted(name)
    assert pydicom.dcmread(next(folder.iterdir())).file_meta.TransferSyntaxUID == syntax
    ref = read_ct_series(plain)
    vol = read_ct_series(folder)
    assert np.array_equal(vol.hu, ref.hu) and vol.grid == ref.grid
    assert vol.meta.get("notes", []) == []                  # lossless: nothing to say
    undone = _converted(folder, tmp_path / name / "back", back)
    for p in sorted(plain.iterdir()):                       # DCMTK's decoding: the stored pixels unchanged
        ds = pydicom.dcmread(undone / p.name)
        assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
        assert np.array_equal(ds.pixel_array, pydicom.dcmread(p).pixel_array), p.name
    assert np.array_equal(read_ct_series(undone).hu, vol.hu)


def test_import_ct_of_each_writes_the_plain_series_landmarks(plain, converted, capsys):
    written = {}
    for name, src in (("plain", plain), *((n, converted(n)) for n in sorted(SYNTAXES))):
        out = src.parent / f"{name}.toml"
        assert main(["scenarios", "import-ct", str(src), "--level", "T12", "--out", str(out)]) == 0, \
            capsys.readouterr().err
        written[name] = tomllib.loads(out.read_text(encoding="utf-8"))["ct"]["landmarks"]
    capsys.readouterr()
    assert all(written[n] == written["plain"] for n in SYNTAXES), written
