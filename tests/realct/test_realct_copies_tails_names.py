"""Issue 12's last hostile inputs (realct-log pass 153, left 4 to 6; pass 161), on the real chest CT.

* An exact copy of a slice (the same SOPInstanceUID, position and pixels: a PACS export sending an
  image twice, a user's ``CT0040 (copy).dcm``) is read once, with one note line naming the copy and
  the file it duplicates.  Oracle: the same folder without the copy (the plain series, as written
  by realct_sources), read by the same reader and imported by the same command: the HU, the grid,
  the series' fingerprint (what a session records and assess looks a moved series up by) and the
  landmarks written are equal.  A "copy" with one pixel changed is refused in one line naming both.
* Random bytes after a slice's pixel data (seeded tails of 1 to 10000 bytes) are ignored with one
  note line naming the file: the HU and fingerprint equal the untouched series'.  Zero padding and a
  Data Set Trailing Padding element are no junk and say nothing.
* A folder or file named with a newline, carriage return or tab: the CLI's error is still exactly
  one line on stderr (the name escaped, ``\\n``), exit 2, nothing written.

The CLI runs in a subprocess, as a user runs it (stderr's lines counted as the terminal gets them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
import realct_sources as sources
import realct_variants as variants
import tomllib

from trainer.core.anatomy.ct_patient import series_fingerprint
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.session.ct_lookup import holds_recorded_series

REPO = Path(__file__).resolve().parents[2]


def _import_ct(folder: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "trainer", "scenarios", "import-ct", str(folder), "--level", "T12",
                           "--out", str(out)], capture_output=True, text=True, env=env, cwd=REPO, check=False)


def _landmarks(out: Path) -> dict:
    return tomllib.loads(out.read_text(encoding="utf-8"))["ct"]["landmarks"]


@pytest.fixture(scope="module")
def plain(chest_crop, tmp_path_factory):
    """(series folder, volume, landmarks import-ct wrote) of the plain series: the oracle."""
    root = tmp_path_factory.mktemp("plain")
    sources.write_dicom(chest_crop, root / "series")
    done = _import_ct(root / "series", root / "case.toml")
    assert done.returncode == 0, done.stderr
    assert "note:" not in done.stderr, done.stderr
    return root / "series", read_ct_series(root / "series"), _landmarks(root / "case.toml")


def _copy_series(plain, tmp_path: Path, name: str = "series") -> Path:
    folder = tmp_path / name
    shutil.copytree(plain[0], folder)
    return folder


def _same_series(vol, ref) -> None:
    assert np.array_equal(vol.hu, ref.hu)
    assert vol.grid == ref.grid
    assert series_fingerprint(vol.meta) == series_fingerprint(ref.meta)


def _notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": note: " in line]


# ---------------------------------------------------------------- an exact copy of a slice


@pytest.mark.parametrize(("original", "copy"), [("CT0040.dcm", "CT0040 (copy).dcm"),
                                                ("CT0001.dcm", "Copy of CT0001.dcm"), ("CT0001.dcm", "1.dcm")])
def test_an_exact_copy_of_a_slice_is_read_once_and_named(plain, tmp_path, original, copy):
    """The copy of a middle slice, and of the first (the fingerprint's first file stays the original's), also
    when the copy's name is the shorter (``1.dcm``: the series' other files are named ``CT####.dcm``)."""
    folder = _copy_series(plain, tmp_path)
    shutil.copy(folder / original, folder / copy)
    out = tmp_path / "case.toml"
    done = _import_ct(folder, out)
    assert done.returncode == 0, done.stderr
    notes = _notes(done.stderr)
    assert len(notes) == 1, done.stderr
    assert f"{copy} (a copy of {original})" in notes[0] and "exact copy" in notes[0], notes
    vol = read_ct_series(folder)
    _same_series(vol, plain[1])
    assert vol.meta["files"] == plain[1].meta["files"] == 80
    assert holds_recorded_series(folder, series_fingerprint(plain[1].meta))
    assert _landmarks(out) == plain[2]


