"""`vptrainer scenarios list|show|validate` (import-ct: tests/core/scenario/test_ct_scenario.py)."""

import json
import subprocess
import sys

import pytest

from trainer import SCENARIOS_DIR
from trainer.cli import main
from trainer.core.scenario.loader import builtin_ids

LANDMARK_KEYS = ("body_centre_mm", "pedicle_left_centre_mm", "pedicle_right_centre_mm", "posterior_wall_y_mm",
                 "anterior_wall_y_mm", "superior_endplate_z_mm", "inferior_endplate_z_mm")


def test_list_json(capsys):
    assert main(["scenarios", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == builtin_ids()
    for r in rows:
        assert {"id", "title", "level", "fracture", "difficulty", "objectives"} <= set(r)
        assert r["objectives"] and r["level"][0] in "TL"
    default = next(r for r in rows if r["id"] == "l1-wedge-default")
    assert default["fracture"] == "Genant 2 wedge" and default["candidacy"] == "proceed"


def test_list_text_shows_every_id(capsys):
    assert main(["scenarios", "list"]) == 0
    out = capsys.readouterr().out
    for sid in builtin_ids():
        assert sid in out


def test_list_of_a_folder_with_a_bad_file_exits_2(tmp_path, capsys):
    (tmp_path / "good.toml").write_text((SCENARIOS_DIR / "l1-wedge-default.toml").read_text())
    (tmp_path / "bad.toml").write_text('[scenario]\ntitle = "x"\n')
    assert main(["scenarios", "list", "--dir", str(tmp_path), "--json"]) == 2
    out = capsys.readouterr()
    assert [r["id"] for r in json.loads(out.out)] == ["good"]
    assert "bad.toml:1: scenario.objectives is missing" in out.err


def test_show_json_has_landmarks_and_decisions(capsys):
    assert main(["scenarios", "show", "l1-inr-high", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in LANDMARK_KEYS:
        assert key in data["landmarks"]
    lm = data["landmarks"]
    assert lm["body_centre_mm"] == [0.0, 0.0, 0.0]
    assert lm["pedicle_left_centre_mm"][0] > 0 > lm["pedicle_right_centre_mm"][0]     # LPS: +x = left
    assert lm["posterior_wall_y_mm"] > 0 > lm["anterior_wall_y_mm"]
    assert lm["superior_endplate_z_mm"] > 0 > lm["inferior_endplate_z_mm"]
    assert data["decisions"]["candidacy"] == "defer"
    assert data["decisions"]["gates"]["inr"]["expected"] == "correct_first"
    assert data["patient"]["labs"]["inr"] == 2.0
    assert data["anatomy"]["level"] == "L1" and len(data["sha256"]) == 64


def test_show_default_text(capsys):
    assert main(["scenarios", "show"]) == 0
    out = capsys.readouterr().out
    assert "l1-wedge-default" in out and "body_centre_mm" in out and "candidacy proceed" in out


def test_validate_good_files_exit_0(capsys):
    files = [str(p) for p in sorted(SCENARIOS_DIR.glob("*.toml"))]
    assert main(["scenarios", "validate", *files]) == 0
    assert capsys.readouterr().out.count(": OK") == len(files)


def test_validate_reports_all_errors_of_a_file(tmp_path, capsys):
    p = tmp_path / "two.toml"
    p.write_text('[scenario]\ntitle = ""\nobjectives = ["o"]\n[anatomy]\nlevel = "C5"\n')
    assert main(["scenarios", "validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "INVALID (2 problems)" in err
    assert f"{p}:2: scenario.title" in err and f'{p}:5: anatomy.level = "C5"' in err


def test_validate_lenient_warns_and_passes(tmp_path, capsys):
    p = tmp_path / "typo.toml"
    p.write_text('[scenario]\ntitle = "t"\nobjectives = ["o"]\nlevle = "L2"\n')
    assert main(["scenarios", "validate", str(p)]) == 2
    capsys.readouterr()
    assert main(["scenarios", "validate", "--lenient", str(p)]) == 0
    out = capsys.readouterr()
    assert "warning:" in out.err and "scenario.levle: unknown field" in out.err and ": OK" in out.out


@pytest.mark.parametrize("args", [["scenarios", "show", "no-such-case"],
                                  ["scenarios", "validate", "/nonexistent/x.toml"]])
def test_bad_input_is_one_line_exit_2_no_traceback(args):
    r = subprocess.run([sys.executable, "-m", "trainer.cli", *args], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip()


def test_import_ct_of_a_folder_without_dicom_is_one_line_exit_2(tmp_path):
    series = tmp_path / "series"
    series.mkdir()
    (series / "notes.txt").write_text("not a CT slice")
    r = subprocess.run([sys.executable, "-m", "trainer.cli", "scenarios", "import-ct", str(series), "--level", "T8",
                        "--out", str(tmp_path / "case.toml")], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "notes.txt" in r.stderr and "DICOM" in r.stderr
    assert not (tmp_path / "case.toml").exists()


def test_import_ct_bad_level_is_refused(tmp_path, capsys):
    assert main(["scenarios", "import-ct", str(tmp_path), "--level", "C7", "--out", str(tmp_path / "c.toml")]) == 2
    assert "--level 'C7': expected one of T8" in capsys.readouterr().err
