"""The cement maximum a CT scenario is written with, by the target's region (docs/scoring.md "Fill and
the cement maximum on real CTs").

Oracle: FACTS.md 3 (Recommended simulator defaults, volume target): "roughly 3-4 mL in the lower
thoracic spine and 4-6 mL in the lumbar spine"; the maximum is the upper end of each range.  The
built-in synthetic scenarios do not go through the import and keep their own bands (their validity
table: tests/core/scoring/test_validity.py).  All of these fail on main (round 16), whose import wrote no ``[targets]``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.core.anatomy.params import LEVELS
from trainer.core.errors import ParameterError
from trainer.core.procedure.expert_volume import default_volume_ml
from trainer.core.scenario.ct_import import scenario_toml
from trainer.core.scenario.loader import parse_scenario
from trainer.core.scenario.targets import TARGETS_FILE, import_cement_max_ml, load_targets

#: FACTS.md 3 defaults, the upper end of each region's volume range (mL)
THORACIC_MAX_ML, LUMBAR_MAX_ML = 4.0, 6.0
LANDMARKS = {"body_centre_mm": (0.0, 0.0, 0.0), "pedicle_left_centre_mm": (12.0, 20.0, 5.0),
             "pedicle_right_centre_mm": (-12.0, 20.0, 5.0), "superior_endplate_z_mm": 14.0,
             "inferior_endplate_z_mm": -14.0}


def _imported(tmp_path: Path, level: str, edit=None):
    """The scenario the importer's text for ``level`` loads as (``edit``: the instructor's change)."""
    (tmp_path / "series").mkdir(exist_ok=True)
    text = scenario_toml("series", level, LANDMARKS)
    if edit is not None:
        new = edit(text)
        assert new != text, "the edit did not apply"
        text = new
    return parse_scenario(text, tmp_path / f"{level}.toml")


@pytest.mark.parametrize("level", LEVELS)
def test_each_level_gets_its_regions_maximum(level):
    assert import_cement_max_ml(level) == (THORACIC_MAX_ML if level.startswith("T") else LUMBAR_MAX_ML)


@pytest.mark.parametrize(("level", "max_ml"), [("T12", THORACIC_MAX_ML), ("L1", LUMBAR_MAX_ML),
                                               ("L3", LUMBAR_MAX_ML)])
def test_the_imported_scenario_is_scored_against_its_regions_maximum(tmp_path, level, max_ml):
    sc = _imported(tmp_path, level)
    assert sc.targets == {"cement_ml_max": max_ml}
    band = load_targets().with_overrides(sc.targets)["cement_volume"]
    assert band.pass_band == (2.5, max_ml)
    assert band.warn_band[1] == max_ml         # above it the critical volume line fails


def test_a_lumbar_body_that_needs_more_than_4_ml_gets_the_expert_a_passing_fill(tmp_path):
    """The abdominal CT's L3 (37.8 mL, docs/scoring.md): 15 % is 5.67 mL.  At a 4 mL maximum the expert's
    default was held at 4 mL (10.6 %, the fill line warns); with the lumbar maximum it is the middle of
    5.67-6 mL in 0.25 mL clicks, 5.75 mL (hand computation), which fills 15.2 %."""
    body_ml = 37.8
    t = load_targets().with_overrides(_imported(tmp_path, "L3").targets)
    fill, vol = t["fill_fraction"].pass_band, t["cement_volume"].pass_band
    assert fill[0] == 15.0
    ml = default_volume_ml(body_ml, fill, vol)
    assert ml == 5.75
    assert fill[0] <= 100.0 * ml / body_ml <= fill[1]


def test_a_maximum_the_instructor_sets_is_kept(tmp_path):
    """The written maximum is the scenario's own value: edited to 5 mL, 5 mL is what is scored."""
    sc = _imported(tmp_path, "L3", lambda text: text.replace(f"cement_ml_max = {LUMBAR_MAX_ML:.1f}",
                                                              "cement_ml_max = 5.0"))
    assert load_targets().with_overrides(sc.targets)["cement_volume"].pass_band == (2.5, 5.0)


def test_a_table_without_the_region_is_refused_by_name(tmp_path):
    text = TARGETS_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "targets.toml"
    assert "lumbar = 6.0\n" in text
    broken.write_text(text.replace("lumbar = 6.0\n", ""), encoding="utf-8")
    with pytest.raises(ParameterError, match="import_max_ml.lumbar"):
        import_cement_max_ml("L2", load_targets(broken))
    assert import_cement_max_ml("T10", load_targets(broken)) == THORACIC_MAX_ML
