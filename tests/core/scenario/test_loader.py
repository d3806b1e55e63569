"""Loading and validating scenarios: the library, line numbers, all errors at once, lenient mode."""

import re
import warnings
from pathlib import Path

import pytest

from trainer import REPO_ROOT, SCENARIOS_DIR
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.errors import ParameterError, ScenarioError
from trainer.core.scenario.checklist import checklist_markdown
from trainer.core.scenario.loader import (
    DEFAULT_SCENARIO,
    ScenarioWarning,
    builtin_ids,
    load_scenario,
    parse_scenario,
    resolve,
)
from trainer.core.scenario.schema import SECTIONS, reference_markdown
from trainer.core.scenario.textpos import key_lines, line_of
from trainer.core.xray.geometry import CArmGeometry

DOC = REPO_ROOT / "docs" / "scenario-format.md"
MINI = '[scenario]\ntitle = "t"\nobjectives = ["o"]\n'


def test_library_has_at_least_15_scenarios_and_the_default():
    ids = builtin_ids()
    assert len(ids) >= 15
    assert DEFAULT_SCENARIO in ids
    s = load_scenario(None)
    assert s.id == "l1-wedge-default"
    assert (s.anatomy.level, s.anatomy.fracture_grade, s.anatomy.morphology) == ("L1", 2.0, "wedge")
    assert s.anatomy.trabecular_hu <= 110           # osteoporotic (FACTS.md 1.5)
    assert s.decisions.candidacy == "proceed"       # eligible patient


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_builtin_scenario_validates_with_objectives(sid):
    s = load_scenario(sid)
    assert s.title and len(s.objectives) >= 1
    assert s.difficulty in ("introductory", "intermediate", "advanced")
    assert s.warnings == ()
    assert len(s.sha256) == 64
    assert s.decisions.candidacy in ("proceed", "defer", "decline")


def test_library_covers_the_required_cases():
    lib = {sid: load_scenario(sid) for sid in builtin_ids()}
    a = {sid: s.anatomy for sid, s in lib.items()}
    assert any(x.level == "T12" and x.morphology == "biconcave" for x in a.values())
    assert any(x.level == "L3" and x.morphology == "crush" and x.fracture_grade == 3 for x in a.values())
    assert any(x.level in ("T8", "T9") and lib[s].advice["gauge"] == 13 for s, x in a.items())
    assert any(x.level == "L4" for x in a.values())
    assert any(x.basivertebral_vein_scale >= 2 for x in a.values())
    assert any(x.cleft for x in a.values())
    assert any(x.endplate_crack for x in a.values())
    assert any(x.posterior_wall_defect and lib[s].decisions.candidacy == "decline" for s, x in a.items())
    assert any(s.carm.patient_roll_deg == 8 for s in lib.values())
    assert any(s.advice["approach"] == "bipedicular" for s in lib.values())


def test_same_file_same_hash_and_text_kept_verbatim():
    s1, s2 = load_scenario("l1-wedge-default"), load_scenario(SCENARIOS_DIR / "l1-wedge-default.toml")
    assert s1.sha256 == s2.sha256
    assert s1.text == (SCENARIOS_DIR / "l1-wedge-default.toml").read_text()


def test_resolve_unknown_id_names_the_builtin_ids():
    with pytest.raises(ScenarioError, match="unknown scenario 'nope'.*l1-wedge-default"):
        resolve("nope")


def test_defaults_fill_the_chart():
    s = parse_scenario(MINI)
    assert s.chart["labs"]["inr"] == 1.0 and s.chart["fasting_hours"] == 8.0
    assert s.chart["symptoms"]["tenderness_level"] == "L1"
    assert s.anatomy == AnatomyParams(seed=0)
    assert s.effective_targets["gauge"] == 11 and s.effective_targets["cement_ml_min"] == 2.5


