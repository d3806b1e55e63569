"""``render`` says which level is at the image's centre, and when its AP or lateral preset is not the target's
true view.

Round 36 (a first-time instructor rendering the imported real CTs, looking as a radiologist): ``render CT.toml
--view lateral`` of a vertebra turned on the table wrote an oblique lateral at orbital 90 and said only the
angle, kVp and dose. Oracles: the true AP angle published for the abdominal CT's L1 in docs/user-guide.md ("-7.0
... at the abdominal CT's L1"; its lateral 90 deg on), the angle ``scenarios show`` prints for the same file, and
the synthetic default case, built unturned and unrolled (its presets are its true views).
"""

from __future__ import annotations

import re

from trainer.cli import main


def test_render_names_the_centre_level_and_the_true_view_of_a_turned_vertebra(totalseg_series, tmp_path, capsys):
    root, folder = totalseg_series
    case = root / "render-l1.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L1", "--out", str(case)]) == 0
    capsys.readouterr()
    assert main(["scenarios", "show", str(case)]) == 0
    shown = re.search(r"true AP at orbital (-?[\d.]+) deg, true lateral at (-?[\d.]+) deg", capsys.readouterr().out)
    true_ap, true_lateral = float(shown[1]), float(shown[2])
    assert abs(true_ap - -7.0) <= 1.0 and true_lateral == true_ap + 90        # as published

    assert main(["render", str(case), "--view", "lateral", "--size", "64", "--out", str(tmp_path / "lat.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'lat.png'}: ") and "orbital 90 deg" in lines[0]
    assert lines[1].startswith("  centred on the L1 body (the target level)")
    said = re.search(r"not a true lateral of the L1: that is at --orbital (-?[\d.]+)", lines[1])
    assert said is not None and float(said[1]) == true_lateral

    assert main(["render", str(case), "--view", "ap", "--size", "64", "--out", str(tmp_path / "ap.png")]) == 0
    said = re.search(r"not a true AP of the L1: that is at --orbital (-?[\d.]+)", capsys.readouterr().out)
    assert said is not None and float(said[1]) == true_ap

    # at the angle given: the true lateral, nothing more to say
    assert main(["render", str(case), "--orbital", f"{true_lateral:g}", "--size", "64",
                 "--out", str(tmp_path / "true.png")]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "  centred on the L1 body (the target level)"


def test_render_of_the_synthetic_default_says_its_level_and_no_correction(tmp_path, capsys):
    assert main(["render", "--view", "lateral", "--size", "64", "--out", str(tmp_path / "lat.png")]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["  centred on the L1 body (the target level)"]