def test_a_copy_stored_with_another_rescale_is_the_same_slice(plain, tmp_path):
    """"Identical pixels" means the same HU: a copy re-encoded with RescaleIntercept -2048 (stored values 1024
    higher) is still the slice once."""
    folder = _copy_series(plain, tmp_path)
    ds = pydicom.dcmread(folder / "CT0020.dcm")
    stored = ds.pixel_array.astype(np.int32) + 1024
    assert stored.max() <= 65535
    ds.PixelData = stored.astype("<u2").tobytes()
    ds.RescaleIntercept = "-2048"
    ds.save_as(folder / "CT0020_1.dcm", enforce_file_format=True)
    vol = read_ct_series(folder)
    _same_series(vol, plain[1])
    assert vol.meta["notes"] == ["an exact copy of a slice ignored (the same SOPInstanceUID, position and pixels): "
                                 "CT0020_1.dcm (a copy of CT0020.dcm); the series is read with each slice once"]


def test_a_copy_with_one_pixel_changed_is_refused_naming_both(plain, tmp_path):
    folder = _copy_series(plain, tmp_path)
    ds = pydicom.dcmread(folder / "CT0040.dcm")
    px = ds.pixel_array.copy()
    px[100, 100] += 1
    ds.PixelData = px.astype("<u2").tobytes()
    ds.save_as(folder / "CT0040 (copy).dcm", enforce_file_format=True)
    out = tmp_path / "case.toml"
    done = _import_ct(folder, out)
    err = done.stderr.strip()
    assert done.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "same SOPInstanceUID" in err and "but different pixels (1 of" in err, err
    assert "CT0040 (copy).dcm and CT0040.dcm" in err, err
    assert not out.exists()


def test_a_sopinstanceuid_reused_at_another_position_is_read_with_a_note(plain, tmp_path):
    """A broken export gives CT0041 the SOPInstanceUID of CT0040 (each slice must have its own, PS3.3
    C.12.1.1.1): the slices are read by their positions, HU and grid as the plain series', and one note names both
    files (before: read without a word)."""
    folder = _copy_series(plain, tmp_path)
    uid = pydicom.dcmread(folder / "CT0040.dcm", stop_before_pixels=True).SOPInstanceUID
    ds = pydicom.dcmread(folder / "CT0041.dcm")
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.save_as(folder / "CT0041.dcm", enforce_file_format=True)
    out = tmp_path / "case.toml"
    done = _import_ct(folder, out)
    assert done.returncode == 0, done.stderr
    notes = _notes(done.stderr)
    assert len(notes) == 1 and "CT0040.dcm and CT0041.dcm" in notes[0] and "SOPInstanceUID" in notes[0], notes
    vol = read_ct_series(folder)
    assert np.array_equal(vol.hu, plain[1].hu) and vol.grid == plain[1].grid
    assert _landmarks(out) == plain[2]


def test_another_slice_at_a_duplicated_position_stays_refused(plain, tmp_path):
    """The same pixels and position under a new SOPInstanceUID (another reconstruction's slice, or a copy
    re-identified): not the same slice, refused as before."""
    folder = _copy_series(plain, tmp_path)
    ds = pydicom.dcmread(folder / "CT0040.dcm")
    ds.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["dedup33"])
    ds.save_as(folder / "CT0040 (copy).dcm", enforce_file_format=True)
    out = tmp_path / "case.toml"
    done = _import_ct(folder, out)
    err = done.stderr.strip()
    assert done.returncode == 2 and len(err.splitlines()) == 1, err
    assert "duplicated slice position" in err and "CT0040 (copy).dcm and CT0040.dcm" in err, err
    assert not out.exists()


# ---------------------------------------------------------------- bytes after the pixel data