def test_all_errors_of_a_file_are_reported_together_with_lines(tmp_path):
    text = ('[scenario]\ntitle = "t"\nobjectives = ["o"]\ndifficulty = "hard"\n\n'
            '[anatomy]\nlevel = "L9"\ngrade = 4\n\n[patient.labs]\ninr = "x"\n\n[carm]\nbiplane = "yes"\n')
    p = tmp_path / "many.toml"
    p.write_text(text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    problems = exc.value.problems
    assert len(problems) == 5
    expected = {4: "scenario.difficulty", 7: "anatomy.level", 8: "anatomy.grade", 11: "patient.labs.inr",
                14: "carm.biplane"}
    for line, field in expected.items():
        assert any(m.startswith(f"{p}:{line}: {field} = ") for m in problems), (line, field, problems)
    assert str(exc.value).startswith("5 problems:")


def test_lenient_mode_warns_and_uses_defaults():
    text = MINI + '\n[anatomy]\nlevel = "L2"\ntrabecular_hu = 5000\ncolour = "red"\n'
    with pytest.raises(ScenarioError):
        parse_scenario(text)
    with pytest.warns(ScenarioWarning) as rec:
        s = parse_scenario(text, strict=False)
    assert s.anatomy.level == "L2" and s.anatomy.trabecular_hu == 95.0
    assert len(s.warnings) == 2 and len(rec) == 2
    assert any("anatomy.colour" in w for w in s.warnings)


def test_lenient_mode_still_refuses_what_has_no_default():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        with pytest.raises(ScenarioError, match="decisions.inr.reason is missing"):
            parse_scenario(MINI + '\n[decisions.inr]\nexpected = "acceptable"\n', strict=False)


def test_text_positions_handle_arrays_of_tables_dotted_keys_and_multiline_strings():
    text = ('[scenario]\ndescription = """\nfake = 1\n"""\ntitle = "t"\n'
            '[[patient.medications]]\nname = "a"\n[[patient.medications]]\nname = "b"\n'
            '[decisions]\ninr.expected = "x"\n')
    lines = key_lines(text)
    assert lines["scenario.title"] == 5
    assert "scenario.fake" not in lines
    assert lines["patient.medications[1].name"] == 9
    assert lines["decisions.inr.expected"] == 11 and lines["decisions.inr"] == 11
    assert line_of(lines, "patient.medications[1].dose") == 8     # falls back to the table header
    assert line_of(lines, "nowhere.at.all") == 1


def test_schema_ranges_agree_with_anatomy_params_and_geometry():
    """The documented ranges are the ones AnatomyParams and CArmGeometry enforce."""
    names = {"grade": "fracture_grade", "height_loss": "height_loss_fraction"}
    for key, spec in SECTIONS["anatomy"].items():
        if spec.kind != "float" or key == "height_loss":
            continue
        name = names.get(key, key)
        AnatomyParams(**{name: spec.lo})
        AnatomyParams(**{name: spec.hi})
        for bad in (spec.lo - 0.01, spec.hi + 0.01):
            with pytest.raises(ParameterError):
                AnatomyParams(**{name: bad})
    for key in ("sid_mm", "detector_mm"):
        spec = SECTIONS["carm"][key]
        CArmGeometry(**{key: spec.lo, "sod_mm": 100.0 if key == "sid_mm" else 530.0})
        with pytest.raises(ParameterError):
            CArmGeometry(**{key: spec.hi + 1})


def _generated(doc: str, name: str) -> str:
    m = re.search(rf"<!-- BEGIN generated: {name}\(\) -->\n(.*?)<!-- END generated -->", doc, re.S)
    assert m, name
    return m.group(1)


def test_docs_carry_the_generated_reference_and_checklist():
    doc = DOC.read_text()
    assert _generated(doc, "reference_markdown") == reference_markdown()
    assert _generated(doc, "checklist_markdown") == checklist_markdown()
    for section, fields in SECTIONS.items():
        for key, spec in fields.items():
            if spec.kind != "table":
                assert f"| `{key}` |" in doc, (section, key)


def test_docs_example_is_a_valid_scenario():
    doc = DOC.read_text()
    example = re.search(r"## A complete example.*?```toml\n(.*?)```", doc, re.S).group(1)
    s = parse_scenario(example, Path("example.toml"))
    assert s.chart["medications"][0]["class"] == "lmwh"
    assert s.decision_overrides["inr"]["expected"] == "acceptable"
    assert s.cement_overrides == {"runny_until_min": 5.0}
    assert s.targets["exposures"] == {"pass": [0, 40], "warn": [0, 80]}
