"""The expected pre-procedure decisions, derived from the chart by documented rules.

Instructors never hand-write answer keys: :func:`expected_decisions` reads the patient
chart (labs, medicines, allergies, symptoms, imaging, infection) and the anatomy, and
applies the gates of FACTS.md section 6 ("Recommended simulator defaults") and the
contraindications of FACTS.md 6.1 and seeds/000_10316454a5df9267.txt.  A scenario may
override any item in its ``[decisions]`` section, with a stated reason.

Candidacy: ``decline`` if any contraindication holds; otherwise ``defer`` if any gate
fails (a correctable problem); otherwise ``proceed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.core.scenario.checklist import CHECKLIST_ITEMS

__all__ = ["Decisions", "expected_decisions", "GATES", "BETA_LACTAM_ALLERGENS", "CEMENT_ALLERGENS"]

SEED = "seeds/000_10316454a5df9267.txt"

#: Numeric gates with their sources.
GATES = {
    "inr_max": (1.5, f"FACTS.md 6.2 (SIR 2012, moderate bleeding risk) and section 6 gate table; {SEED}"),
    "platelets_min_per_ul": (50000, f"FACTS.md 6.2 (SIR 2012 and 2019) and section 6 gate table; {SEED}"),
    "fasting_min_h": (6.0, f"FACTS.md 6.3 and section 6 gate table; {SEED}"),
    "antibiotic_window_min": (60.0, "FACTS.md section 6 gate table (cefazolin 1 g IV within 60 min)"),
    "wbc_raised_per_nl": (11.0, "[NV] upper reference limit; suspected infection is worked up first (FACTS.md 6.1)"),
    "crp_raised_mg_l": (10.0, "[NV] upper reference limit; suspected infection is worked up first (FACTS.md 6.1)"),
}

BETA_LACTAM_ALLERGENS = frozenset({"penicillin", "cefazolin", "cephalosporin", "beta_lactam"})
CEMENT_ALLERGENS = frozenset({"pmma", "methyl_methacrylate", "barium_sulfate"})
_ANTIPLATELET = ("p2y12", "aspirin")
_ANTICOAGULANT = ("vka", "lmwh", "ufh", "doac")
_DEFER_ANSWERS = {"inr": "correct_first", "platelets": "transfuse", "antiplatelet": "hold",
                  "anticoagulant": "hold", "fasting": "wait", "imaging": "needs_imaging"}


@dataclass(frozen=True)
class Decisions:
    """Expected checklist answers for one scenario.

    Attributes
    ----------
    candidacy : str
        ``'proceed'``, ``'defer'`` or ``'decline'``.
    gates : dict
        Item id -> ``{'expected', 'reason', 'source', 'overridden'}`` for every item of
        :data:`~trainer.core.scenario.checklist.CHECKLIST_ITEMS` (``candidacy`` included).
    contraindications : tuple of dict
        ``{'id', 'reason', 'source'}`` for each blocking condition found (decline).
    deferrals : tuple of dict
        ``{'id', 'reason', 'source'}`` for each correctable problem found (defer).
    """

    candidacy: str
    gates: dict
    contraindications: tuple = ()
    deferrals: tuple = ()
    overrides: dict = field(default_factory=dict)

    def expected(self, item: str) -> str:
        """Expected answer of a checklist item."""
        return self.gates[item]["expected"]

    def to_json(self) -> dict:
        return {"candidacy": self.candidacy,
                "gates": {k: dict(v) for k, v in self.gates.items()},
                "contraindications": [dict(c) for c in self.contraindications],
                "deferrals": [dict(d) for d in self.deferrals]}


def _g(expected: str, reason: str, source: str) -> dict:
    return {"expected": expected, "reason": reason, "source": source, "overridden": False}


def _med_list(meds: list[dict]) -> str:
    return ", ".join(f"{m['name']} (last dose {_ago(m['last_dose_hours_ago'])})" for m in meds)


def _ago(hours) -> str:
    if hours is None:
        return "time not given"
    return f"{hours:g} h ago" if hours < 48 else f"{hours / 24:g} days ago"


def _drug_gate(meds: list[dict], inr: float, kind: str) -> dict:
    if not meds:
        return _g("none", f"no {kind} drug in the chart", "FACTS.md 6.2")
    late = []
    for m in meds:
        h = m["last_dose_hours_ago"]
        if m["hold_hours"] > 0 and (h is None or h < m["hold_hours"]):
            late.append(f"{m['name']} last taken {_ago(h)}, must be held {m['hold_hours'] / 24:g} days "
                        f"({m['hold_hours']:g} h)")
        elif m.get("needs_inr") and inr > GATES["inr_max"][0]:
            late.append(f"{m['name']} stopped but INR {inr:g} is still above {GATES['inr_max'][0]:g}")
    sources = "; ".join(sorted({m["source"] for m in meds}))
    if late:
        return _g("hold", "; ".join(late), sources)
    return _g("proceed", f"{_med_list(meds)}: continued or held long enough", sources)


def _imaging_gate(chart: dict, level: str) -> dict:
    img, sym = chart["imaging"], chart["symptoms"]
    src = f"FACTS.md 6.1 and section 6 gate table; {SEED}"
    at = img.get("findings_level") or level
    if at != level:
        return _g("discordant", f"imaging findings are at {at}, the target is {level}", src)
    tl = sym.get("tenderness_level") or level
    if sym.get("point_tenderness") and tl != level:
        return _g("discordant", f"tenderness is at {tl}, the target is {level}", src)
    mri, scan = img["mri_stir_oedema"], img["bone_scan_uptake"]
    if "present" in (mri, scan):
        what = "MRI STIR oedema" if mri == "present" else "bone-scan uptake"
        return _g("concordant", f"{what} at {level}" + (", tender at that level" if sym.get("point_tenderness")
                                                         else ""), src)
    if "absent" in (mri, scan):
        return _g("discordant", f"no marrow oedema or uptake at {level}: a healed fracture "
                                f"({chart['fracture_age_weeks']:g} weeks old) is not the pain source", src)
    return _g("needs_imaging", "neither MRI nor a bone scan is available: image before deciding", src)


def _antibiotic_gate(chart: dict) -> dict:
    allergies = set(chart["allergies"])
    src = "FACTS.md 6.3 and section 6 gate table"
    if allergies & BETA_LACTAM_ALLERGENS and "clindamycin" in allergies:
        drug, why = "ciprofloxacin_500mg", "beta-lactam and clindamycin allergy"
    elif allergies & BETA_LACTAM_ALLERGENS:
        drug = "clindamycin_600mg"
        why = "beta-lactam allergy (" + ", ".join(sorted(allergies & BETA_LACTAM_ALLERGENS)) + ")"
    else:
        drug, why = "cefazolin_1g", "no beta-lactam allergy"
    given, ago = chart["antibiotic_given"], chart["antibiotic_given_min_ago"]
    if given == drug and ago <= GATES["antibiotic_window_min"][0]:
        return _g("already_given", f"{given} already given {ago:g} min ago ({why})", src)
    return _g(drug, why, src)


def _contraindications(chart: dict, anatomy, gates: dict) -> list[dict]:
    out = []
    inf, sym, img = chart["infection"], chart["symptoms"], chart["imaging"]
    if inf["active"]:
        out.append({"id": "infection", "reason": "active infection" + (f" ({inf['site']})" if inf["site"] else ""),
                    "source": f"FACTS.md 6.1; {SEED}"})
    bad = sorted(set(chart["allergies"]) & CEMENT_ALLERGENS)
    if bad:
        out.append({"id": "cement_allergy", "reason": "allergy to the cement or its opacifier: " + ", ".join(bad),
                    "source": f"FACTS.md 6.1; {SEED}"})
    if sym["pain_nrs"] == 0:
        out.append({"id": "asymptomatic", "reason": "asymptomatic fracture (pain 0/10)",
                    "source": f"FACTS.md 6.1; {SEED}"})
    if sym["pain_trend"] == "improving":
        out.append({"id": "improving_pain", "reason": "pain already improving without augmentation",
                    "source": "FACTS.md 6.1"})
    if gates["imaging"]["expected"] == "discordant":
        out.append({"id": "imaging_discordant", "reason": gates["imaging"]["reason"],
                    "source": gates["imaging"]["source"]})
    if img["posterior_wall_involved"] or (anatomy is not None and anatomy.posterior_wall_defect):
        out.append({"id": "posterior_wall", "reason": "the fracture involves the posterior wall (cement can reach "
                                                      "the canal)", "source": f"FACTS.md 6.1; {SEED}"})
    if img["retropulsion_mm"] > 0 and img["canal_compromise"]:
        out.append({"id": "retropulsion", "reason": f"retropulsion of {img['retropulsion_mm']:g} mm with canal "
                                                    "compromise", "source": "FACTS.md 6.1 and section 6 gate table"})
    return out


def expected_decisions(scenario) -> Decisions:
    """The checklist answers the chart calls for, with the scenario's overrides applied.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario (its ``chart`` is normalised by the loader).

    Returns
    -------
    Decisions
    """
    chart = scenario.chart
    level = scenario.anatomy.level
    labs = chart["labs"]
    inr, plt = labs["inr"], labs["platelets_per_ul"]
    meds = chart["medications"]
    gates: dict[str, dict] = {}
    gates["inr"] = (_g("acceptable", f"INR {inr:g} <= {GATES['inr_max'][0]:g}", GATES["inr_max"][1])
                    if inr <= GATES["inr_max"][0] else
                    _g("correct_first", f"INR {inr:g} > {GATES['inr_max'][0]:g}: correct and recheck",
                       GATES["inr_max"][1]))
    pmin = GATES["platelets_min_per_ul"][0]
    gates["platelets"] = (_g("acceptable", f"platelets {plt:,}/uL >= {pmin:,}/uL", GATES["platelets_min_per_ul"][1])
                          if plt >= pmin else
                          _g("transfuse", f"platelets {plt:,}/uL < {pmin:,}/uL: transfuse and recheck",
                             GATES["platelets_min_per_ul"][1]))
    gates["antiplatelet"] = _drug_gate([m for m in meds if m["class"] in _ANTIPLATELET], inr, "antiplatelet")
    gates["anticoagulant"] = _drug_gate([m for m in meds if m["class"] in _ANTICOAGULANT], inr, "anticoagulant")
    gates["antibiotic"] = _antibiotic_gate(chart)
    fh, fmin = chart["fasting_hours"], GATES["fasting_min_h"][0]
    gates["fasting"] = (_g("acceptable", f"fasted {fh:g} h >= {fmin:g} h", GATES["fasting_min_h"][1]) if fh >= fmin
                        else _g("wait", f"fasted only {fh:g} h, needs {fmin:g} h", GATES["fasting_min_h"][1]))
    gates["consent"] = (_g("confirmed", "signed consent in the chart", "standard practice")
                        if chart["consent_signed"] else _g("obtain", "no signed consent yet", "standard practice"))
    gates["imaging"] = _imaging_gate(chart, level)

    overrides = dict(getattr(scenario, "decision_overrides", {}) or {})
    where = scenario.path.name if scenario.path else "scenario"
    for item, ov in overrides.items():
        if item != "candidacy":
            gates[item] = {"expected": ov["expected"], "reason": ov["reason"],
                           "source": f"{where} [decisions.{item}] (overrides the rule)", "overridden": True}

    contra = _contraindications(chart, scenario.anatomy, gates)
    defer = [{"id": item, "reason": gates[item]["reason"], "source": gates[item]["source"]}
             for item, answer in _DEFER_ANSWERS.items() if gates[item]["expected"] == answer]
    inf = chart["infection"]
    raised = (labs["wbc_per_nl"] > GATES["wbc_raised_per_nl"][0] or labs["crp_mg_l"] > GATES["crp_raised_mg_l"][0])
    if not inf["active"] and (inf["fever"] and raised):
        defer.append({"id": "suspected_infection", "reason": "fever with raised WBC or CRP: exclude infection first",
                      "source": GATES["wbc_raised_per_nl"][1]})
    if contra:
        cand = _g("decline", "; ".join(c["reason"] for c in contra), "; ".join(sorted({c["source"] for c in contra})))
    elif defer:
        cand = _g("defer", "; ".join(d["reason"] for d in defer), "; ".join(sorted({d["source"] for d in defer})))
    else:
        cand = _g("proceed", "indicated, no contraindication, every gate met",
                  f"FACTS.md 6.1 and section 6 gate table; {SEED}")
    if "candidacy" in overrides:
        ov = overrides["candidacy"]
        cand = {"expected": ov["expected"], "reason": ov["reason"],
                "source": f"{where} [decisions.candidacy] (overrides the rule)", "overridden": True}
    ordered = {"candidacy": cand}
    ordered.update({k: gates[k] for k in CHECKLIST_ITEMS if k != "candidacy"})
    return Decisions(candidacy=cand["expected"], gates=ordered, contraindications=tuple(contra),
                     deferrals=tuple(defer), overrides=overrides)