def _tail(n_bytes: int, seed: int) -> bytes:
    return np.random.default_rng([seed, n_bytes]).integers(0, 256, n_bytes, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("n_bytes", [1, 7, 8, 100, 1000, 10000])
@pytest.mark.parametrize("seed", range(4))
def test_random_bytes_after_the_pixel_data_are_ignored_with_a_note(plain, tmp_path, n_bytes, seed):
    folder = _copy_series(plain, tmp_path)
    f = folder / "CT0033.dcm"
    tail = _tail(n_bytes, seed)
    assert tail.strip(b"\0")
    f.write_bytes(f.read_bytes() + tail)
    vol = read_ct_series(folder)
    _same_series(vol, plain[1])
    assert vol.meta["notes"] == [f"trailing data ignored: data after the pixel data in 1 file(s): CT0033.dcm "
                                 f"({n_bytes} bytes) (not part of a CT slice: a damaged copy or download; the slices' "
                                 "headers and pixels before it are whole and were read)"]


@pytest.mark.parametrize(("implicit", "little"), [(True, True), (False, False)])
def test_random_bytes_after_a_bare_data_set_are_ignored_too(plain, tmp_path, implicit, little):
    """A slice saved with no preamble and file meta (read through pydicom's forced parse), implicit VR little
    endian or explicit VR big endian, with 1000 random bytes after it: the same note, the same HU."""
    folder = _copy_series(plain, tmp_path)
    variants.bare(folder, implicit, little, keep_names=True)
    f = folder / "CT0033.dcm"
    f.write_bytes(f.read_bytes() + _tail(1000, 7))
    vol = read_ct_series(folder)
    assert np.array_equal(vol.hu, plain[1].hu) and vol.grid == plain[1].grid
    assert len(vol.meta["notes"]) == 1 and "CT0033.dcm (1000 bytes)" in vol.meta["notes"][0], vol.meta["notes"]


def test_trailing_bytes_on_every_slice_through_the_command(plain, tmp_path):
    """Hostile30's case (1000 random bytes after every slice: 7 read, the 8th refused as "Unknown Value
    Representation"): read, one note naming the count, the landmarks of the plain series."""
    folder = _copy_series(plain, tmp_path)
    for n, f in enumerate(sorted(folder.iterdir())):
        f.write_bytes(f.read_bytes() + _tail(1000, n))
    out = tmp_path / "case.toml"
    done = _import_ct(folder, out)
    assert done.returncode == 0, done.stderr
    notes = _notes(done.stderr)
    assert len(notes) == 1 and "trailing data ignored" in notes[0] and "in 80 file(s): CT0001.dcm (1000 bytes)" in \
        notes[0] and "and 75 more" in notes[0], notes
    assert _landmarks(out) == plain[2]


def test_zero_padding_and_a_trailing_padding_element_say_nothing(plain, tmp_path):
    """Files padded with zero bytes to 2048-byte sectors (CD exports), and a Data Set Trailing Padding element
    (FFFC,FFFC), the standard's own: no junk, no note."""
    folder = _copy_series(plain, tmp_path)
    padded = folder / "CT0010.dcm"
    data = padded.read_bytes()
    padded.write_bytes(data + b"\0" * (-len(data) % 2048 or 2048))
    f = folder / "CT0011.dcm"
    ds = pydicom.dcmread(f)
    ds.add_new(0xFFFCFFFC, "OB", b"\0" * 64)
    ds.save_as(f, enforce_file_format=True)
    vol = read_ct_series(folder)
    _same_series(vol, plain[1])
    assert vol.meta["notes"] == []


# ---------------------------------------------------------------- names holding a newline


@pytest.mark.parametrize("name", ["se\nries", "se\rries", "se\tries"])
def test_a_folder_named_with_a_control_character_gives_one_line(plain, tmp_path, name):
    """A slice missing from a series in a folder named with a newline (a carriage return, a tab): the error
    names the folder escaped, on one line."""
    folder = _copy_series(plain, tmp_path, name)
    (folder / "CT0030.dcm").unlink()
    out = tmp_path / "case.toml"
    done = _import_ct(folder, out)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.endswith("\n"), repr(done.stderr)
    assert "Traceback" not in done.stderr and "missing slice" in done.stderr
    assert repr(name)[1:-1] in done.stderr, repr(done.stderr)
    assert not out.exists()


def test_a_file_named_with_a_newline_in_such_a_folder_gives_one_line(plain, tmp_path):
    """Pass 153's case: ``se\\nries/bad\\nfile.txt`` (a text file among the slices)."""
    folder = _copy_series(plain, tmp_path, "se\nries")
    (folder / "bad\nfile.txt").write_text("not a slice\n", encoding="utf-8")
    out = tmp_path / "case.toml"
    done = _import_ct(folder, out)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1, repr(done.stderr)
    assert "se\\nries/bad\\nfile.txt: not a readable DICOM file" in done.stderr, repr(done.stderr)
    assert not out.exists()
