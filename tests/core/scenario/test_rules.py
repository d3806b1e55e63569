"""Expected pre-procedure decisions follow from the chart (FACTS.md section 6 gates)."""

import pytest

from trainer.core.errors import ScenarioError
from trainer.core.scenario.checklist import CHECKLIST_ITEMS, allowed_answers
from trainer.core.scenario.loader import builtin_ids, load_scenario, parse_scenario
from trainer.core.scenario.rules import expected_decisions

MINI = '[scenario]\ntitle = "t"\nobjectives = ["o"]\n'

#: The library's gate and contraindication cases and the candidacy their charts call for.
LIBRARY = {
    "l1-wedge-default": "proceed",
    "t12-biconcave": "proceed",              # aspirin is continued
    "l3-crush-grade3": "proceed",            # LMWH 30 h ago
    "l1-beta-lactam-allergy": "proceed",
    "l2-posterior-wall-defect": "decline",
    "l1-inr-high": "defer",
    "l2-clopidogrel-recent": "defer",
    "l1-pmma-allergy": "decline",
    "t12-healed-asymptomatic": "decline",
    "l3-lmwh-this-morning": "defer",
    "l2-discitis": "decline",
    "l1-low-platelets": "defer",
}


@pytest.mark.parametrize("sid,candidacy", sorted(LIBRARY.items()))
def test_library_candidacy(sid, candidacy):
    d = expected_decisions(load_scenario(sid))
    assert d.candidacy == candidacy
    assert d.gates["candidacy"]["expected"] == candidacy
    if candidacy == "decline":
        assert d.contraindications
    if candidacy == "defer":
        assert d.deferrals and not d.contraindications


def test_every_item_has_an_allowed_expected_answer_reason_and_source():
    for sid in builtin_ids():
        d = expected_decisions(load_scenario(sid))
        assert list(d.gates) == list(CHECKLIST_ITEMS)
        for item, g in d.gates.items():
            assert g["expected"] in allowed_answers(item), (sid, item)
            assert g["reason"] and g["source"], (sid, item)


def test_library_specific_gates():
    assert expected_decisions(load_scenario("l1-inr-high")).expected("inr") == "correct_first"
    assert expected_decisions(load_scenario("l1-inr-high")).expected("anticoagulant") == "hold"
    d = expected_decisions(load_scenario("l2-clopidogrel-recent"))
    assert d.expected("antiplatelet") == "hold" and "clopidogrel" in d.gates["antiplatelet"]["reason"]
    assert expected_decisions(load_scenario("t12-biconcave")).expected("antiplatelet") == "proceed"
    assert expected_decisions(load_scenario("l1-beta-lactam-allergy")).expected("antibiotic") == "clindamycin_600mg"
    assert expected_decisions(load_scenario("l1-low-platelets")).expected("platelets") == "transfuse"
    d = expected_decisions(load_scenario("l3-lmwh-this-morning"))
    assert (d.expected("anticoagulant"), d.expected("fasting")) == ("hold", "wait")
    ids = {c["id"] for c in expected_decisions(load_scenario("t12-healed-asymptomatic")).contraindications}
    assert {"asymptomatic", "imaging_discordant"} <= ids


def chart(extra: str, anatomy: str = ""):
    return expected_decisions(parse_scenario(MINI + extra + anatomy))


@pytest.mark.parametrize("inr,answer,cand", [(1.5, "acceptable", "proceed"), (1.51, "correct_first", "defer")])
def test_inr_gate_boundary(inr, answer, cand):
    d = chart(f"[patient.labs]\ninr = {inr}\n")
    assert (d.expected("inr"), d.candidacy) == (answer, cand)


@pytest.mark.parametrize("plt,answer", [(50000, "acceptable"), (49999, "transfuse")])
def test_platelet_gate_boundary(plt, answer):
    assert chart(f"[patient.labs]\nplatelets_per_ul = {plt}\n").expected("platelets") == answer


@pytest.mark.parametrize("name,last,answer", [
    ("clopidogrel", "last_dose_days_ago = 5", "proceed"),
    ("clopidogrel", "last_dose_days_ago = 4.9", "hold"),
    ("aspirin", "last_dose_hours_ago = 2", "proceed"),
])
def test_antiplatelet_rules(name, last, answer):
    d = chart(f'[[patient.medications]]\nname = "{name}"\n{last}\n')
    assert d.expected("antiplatelet") == answer
    assert d.candidacy == ("defer" if answer == "hold" else "proceed")


@pytest.mark.parametrize("name,last,inr,answer", [
    ("enoxaparin", "last_dose_hours_ago = 24", 1.0, "proceed"),
    ("enoxaparin", "last_dose_hours_ago = 23", 1.0, "hold"),
    ("warfarin", "last_dose_days_ago = 6", 1.7, "hold"),     # stopped long enough, INR not yet corrected
    ("warfarin", "last_dose_days_ago = 6", 1.2, "proceed"),
    ("heparin", "last_dose_hours_ago = 3", 1.0, "proceed"),
    ("apixaban", "last_dose_hours_ago = 20", 1.0, "hold"),
])
def test_anticoagulant_rules(name, last, inr, answer):
    d = chart(f'[patient.labs]\ninr = {inr}\n\n[[patient.medications]]\nname = "{name}"\n{last}\n')
    assert d.expected("anticoagulant") == answer


