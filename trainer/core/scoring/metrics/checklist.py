"""Pre-procedure decisions: candidacy (critical when proceeding on a contraindicated patient)
and the checklist gates (FACTS.md 6; seeds/000_10316454a5df9267.txt)."""

from __future__ import annotations

from dataclasses import replace

from trainer.core.scoring.metric import Metric, MetricResult, StreamState

__all__ = ["Candidacy", "ChecklistGates", "normalise_answer"]

PAST = {"proceed": "proceeded", "defer": "deferred", "decline": "declined"}


def normalise_answer(value) -> str:
    """Compare answers loosely: case, spaces and yes/no spellings do not matter."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    s = str(value).strip().lower()
    return {"true": "yes", "false": "no", "y": "yes", "n": "no"}.get(s, s)


class Candidacy(Metric):
    """Proceed, defer or decline; proceeding on a patient who must not be treated is critical.

    The decision comes before the C-arm (DESIGN.md 4: chart review and checklist, then C-arm
    alignment): an otherwise right decision made after the first exposure is a warning (the
    patient was irradiated before it was decided whether to treat).  The trainee window does not
    let this happen (``trainer.ui.checklist_gate``); a headless plan can.
    """

    id = "candidacy"

    def _reset(self):
        self.answer: str | None = None
        self.answer_t_s: float | None = None
        self.proceeded_t_s: float | None = None
        self.imaged_before_t_s: float | None = None     #: first exposure before any candidacy answer

    def update(self, event, state: StreamState):
        if event.kind == "decision" and normalise_answer(event.data.get("item")) == "candidacy":
            self.answer = normalise_answer(event.data.get("answer"))
            self.answer_t_s = event.t_s
        elif event.kind in ("trocar_placed", "cement_mixed", "cement_injected") and self.proceeded_t_s is None:
            self.proceeded_t_s = event.t_s
        if event.kind == "shot" and self.answer is None and self.imaged_before_t_s is None:
            self.imaged_before_t_s = event.t_s

    def result(self) -> MetricResult:
        expected = normalise_answer(self.ctx.expected_decisions.get("candidacy", "proceed"))
        reason = self.ctx.decision_reasons.get("candidacy", "")
        why = f" ({reason})" if reason else ""
        started = self.proceeded_t_s is not None
        if self.answer is None:
            # no "no decision recorded" pass: the candidacy gate is answered explicitly or the attempt fails
            how = f"; the procedure was started at t={self.proceeded_t_s:.0f} s anyway" if started else ""
            # its own cause: a session stopped before the decision did not proceed on a contraindicated patient
            return replace(self.make(None, "fail", f"no candidacy decision was recorded (the patient should be "
                                                   f"{PAST.get(expected, expected)}{why}){how}"), cause="no_decision")
        if expected != "proceed" and (self.answer == "proceed" or started):
            how = (f"answered proceed at t={self.answer_t_s:.0f} s" if self.answer == "proceed"
                   else f"answered {self.answer} but started the procedure at t={self.proceeded_t_s:.0f} s")
            return replace(self.make(self.answer, "fail", f"proceeded on a patient who should be "
                                                          f"{PAST.get(expected, expected)}: {how}{why}"),
                           cause="proceeded")
        if self.answer != expected:
            return replace(self.make(self.answer, "fail", f"answered {self.answer}; the patient should be "
                                                          f"{PAST.get(expected, expected)}{why}"),
                           cause="wrong_decision")
        done = ("proceeded on an eligible patient" if expected == "proceed"
                else f"correctly {PAST.get(expected, expected)}{why}")
        if self.imaged_before_t_s is not None:
            return self.make(self.answer, "warn", f"{done}, but the first image was taken at "
                                                  f"t={self.imaged_before_t_s:.0f} s, before the decision "
                                                  f"(t={self.answer_t_s:.0f} s): the checklist comes before "
                                                  f"the C-arm")
        return self.make(self.answer, "pass", done)


class ChecklistGates(Metric):
    """Percentage of the checklist gates (labs, drugs, antibiotic, fasting...) answered correctly."""

    id = "checklist_gates"

    def _reset(self):
        self.answers: dict[str, str] = {}

    def update(self, event, state: StreamState):
        if event.kind == "decision":
            item = normalise_answer(event.data.get("item"))
            if item != "candidacy":
                self.answers[item] = normalise_answer(event.data.get("answer"))

    def result(self) -> MetricResult:
        expected = {normalise_answer(k): normalise_answer(v) for k, v in self.ctx.expected_decisions.items()
                    if normalise_answer(k) != "candidacy"}
        if not expected:
            return self.make(None, "n/a", "the scenario defines no checklist gates")
        wrong = []
        answered_wrongly = False
        for item, ans in sorted(expected.items()):
            got = self.answers.get(item)
            answered_wrongly |= got is not None and got != ans
            if got != ans:
                reason = self.ctx.decision_reasons.get(item, "")
                wrong.append(f"{item}: {got or 'unanswered'} (expected {ans}{'; ' + reason if reason else ''})")
        pct = 100.0 * (len(expected) - len(wrong)) / len(expected)
        detail = "all gates answered correctly" if not wrong else "; ".join(wrong)
        res = self.make(pct, None, detail)
        if wrong:       # the rule's words say which: a wrong answer, or gates left unanswered only
            res = replace(res, cause="wrong_answer" if answered_wrongly else "unanswered")
        return res
