"""The pass/fail policy: the errors that fail an attempt outright, whatever the points.

An attending signs an attempt off only when none of these happened.  Each rule is
judged by one metric (its id in ``metric``): the rule is broken when that metric
reports a critical failure (``MetricResult.critical_failed``).  Everything else only
costs points: the score (0-100) is kept for progress, and a score under
``pass_score`` also fails, but no number of points outweighs a broken rule.

The rules are listed here in the order the debrief names them (the first broken rule
is the headline).  docs/scoring.md repeats the table with each rule's source.

Between the two sit **major errors** (:func:`major_errors`): a non-critical metric marked
``major = true`` in the target table that fails outright (outside its warn band, which is
the documented limit or twice the reference: FACTS.md 7 "novice alarm above 2x").  Each
score-sheet group with a major error takes ``major_error_points`` off the score (errors and
critical errors of proficiency-based metrics: Gallagher, Ulster Med J 2012;81:107), so
three of them take even a clean attempt under the pass mark; one costs points only.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.core.scoring.metric import MetricResult
from trainer.core.scoring.metrics.trajectory import MEDIAL_WALL_LINE

__all__ = ["Rule", "RULES", "RULE_BY_METRIC", "broken_rules", "major_errors"]


@dataclass(frozen=True)
class Rule:
    """One rule of the pass/fail policy.

    Attributes
    ----------
    id : str
        Short stable name (``'canal_cement'``).
    metric : str
        The metric whose critical failure breaks the rule.
    text : str
        What the rule forbids, as the debrief's headline says it.
    source : str
        Where the rule comes from (FACTS.md section, seed document, DESIGN.md).
    cause_texts : tuple of (str, str)
        A rule broken for one of several causes: (``MetricResult.cause``, what happened) pairs, said instead
        of ``text`` when the metric names that cause.
    """

    id: str
    metric: str
    text: str
    source: str
    cause_texts: tuple[tuple[str, str], ...] = ()

    def text_for(self, result: MetricResult) -> str:
        """What the debrief says of this rule broken by ``result``.

        Parameters
        ----------
        result : MetricResult
            The judging metric's result (its ``cause``, when set, picks the words).

        Returns
        -------
        str
            The cause's words from ``cause_texts``, else the rule's ``text``.
        """
        return dict(self.cause_texts).get(result.cause, self.text)


RULES: tuple[Rule, ...] = (
    Rule("contraindication", "candidacy",
         "proceeded on a patient who should be deferred or declined, or the candidacy decision was wrong or missing",
         "FACTS.md 6.1-6.2 (contraindications); seeds/000_10316454a5df9267.txt",
         (("no_decision", "no candidacy decision was recorded"),
          ("proceeded", "proceeded on a patient who should be deferred or declined"),
          ("wrong_decision", "the candidacy decision was wrong"))),
    Rule("checklist_gate", "checklist_gates",
         "a safety checklist gate was answered wrongly or not at all",
         "FACTS.md 6 (SIR 2019 labs, drugs, antibiotic, fasting, consent); seeds/000_10316454a5df9267.txt",
         (("wrong_answer", "a safety checklist gate was answered wrongly"),
          ("unanswered", "a safety checklist gate was not answered"))),
    Rule("medial_wall", "medial_wall_rule",
         f"the tip crossed the {MEDIAL_WALL_LINE} before passing the posterior body wall on lateral",
         "FACTS.md 2 (safety rule for the medial wall; critical error)"),
    Rule("canal_breach", "canal_foramen_breach",
         "the trocar entered the spinal canal or a neural foramen",
         "FACTS.md 2 (Gertzbein-Robbins; > 4 mm linked to deficits); DESIGN.md 5"),
    Rule("anterior_cortex", "anterior_cortex",
         "the tip perforated the anterior cortex",
         "FACTS.md 2 (AO Surgery Reference: without breaching the anterior cortex); DESIGN.md 5"),
    Rule("tip_not_in_target", "tip_depth",
         "the tip was not in the target zone (anterior third or the front of the middle third) when injection started",
         "FACTS.md 2 (target: anterior third); seeds/000_10316454a5df9267.txt (front of the middle third)"),
    Rule("cement_too_early", "cement_phase",
         "cement was injected before its working phase (runny)",
         "FACTS.md 3.3 (runny before about 3.5 min; working 4-10 min); seeds/000_10316454a5df9267.txt (paste-like)"),
    Rule("cement_over_max", "cement_volume",
         "more cement was injected than the scenario's maximum, or none (or none into the vertebral body) "
         "into a patient who should be treated",
         "seeds/000_10316454a5df9267.txt (2.5 to 4 mL); FACTS.md 3.1 (embolism risk rises with volume)",
         (("over_max", "more cement was injected than the scenario's maximum"),
          ("none_injected", "no cement was injected into a patient who should be treated"),
          ("none_in_body", "the cement went outside the vertebral body (none into it) in a patient who should be treated"))),
    Rule("posterior_quarter", "stop_rule",
         "injection went on after the cement reached the posterior quarter of the body",
         "FACTS.md 2 and 3 (end condition: cement within the posterior 25 % of the depth); "
         "seeds/000_10316454a5df9267.txt"),
    Rule("canal_cement", "leak_canal_foramen",
         "cement ended up in the spinal canal or a neural foramen",
         "FACTS.md 4 (any canal or foraminal leak is a critical failure)"),
    Rule("canal_heat", "canal_wall_temperature",
         "the canal wall was heated above 45 C by the polymerising cement",
         "FACTS.md 3.5 (thermal-risk flag above 45 C at the canal; canal <= 43.2 C with correct technique)"),
    Rule("no_ap_check", "ap_checks",
         "cement was injected with no AP check at all (a lateral misses most basivertebral and segmental leaks)",
         "FACTS.md 4 (Yeom 2003: a lateral missed 93 % of B and 86 % of S leaks; require AP checks)"),
)

RULE_BY_METRIC = {r.metric: r for r in RULES}


def broken_rules(results: list[MetricResult]) -> list[tuple[Rule, MetricResult]]:
    """The broken rules in policy order, each with the metric result that broke it."""
    by_id = {r.id: r for r in results}
    out = []
    for rule in RULES:
        res = by_id.get(rule.metric)
        if res is not None and res.critical_failed:
            out.append((rule, res))
    return out


def major_errors(results: list[MetricResult], specs: dict) -> list[dict]:
    """The major errors: per score-sheet group, the first failing metric marked ``major``.

    Parameters
    ----------
    results : list of MetricResult
    specs : dict
        Metric id -> :class:`~trainer.core.scenario.targets.MetricSpec` (its ``params['major']``).

    Returns
    -------
    list of dict
        ``{'metric', 'group', 'name', 'detail'}``, one per group at most (a mistake that several
        correlated metrics read, e.g. 12 min of fluoroscopy failing time, pulses, kerma and DAP,
        counts once), in the order of ``results``.
    """
    out: list[dict] = []
    groups: set[str] = set()
    for r in results:
        spec = specs.get(r.id)
        if spec is None or not spec.params.get("major") or r.status != "fail" or r.critical_failed:
            continue
        if spec.group in groups:
            continue
        groups.add(spec.group)
        out.append({"metric": r.id, "group": spec.group, "name": r.name, "detail": r.detail})
    return out