def test_no_blood_thinner_means_none_and_other_medicines_do_not_gate():
    d = chart('[[patient.medications]]\nname = "bisoprolol"\nkind = "other"\n')
    assert (d.expected("antiplatelet"), d.expected("anticoagulant"), d.candidacy) == ("none", "none", "proceed")


@pytest.mark.parametrize("patient,answer", [
    ("", "cefazolin_1g"),
    ('allergies = ["cephalosporin"]\n', "clindamycin_600mg"),
    ('allergies = ["penicillin", "clindamycin"]\n', "ciprofloxacin_500mg"),
    ('antibiotic_given = "cefazolin_1g"\nantibiotic_given_min_ago = 40\n', "already_given"),
    ('antibiotic_given = "cefazolin_1g"\nantibiotic_given_min_ago = 90\n', "cefazolin_1g"),
    ('allergies = ["penicillin"]\nantibiotic_given = "cefazolin_1g"\nantibiotic_given_min_ago = 10\n',
     "clindamycin_600mg"),
])
def test_antibiotic_rules(patient, answer):
    assert chart("[patient]\n" + patient).expected("antibiotic") == answer


@pytest.mark.parametrize("patient,sub,cid", [
    ('allergies = ["barium_sulfate"]\n', "", "cement_allergy"),
    ("", "[patient.infection]\nactive = true\n", "infection"),
    ("", "[patient.symptoms]\npain_nrs = 0\n", "asymptomatic"),
    ("", '[patient.symptoms]\npain_trend = "improving"\n', "improving_pain"),
    ("", "[patient.imaging]\nposterior_wall_involved = true\n", "posterior_wall"),
    ("", "[patient.imaging]\nretropulsion_mm = 4\ncanal_compromise = true\n", "retropulsion"),
    ("", '[patient.imaging]\nmri_stir_oedema = "absent"\n', "imaging_discordant"),
    ("", '[patient.imaging]\nfindings_level = "L3"\n', "imaging_discordant"),
])
def test_each_contraindication_declines(patient, sub, cid):
    d = chart("[patient]\n" + patient + "\n" + sub)
    assert d.candidacy == "decline"
    assert cid in {c["id"] for c in d.contraindications}


def test_contrast_allergy_and_retropulsion_without_compromise_do_not_decline():
    d = chart('[patient]\nallergies = ["iodinated_contrast"]\n[patient.imaging]\nretropulsion_mm = 2\n')
    assert d.candidacy == "proceed"


def test_anatomy_posterior_wall_defect_declines_even_if_the_report_misses_it():
    d = chart("", "[anatomy]\nposterior_wall_defect = true\n")
    assert d.candidacy == "decline"


@pytest.mark.parametrize("sub,cand", [
    ('[patient.imaging]\nmri_stir_oedema = "not_done"\nbone_scan_uptake = "not_done"\n', "defer"),
    ('[patient.imaging]\nmri_stir_oedema = "not_done"\nbone_scan_uptake = "present"\n', "proceed"),
    ("[patient]\nfasting_hours = 5.5\n", "defer"),
    ("[patient]\nconsent_signed = false\n", "proceed"),
    ("[patient.infection]\nfever = true\n[patient.labs]\ncrp_mg_l = 40\n", "defer"),
    ("[patient.infection]\nfever = true\n", "proceed"),
])
def test_deferrals(sub, cand):
    assert chart(sub).candidacy == cand


def test_decline_wins_over_defer():
    d = chart('[patient]\nallergies = ["pmma"]\nfasting_hours = 1\n')
    assert d.candidacy == "decline" and d.deferrals


def test_override_changes_the_gate_and_the_candidacy_follows():
    base = "[patient.labs]\ninr = 1.7\n"
    assert chart(base).candidacy == "defer"
    d = chart(base + '\n[decisions.inr]\nexpected = "acceptable"\nreason = "SIR 2019: INR up to 1.8"\n')
    assert d.expected("inr") == "acceptable" and d.candidacy == "proceed"
    assert d.gates["inr"]["overridden"] and d.gates["inr"]["reason"] == "SIR 2019: INR up to 1.8"
    assert "[decisions.inr]" in d.gates["inr"]["source"]


def test_candidacy_override_wins():
    d = chart('[decisions.candidacy]\nexpected = "decline"\nreason = "patient refuses"\n')
    assert d.candidacy == "decline" and d.gates["candidacy"]["overridden"]


@pytest.mark.parametrize("body", ['expected = "acceptable"\n', 'expected = "acceptable"\nreason = "  "\n'])
def test_override_needs_a_reason(body):
    with pytest.raises(ScenarioError, match=r"decisions\.inr\.reason"):
        parse_scenario(MINI + "[decisions.inr]\n" + body)


def test_decisions_json_is_plain():
    import json

    data = json.loads(json.dumps(expected_decisions(load_scenario("l1-inr-high")).to_json()))
    assert data["candidacy"] == "defer" and data["gates"]["inr"]["expected"] == "correct_first"
    assert {d["id"] for d in data["deferrals"]} >= {"inr", "anticoagulant"}


@pytest.mark.parametrize("written,cid", [('"Bone cement"', "cement_allergy"), ('"opacifier"', "cement_allergy")])
def test_allergy_aliases(written, cid):
    d = chart(f"[patient]\nallergies = [{written}]\n")
    assert cid in {c["id"] for c in d.contraindications}


def test_generic_lmwh_name_is_gated():
    d = chart('[[patient.medications]]\nname = "LMWH"\nlast_dose_hours_ago = 8\n')
    assert d.expected("anticoagulant") == "hold"
