"""Bad parameters name the parameter, value and range; the phantom command writes a series."""

from __future__ import annotations

import pytest

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.errors import ParameterError


@pytest.mark.parametrize("kw, name, allowed", [
    ({"level": "L9"}, "level", "T8, T9"),
    ({"fracture_grade": 7}, "fracture_grade", "0, 0.5, 1, 2 or 3"),
    ({"size_scale": -1.0}, "size_scale", "0.8 to 1.2"),
    ({"trabecular_hu": 500}, "trabecular_hu", "40 to 300"),
    ({"morphology": "burst"}, "morphology", "wedge"),
    ({"fracture_grade": 2, "height_loss_fraction": 0.5}, "height_loss_fraction", "0.25 to 0.4"),
])
def test_bad_parameters_name_parameter_value_and_range(kw, name, allowed):
    with pytest.raises(ParameterError) as exc:
        AnatomyParams(**kw)
    msg = str(exc.value)
    assert exc.value.name == name and name in msg and allowed in msg
    assert repr(list(kw.values())[-1]) in msg


def test_phantom_command_writes_a_readable_series(tmp_path, capsys):
    out = tmp_path / "ct"
    # "l1": any letter case names the level (round 15, `polish`; was refused), the series says L1
    rc = main(["phantom", "--level", "l1", "--grade", "2", "--morphology", "wedge", "--seed", "7",
               "--voxel-mm", "1.0", "--out", str(out)])
    assert rc == 0
    v = read_ct_series(out)
    assert v.meta["series_description"].startswith("vptrainer L1 Genant 2 wedge")
    assert v.grid.spacing_xyz_mm == (1.0, 1.0, 1.0)
    assert v.hu.max() > 1000 and v.hu.min() == -1000
    assert "slices" in capsys.readouterr().out


@pytest.mark.parametrize("args, text", [
    (["--level", "L9"], "level = 'L9'"),
    (["--level", "T13"], "level = 'T13'"),
    (["--level", "L 1"], "level = 'L 1'"),
    (["--grade", "7"], "fracture_grade = 7.0"),
    (["--size", "-1"], "size_scale = -1.0"),
    (["--trabecular-hu", "20"], "trabecular_hu = 20.0"),
])
def test_phantom_bad_input_exits_2_with_one_line(tmp_path, capsys, args, text):
    rc = main(["phantom", "--out", str(tmp_path / "x"), *args])
    err = capsys.readouterr().err
    assert rc == 2
    assert text in err and "expected" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
