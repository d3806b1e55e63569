"""Several series flat in one folder (a Horos export, a PACS zip; round 35, mixed35): named when none is chosen,
and the chosen one read alone, by ``import-ct --series`` and by every later read of the scenario it writes.

The folder (``realct_mixed.build``) holds the real chest CT's spine crop (series 2), a scout made from it (series 1)
and a 5 mm slab reconstruction of it (series 3), file names interleaved.  Oracles: the import of the chest from a
folder of its own (the clean single-series import: the same TOML but the ``series`` line, the same fingerprint), the
slab volume the test wrote (its spacing and HU), the series the test wrote (numbers, descriptions, file counts),
and dciodvfy for the headers the test edited.  Before this round each of these was refused ("is a scout/localizer
image", "one series per folder" or "mixed series ...; put one series per folder") with nothing to choose.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import realct_mixed

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.errors import DicomError
from trainer.core.scenario.loader import load_scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mixed(chest_crop, tmp_path_factory):
    return realct_mixed.build(chest_crop, tmp_path_factory.mktemp("mixed"))


def _import(folder, out, capsys, *extra):
    code = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out), *extra])
    cap = capsys.readouterr()
    return code, cap.out, cap.err.strip()


def test_without_a_choice_the_folder_is_refused_naming_each_series(mixed, capsys):
    tool = shutil.which("dciodvfy")                 # the headers this test's folder edited are valid DICOM
    assert tool, "dciodvfy missing: tools/setup.sh --test installs dicom3tools"
    for f in (mixed.scout[0], mixed.ct_files[0], mixed.slab_files[-1]):
        checked = subprocess.run([tool, str(f)], capture_output=True, text=True, check=False)
        assert "Error" not in checked.stdout + checked.stderr, (f, checked.stdout + checked.stderr)
    out = mixed.folder.parent / "none.toml"
    code, _, err = _import(mixed.folder, out, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    for text in ("series 1 (CT scout 'Topogram 0.6 T20f', 1 file)",
                 f"series 2 (CT 'crop real CT', {len(mixed.ct_files)} files, 2.5 mm slices)",
                 f"series 3 (CT 'chest 5 mm slabs', {len(mixed.slab_files)} files, 5 mm slices)",
                 "--series N", "e.g. 2, the CT series with the most slices that is not a scout"):
        assert text in err, (text, err)
    assert not out.exists()


def test_choosing_the_ct_imports_what_its_own_folder_imports(mixed, tmp_path, capsys):
    oracle = tmp_path / "oracle"
    shutil.copytree(mixed.folder.parent / "own", oracle / "series")
    code, _, _ = _import(oracle / "series", oracle / "case.toml", capsys)
    assert code == 0
    out = mixed.folder.parent / f"case-{tmp_path.name}.toml"
    code, printed, err = _import(mixed.folder, out, capsys, "--series", "2")
    assert code == 0, err
    assert f"chosen among the folder's 3 series; {len(mixed.scout) + len(mixed.slab_files)} other files not read" in err
    text = out.read_text()
    chosen = f'series = "{mixed.uids[2]}"   # SeriesNumber 2\n'
    assert chosen in text
    assert text.replace(chosen, "") == (oracle / "case.toml").read_text()
    sc = load_scenario(out)
    assert sc.ct.series == mixed.uids[2] and sc.ct.landmarks == load_scenario(oracle / "case.toml").ct.landmarks
    a = read_ct_series(mixed.folder, series=sc.ct.series)
    b = read_ct_series(oracle / "series")
    assert a.meta["series_sha256"] == b.meta["series_sha256"] and a.grid == b.grid and np.array_equal(a.hu, b.hu)
    # the scenario read again (as render, play and assess read it): the same series, said in `show`
    assert main(["scenarios", "show", str(out)]) == 0
    shown = capsys.readouterr().out
    assert f"series {mixed.uids[2]}" in shown and "chosen among the folder's 3 series" in shown


def test_the_slab_series_is_read_with_its_spacing_by_number_or_uid(mixed):
    by_number = read_ct_series(mixed.folder, series=3)
    assert by_number.grid.spacing_xyz_mm[2] == pytest.approx(5.0)
    assert by_number.grid.shape == mixed.slabs.grid.shape and by_number.meta["files"] == len(mixed.slab_files)
    assert np.array_equal(by_number.hu, np.maximum(mixed.slabs.hu, -1024))
    by_uid = read_ct_series(mixed.folder, series=mixed.uids[3])
    assert by_uid.meta["series_sha256"] == by_number.meta["series_sha256"]


def test_the_other_series_pixels_are_not_read(mixed, tmp_path):
    """The scout's and the slabs' files cut short in their pixel data: their headers name them, their pixels are never
    read, so the chest reads as from its own folder (and without a choice the folder is still named, not refused for
    the cut files)."""
    folder = tmp_path / "series"
    shutil.copytree(mixed.folder, folder)
    for p in (*mixed.scout, *mixed.slab_files):
        cut = folder / p.name
        cut.write_bytes(cut.read_bytes()[:4096])
    vol = read_ct_series(folder, series=2)
    assert vol.meta["series_sha256"] == read_ct_series(mixed.folder.parent / "own").meta["series_sha256"]
    with pytest.raises(DicomError, match=r"mixed series \(3 SeriesInstanceUIDs"):
        read_ct_series(folder)


@pytest.mark.parametrize("value, words", [
    ("7", ["series 7: no series with this SeriesNumber", "expected one of 1, 2, 3"]),
    ("1.2.3.4", ["series 1.2.3.4: no series with this SeriesInstanceUID", "expected one of 1, 2, 3"]),
    ("abc", ["--series 'abc': not allowed", "a SeriesNumber (an integer from 0 to 2147483647)"]),
])
def test_an_unknown_series_is_one_line_naming_it_and_those_held(mixed, capsys, value, words):
    out = mixed.folder.parent / "unknown.toml"
    code, _, err = _import(mixed.folder, out, capsys, "--series", value)
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)
    assert not out.exists()


def test_the_scenario_field_is_validated_and_read(mixed, capsys):
    """``[ct] series``: a value of neither form is one line naming file, field, value and what is allowed; a number
    the folder does not hold is one line when the scenario is read."""
    base = ('[scenario]\ntitle = "t"\nobjectives = ["o"]\n[ct]\nfolder = "series"\nlevel = "T12"\n{line}\n[ct.landmarks]\n'
            "body_centre_mm = [0.0, 0.0, 0.0]\npedicle_left_centre_mm = [0.0, 0.0, 0.0]\n"
            "pedicle_right_centre_mm = [0.0, 0.0, 0.0]\nsuperior_endplate_z_mm = 1.0\ninferior_endplate_z_mm = 0.0\n")
    bad = mixed.folder.parent / "bad-series.toml"
    bad.write_text(base.format(line='series = "2a"'))
    assert main(["scenarios", "validate", str(bad)]) == 2
    err = capsys.readouterr()
    text = (err.out + err.err).strip()
    assert f'{bad}:7: ct.series = "2a": not allowed; expected a SeriesNumber' in text, text
    absent = mixed.folder.parent / "absent-series.toml"
    absent.write_text(base.format(line="series = 7"))
    assert main(["scenarios", "show", str(absent)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "series 7: no series with this SeriesNumber" in err, err


def test_render_play_and_assess_read_the_chosen_series(mixed, tmp_path, capsys):
    """The scenario written with ``--series 2`` is rendered, played and assessed from the mixed folder: each reads the
    chest (the session records its UID), none refuses the folder for its other series."""
    root = mixed.folder.parent
    toml = root / f"played-{tmp_path.name}.toml"
    assert _import(mixed.folder, toml, capsys, "--series", "2")[0] == 0
    plan, session, png = tmp_path / "plan.jsonl", root / f"s-{tmp_path.name}.jsonl", tmp_path / "ap.png"
    assert main(["render", str(toml), "--out", str(png)]) == 0 and png.is_file()
    assert main(["scenarios", "expert", str(toml), "--out", str(plan)]) == 0
    assert main(["play", str(toml), "--actions", str(plan), "--out", str(session), "--pixels", "64"]) == 0
    capsys.readouterr()
    assert main(["assess", str(session)]) == 0
    assert "PASSED" in capsys.readouterr().out
    assert f'"series_uid":"{mixed.uids[2]}"' in session.read_text().replace(" ", "")
