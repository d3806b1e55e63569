"""``scenarios show`` of an imported real CT: what the instructor is told to check.

import-ct ends with "check the estimated landmarks with 'vptrainer scenarios show'", and the
user guide says to correct them with --pedicle-left/right X Y Z in the series' coordinates;
show printed them only relative to the body centre, and the synthetic default trabecular
HU (95) as if it were this patient's.
"""

from __future__ import annotations

import realct_sources as sources
import tomllib

from trainer.cli import main


def test_show_prints_the_landmarks_in_the_series_coordinates(totalseg_ct, tmp_path, capsys):
    sources.write_dicom(totalseg_ct, tmp_path / "series")
    case = tmp_path / "case.toml"
    assert main(["scenarios", "import-ct", str(tmp_path / "series"), "--level", "L4", "--out", str(case)]) == 0
    capsys.readouterr()
    assert main(["scenarios", "show", str(case)]) == 0
    out = capsys.readouterr().out
    written = tomllib.loads(case.read_text(encoding="utf-8"))["ct"]["landmarks"]     # the oracle: the file
    block = out.split("landmarks in the series' patient coordinates", 1)[-1].split("\nC-arm:", 1)[0]
    lines = {ln.split(":")[0].strip(): ln.split(":", 1)[1].strip() for ln in block.splitlines()[1:] if ":" in ln}
    for key, value in written.items():
        want = "[" + ", ".join(f"{float(x):g}" for x in value) + "]" if isinstance(value, list) else f"{value:g}"
        assert key in lines and lines[key] == want, (key, lines.get(key), want)
    assert "trabecular 95 HU" not in out and "bone from the series' own HU" in out
