"""The pre-procedure checklist a trainee answers (the procedure's ``decide`` action).

Each item has an id and a fixed set of answers.  The expected answer for a scenario
comes from its chart by the rules in :mod:`trainer.core.scenario.rules`; scoring and
the GUI read :data:`CHECKLIST_ITEMS` for ids, labels and answers.  Documented in
docs/scenario-format.md ("Checklist").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChecklistItem", "CHECKLIST_ITEMS", "CANDIDACY_ANSWERS", "allowed_answers", "checklist_markdown"]


@dataclass(frozen=True)
class ChecklistItem:
    """One checklist question.

    Attributes
    ----------
    id : str
        The ``item`` of a ``decide`` action, e.g. ``"inr"``.
    label : str
        The question as shown to the trainee.
    answers : dict
        Allowed answer -> what it means.
    """

    id: str
    label: str
    answers: dict


CANDIDACY_ANSWERS = ("proceed", "defer", "decline")

_ITEMS = (
    ChecklistItem("candidacy", "Is the patient a candidate for vertebroplasty today?", {
        "proceed": "eligible: go ahead today",
        "defer": "eligible once a correctable problem is fixed (labs, drugs, fasting, missing imaging)",
        "decline": "not a candidate: a contraindication (infection, cement allergy, asymptomatic, healed or "
                   "improving fracture, posterior wall involvement or retropulsion with canal compromise)",
    }),
    ChecklistItem("inr", "Is the INR acceptable (<= 1.5)?", {
        "acceptable": "INR within the gate",
        "correct_first": "INR too high: defer, correct (vitamin K / hold warfarin) and recheck",
    }),
    ChecklistItem("platelets", "Is the platelet count acceptable (>= 50,000/uL)?", {
        "acceptable": "platelets within the gate",
        "transfuse": "platelets too low: transfuse and recheck before proceeding",
    }),
    ChecklistItem("antiplatelet", "What about antiplatelet drugs?", {
        "none": "the patient takes no antiplatelet drug",
        "proceed": "safe to proceed: aspirin is continued, and any P2Y12 inhibitor was stopped long enough",
        "hold": "a P2Y12 inhibitor (clopidogrel...) was taken too recently: hold it and defer",
    }),
    ChecklistItem("anticoagulant", "What about anticoagulants?", {
        "none": "the patient takes no anticoagulant",
        "proceed": "last dose long enough ago (LMWH >= 24 h, warfarin stopped 5 days with INR checked, ...)",
        "hold": "last dose too recent: hold the next dose(s) and defer",
    }),
    ChecklistItem("antibiotic", "Which antibiotic prophylaxis?", {
        "cefazolin_1g": "cefazolin 1 g IV within 60 min before the procedure",
        "clindamycin_600mg": "clindamycin 600 mg IV (beta-lactam allergy)",
        "ciprofloxacin_500mg": "ciprofloxacin 500 mg PO (allergic to beta-lactams and clindamycin)",
        "already_given": "the right prophylaxis was already given within 60 min",
    }),
    ChecklistItem("fasting", "Has the patient fasted long enough (>= 6 h)?", {
        "acceptable": "nil by mouth for at least 6 h",
        "wait": "not fasted long enough: wait (defer)",
    }),
    ChecklistItem("consent", "Is informed consent in place?", {
        "confirmed": "signed consent is in the chart",
        "obtain": "consent must be obtained before starting",
    }),
    ChecklistItem("imaging", "Do imaging and examination confirm a painful, unhealed fracture at the target?", {
        "concordant": "MRI STIR oedema or bone-scan uptake at the target level, tenderness matches",
        "discordant": "no oedema/uptake at the target (healed) or findings at another level: decline",
        "needs_imaging": "neither MRI nor bone scan available: defer and image",
    }),
)

#: Checklist items by id, in the order the trainee sees them.
CHECKLIST_ITEMS: dict[str, ChecklistItem] = {item.id: item for item in _ITEMS}


def allowed_answers(item: str) -> tuple[str, ...]:
    """Allowed answers of a checklist item (KeyError for an unknown item)."""
    return tuple(CHECKLIST_ITEMS[item].answers)


def checklist_markdown() -> str:
    """Markdown table of every checklist item and its answers (included in docs/scenario-format.md)."""
    rows = ["| item | question | answers |", "|---|---|---|"]
    for item in CHECKLIST_ITEMS.values():
        answers = "<br>".join(f"`{a}`: {m}" for a, m in item.answers.items())
        rows.append(f"| `{item.id}` | {item.label} | {answers} |")
    return "\n".join(rows) + "\n"
