"""A built-in validity check of the scoring: a clean expert and single-error variants.

:func:`play` runs a scripted procedure on a scenario: the expert (every checklist gate
answered as the chart requires, a squared AP and lateral, a transpedicular trocar to the
anterior third with AP and lateral checks, cement in its working phase in 0.5 mL pushes
with a lateral check after each and an AP check after every 1 mL, stopping when the
lateral shows cement near the posterior quarter or a leak appears) or a :class:`Variant`
that changes exactly one thing.  :data:`CATALOGUE` holds one variant per policy rule
(:mod:`trainer.core.scoring.policy`) and per non-critical metric family.
:func:`run_validity` plays them on scenarios and seeds and reports, per variant, the
pass rate, the mean score, the metrics that caught it and Cohen's d against the expert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from trainer.core.procedure.actions import DURATIONS
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.plans import working_phase_s
from trainer.core.procedure.shared_parts import SharedParts, shared_parts
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.checklist import CHECKLIST_ITEMS
from trainer.core.scenario.loader import load_scenario
from trainer.core.scenario.rheology import Rheology, get_product, load_config
from trainer.core.scenario.targets import load_targets
from trainer.core.scoring import score
from trainer.core.scoring.policy import RULES

__all__ = ["Variant", "CATALOGUE", "EXPERT", "play", "run_validity", "cohens_d", "variant_by_id", "Technique",
           "expert_technique", "leak_risks", "expert_plan_for"]

#: The expert stops injecting when the most posterior cement is this close to the posterior wall
#: (depth fraction; the rule's line is 0.25): the lateral check after each push shows it coming.
EXPERT_STOP_DEPTH = 0.30
#: The expert starts injecting this long after the working phase begins (s; about 9 min after mixing,
#: the documented late window over 500 s, FACTS.md 3.3): a doughy, toothpaste-like
#: cement (seeds/000_10316454a5df9267.txt: paste-like; FACTS.md 4: leak risk falls with viscosity).
EXPERT_WAIT_MARGIN_S = 300.0


#: Seconds of injectable time the expert keeps in hand after the last planned push [D].
INJECT_RESERVE_S = 30.0
#: Veins wider than this times normal make a case leak-prone (FACTS.md 4: B and S leaks run through them).
LEAK_PRONE_VEIN_SCALE = 1.5


@dataclass(frozen=True)
class Technique:
    """How the expert injects on a case: the plan parameters an attending adapts to the leak risk.

    Attributes
    ----------
    ap_every_ml : float
        An AP check after at least this many mL (a lateral follows every push).
    stop_depth : float
        Stop when the most posterior cement is this close to the posterior wall (depth fraction).
    volume_ml : float
        The most cement to inject, mL (before the scenario's maximum).
    reasons : tuple of str
        Why the case counts as leak-prone (empty: the standard technique).
    """

    ap_every_ml: float = 1.0
    stop_depth: float = EXPERT_STOP_DEPTH
    volume_ml: float = 3.0
    reasons: tuple = ()

    def push_s(self, ml: float = 0.5) -> float:
        """Simulated seconds one push and its checks take (a lateral after each, an AP as often as planned)."""
        d = DURATIONS
        view_s = d.carm_s(90.0, 0.0) + d.shot_base_s + 1.0
        return d.inject_s(ml) + view_s * (1.0 + min(1.0, ml / self.ap_every_ml))

    def start_s(self, scenario, margin_s: float = 0.0) -> float:
        """Seconds after mixing to start: ``EXPERT_WAIT_MARGIN_S`` into the working phase, or earlier so
        that every planned push and its checks fit before the cement stops being injectable
        (``margin_s`` is not used; kept for callers that pass one)."""
        late = working_phase_s(scenario, margin_s=EXPERT_WAIT_MARGIN_S)
        ov = dict(getattr(scenario, "cement_overrides", None) or {})
        temp = ov.pop("temperature_c", None)
        rh = Rheology(get_product(scenario.cement_product).with_overrides(ov), temp, load_config())
        until = rh.time_to_viscosity_s(rh.injectable_max_pa_s)
        pushes = math.ceil(self.volume_ml / 0.5 - 1e-9)
        fit = until - pushes * self.push_s() - INJECT_RESERVE_S
        return max(working_phase_s(scenario), min(late, fit))


def leak_risks(scenario) -> tuple[str, ...]:
    """What in the scenario raises the leak risk (FACTS.md 4 risk factors), as short phrases."""
    a = getattr(scenario, "anatomy", None)
    out = []
    if getattr(a, "basivertebral_vein_scale", 1.0) >= LEAK_PRONE_VEIN_SCALE:
        out.append("large basivertebral vein (type B leaks)")
    if getattr(a, "segmental_vein_scale", 1.0) >= LEAK_PRONE_VEIN_SCALE:
        out.append("large segmental veins (type S leaks)")
    if getattr(a, "cleft", False):
        out.append("intravertebral cleft (OR 1.40)")
    if getattr(a, "endplate_crack", False):
        out.append("endplate crack (disc leaks)")
    if getattr(a, "fracture_grade", 0) >= 3:
        out.append("severe compression (Genant 3)")
    if str(getattr(scenario, "cement_product", "")) == "low-viscosity":
        out.append("low-viscosity cement (OR 3.32)")
    return tuple(out)


def expert_technique(scenario) -> Technique:
    """The expert's injection technique for ``scenario``.

    Standard: an AP after every 1 mL, stop at 0.30 of the depth, 3 mL.  On a leak-prone case
    (:func:`leak_risks`) an attending checks the AP after every push (a lateral misses most B
    and S leaks: FACTS.md 4, Yeom), stops when the cement reaches the posterior third (0.35:
    the basivertebral vein leaves the body at the posterior wall) and aims for the low end of
    the seed's 2.5-4 mL (leaking vertebrae had +0.59 mL: FACTS.md 4, Zhan 2017).
    """
    reasons = leak_risks(scenario)
    if not reasons:
        return Technique()
    return Technique(ap_every_ml=0.5, stop_depth=0.35, volume_ml=2.5, reasons=reasons)


@dataclass(frozen=True)
class Variant:
    """One scripted procedure: the expert with at most one thing changed.

    ``rule`` names the policy rule the variant breaks (None: it only costs points);
    ``family`` the metric family it exercises.  The other fields are the knobs.
    """

    id: str
    text: str
    rule: str | None = None
    family: str = ""
    treat_declined: bool = False           #: proceed although the chart says defer/decline
    wrong_answer: str | None = None        #: a gate answered wrongly (item)
    skip: tuple = ()                       #: gates left unanswered
    ap_orbital_offset_deg: float = 0.0     #: the AP before access is this far from true
    target_depth: float = 0.75
    target_x_offset_mm: float = 0.0        #: target moved laterally (away from the midline), mm
    medial_error_deg: float = 0.0          #: aim turned medially about the pedicle entry, deg
    overshoot_depth: float | None = None   #: advance to this depth fraction, then back to the target
    wait_s: float | None = None            #: seconds from mixing to the first push (None: expert)
    volume_ml: float | None = None         #: None: the expert's 3 mL (or the scenario maximum)
    ignore_stop: bool = False              #: keep injecting after the posterior quarter / a leak
    withdraw_to_depth: float | None = None  #: after half the cement, pull the tip back to this depth
    last_push_depth: float | None = None   #: before the last push, pull the tip back to this depth
    last_push_ml: float | None = None      #: the last push is this much cement (None: an ordinary push)
    ap_checks: bool = True
    extra_exposures: int = 0
    held_fluoro_s: float = 0.0
    step_mm: float | None = None           #: advance in steps this long with a shot after each
    redirections: int = 0
    idle_s: float = 0.0                    #: time lost before access


EXPERT = Variant("expert", "clean expert procedure", family="expert")

CATALOGUE: tuple[Variant, ...] = (
    EXPERT,
    Variant("proceed_on_contraindication", "treats a patient the chart says to defer or decline",
            rule="contraindication", family="checklist", treat_declined=True),
    Variant("candidacy_unanswered", "never records the candidacy decision", rule="contraindication",
            family="checklist", skip=("candidacy",)),
    Variant("gate_wrong", "answers the INR gate wrongly", rule="checklist_gate", family="checklist",
            wrong_answer="inr"),
    Variant("gates_unanswered", "leaves the fasting and consent gates unanswered", rule="checklist_gate",
            family="checklist", skip=("fasting", "consent")),
    Variant("medial_wall_crossed", "aims 12 deg too medially: crosses the medial wall before the body",
            rule="medial_wall", family="trajectory", medial_error_deg=12.0),
    Variant("canal_entered", "aims 16 deg too medially: into the canal", rule="canal_breach",
            family="trajectory", medial_error_deg=16.0),
    Variant("anterior_cortex_perforated", "advances through the anterior cortex, then pulls back",
            rule="anterior_cortex", family="trajectory", overshoot_depth=1.05),
    Variant("tip_posterior_third", "injects with the tip in the posterior third (0.30)",
            rule="tip_not_in_target", family="tip", target_depth=0.30),
    Variant("runny_cement", "injects 2 min after mixing (runny cement)", rule="cement_too_early",
            family="cement", wait_s=60.0),
    Variant("over_max_volume", "injects 6 mL", rule="cement_over_max", family="cement", volume_ml=6.0,
            ignore_stop=True, wait_s=-15.0),
    Variant("past_posterior_quarter", "pulls the cannula back and keeps injecting past the posterior quarter",
            rule="posterior_quarter", family="cement", withdraw_to_depth=0.2, ignore_stop=True),
    Variant("canal_cement", "injects 4 mL early in the working phase from the front of the middle third and "
            "ignores the lateral and the leaks", rule="canal_cement", family="cement", wait_s=-15.0,
            ignore_stop=True, volume_ml=4.0, target_depth=0.55),
    Variant("canal_heat", "early cement, ignores the lateral, last 1 mL from the posterior wall (heat reaches "
            "the canal)", rule="canal_heat", family="cement", wait_s=-15.0, ignore_stop=True, last_push_depth=0.04,
            last_push_ml=1.0),
    Variant("exposure_abuse", "150 single-pulse exposures", family="radiation", extra_exposures=150),
    Variant("held_fluoro_abuse", "12 min of held fluoroscopy", family="radiation", held_fluoro_s=720.0),
    Variant("ap_not_true", "AP before access 8 deg off the true AP", family="alignment", ap_orbital_offset_deg=8.0),
    Variant("tip_off_midline", "tip 11 mm lateral of the expert target", family="tip", target_x_offset_mm=11.0),
    Variant("no_ap_checks", "no AP check during injection", rule="no_ap_check", family="cement",
            ap_checks=False),
    Variant("underfill", "stops after the first 0.5 mL push", family="cement", volume_ml=0.5),
    Variant("inefficient_access", "1 mm steps with a shot after each, 3 redirections", family="efficiency",
            step_mm=1.0, redirections=3),
    Variant("slow_procedure", "70 min lost before access", family="efficiency", idle_s=4200.0),
)


def variant_by_id(vid: str) -> Variant:
    """The catalogue variant ``vid`` (KeyError naming the known ids)."""
    for v in CATALOGUE:
        if v.id == vid:
            return v
    raise KeyError(f"{vid!r}: not a validity variant; known: {', '.join(v.id for v in CATALOGUE)}")


def sides_for(scenario, side: str = "left") -> tuple[str, ...]:
    """The trocar sides the expert uses: both when the scenario asks for a bipedicular approach
    (``[targets] approach = "bipedicular"``: its score sheet has the per-side metrics), else ``side``."""
    advice = getattr(scenario, "advice", None) or {}
    return ("left", "right") if str(advice.get("approach", "")).lower() == "bipedicular" else (side,)


def expert_plan_for(scenario, variant: Variant = EXPERT, side: str = "left") -> ExpertPlan:
    """The shared expert plan (:class:`~trainer.core.procedure.expert_plan.ExpertPlan`) with ``variant``'s
    one change: the validity expert waits :data:`EXPERT_WAIT_MARGIN_S` into the working phase, stops at
    :data:`EXPERT_STOP_DEPTH` or a visible leak, uses a 150 mm trocar and injects 3 mL (or the scenario's
    maximum); on a leak-prone case it follows :func:`expert_technique` (AP after every push, stop at the
    posterior third, 2.5 mL, a start that fits every push into the injectable window)."""
    dec = scenario.decisions
    answers = {}
    for item in CHECKLIST_ITEMS:
        if item in variant.skip:
            continue
        ans = dec.expected(item)
        if variant.wrong_answer == item:
            ans = next(a for a in CHECKLIST_ITEMS[item].answers if a != ans)
        if variant.treat_declined and item == "candidacy":
            ans = "proceed"
        answers[item] = ans
    tech = expert_technique(scenario)
    wait_s, margin_s = (tech.start_s(scenario) if tech.reasons else None), EXPERT_WAIT_MARGIN_S
    if variant.wait_s is not None:              # negative: seconds after the working phase begins
        wait_s, margin_s = (variant.wait_s, margin_s) if variant.wait_s > 0 else (None, -variant.wait_s)
    cap = float(load_targets().with_overrides(scenario.targets or {})["cement_volume"].pass_band[1])
    return ExpertPlan(
        sides=sides_for(scenario, side), answers=answers, ap_offset_deg=variant.ap_orbital_offset_deg, idle_s=variant.idle_s,
        extra_exposures=variant.extra_exposures, held_fluoro_s=variant.held_fluoro_s,
        target_depth=variant.target_depth, target_x_offset_mm=variant.target_x_offset_mm,
        medial_error_deg=variant.medial_error_deg, length_mm=150.0, step_mm=variant.step_mm,
        overshoot_depth=variant.overshoot_depth, redirections=variant.redirections, wait_s=wait_s,
        wait_margin_s=margin_s,
        volume_ml=variant.volume_ml if variant.volume_ml is not None else min(tech.volume_ml, cap),
        ap_check_ml=tech.ap_every_ml if variant.ap_checks else None,
        stop_depth=None if variant.ignore_stop else tech.stop_depth, stop_on_leak=not variant.ignore_stop,
        withdraw_to_depth=variant.withdraw_to_depth, last_push_depth=variant.last_push_depth,
        last_push_ml=variant.last_push_ml)


def play(scenario, patient, seed: int, variant: Variant = EXPERT, side: str = "left", *, render: bool = False,
         pixels: int | None = None, live=None, parts: SharedParts | None = None):
    """Play ``variant`` on ``scenario`` with ``seed``; returns the finished Procedure.

    ``render``/``pixels`` render the shots (the scoring never needs the images).  ``live``: a
    :class:`~trainer.core.session.live.LiveSession` to play into (it records the session file;
    its own scenario, seed and patient are used).  ``parts``: the patient's parts a batch shares
    (:mod:`~trainer.core.procedure.shared_parts`; ``patient`` is then ``parts.patient``).
    """
    if live is not None:
        play_expert(live, expert_plan_for(live.procedure.scenario, variant, side))
        return live.procedure
    if parts is not None:
        proc = parts.procedure(scenario, seed, render=render, pixels=pixels)
    else:
        proc = Procedure(scenario, seed=seed, patient=patient, render=render, pixels=pixels)
    return play_expert(proc, expert_plan_for(scenario, variant, side))


def outcome_score(score: float, passed: bool, pass_score: float) -> float:
    """The score as an assessor records it: a failed attempt is capped one point under the pass mark
    (a broken rule outweighs any number of points)."""
    return float(score) if passed else min(float(score), float(pass_score) - 1.0)


def cohens_d(a, b) -> float:
    """Cohen's d of ``a`` over ``b`` with the pooled standard deviation (inf when both are constant
    and differ; 0 when identical)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    diff = float(a.mean() - b.mean())
    na, nb = len(a), len(b)
    va = a.var(ddof=1) if na > 1 else 0.0
    vb = b.var(ddof=1) if nb > 1 else 0.0
    dof = max(na + nb - 2, 1)
    sd = math.sqrt(((na - 1) * va + (nb - 1) * vb) / dof)
    if sd <= 1e-12:
        return 0.0 if abs(diff) <= 1e-12 else math.copysign(math.inf, diff)
    return diff / sd


@dataclass
class VariantRow:
    """One line of the validity table (a variant on one scenario, or over all)."""

    variant: str
    scenario: str
    rule: str | None
    runs: int = 0
    passed: int = 0
    scores: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)
    d_score: float | None = None
    caught_by: dict = field(default_factory=dict)       #: metric id -> runs in which it failed
    rules_broken: dict = field(default_factory=dict)    #: rule id -> runs
    d: float | None = None

    @property
    def pass_rate(self) -> float:
        return self.passed / self.runs if self.runs else 0.0

    @property
    def mean_score(self) -> float:
        return float(np.mean(self.scores)) if self.scores else float("nan")

    def catching_metric(self) -> str:
        if self.rule:
            m = next((r.metric for r in RULES if r.id == self.rule), None)
            if m is not None and m in self.caught_by:
                return m
        if not self.caught_by:
            return "-"
        return max(sorted(self.caught_by), key=lambda k: self.caught_by[k])

    def to_json(self) -> dict:
        return {"variant": self.variant, "scenario": self.scenario, "rule": self.rule, "runs": self.runs,
                "pass_rate": round(self.pass_rate, 4), "mean_score": round(self.mean_score, 2),
                "scores": [round(s, 2) for s in self.scores], "caught_by": self.catching_metric(),
                "failed_metrics": dict(sorted(self.caught_by.items())), "rules_broken": dict(sorted(self.rules_broken.items())),
                "mean_outcome": round(float(np.mean(self.outcomes)), 2) if self.outcomes else None,
                "cohens_d": _d_json(self.d), "cohens_d_raw_score": _d_json(self.d_score)}


def _d_json(d):
    if d is None:
        return None
    return round(d, 2) if math.isfinite(d) else ("inf" if d > 0 else "-inf")


def score_one(scenario_path: str, seed: int, variant_id: str) -> dict:
    """Play and score one run (a picklable unit of work for a process pool)."""
    sc = load_scenario(scenario_path)
    # the [ct] patient of a CT scenario (it played the synthetic one), built once per process and case
    parts = shared_parts(f"{scenario_path}:{sc.sha256}", lambda: patient_for(sc))
    rep = score(play(sc, parts.patient, seed, variant_by_id(variant_id), parts=parts))
    return {"scenario": sc.id, "seed": seed, "variant": variant_id, "passed": rep.passed, "score": rep.score,
            "outcome": outcome_score(rep.score, rep.passed, rep.pass_score),
            "failed": [m.id for m in rep.metrics if m.status == "fail"],
            "rules": [r["rule"] for r in rep.failed_rules]}


def treats(scenario) -> bool:
    """Whether the scenario's chart says to treat today (the case is played by every variant)."""
    return scenario.decisions.candidacy == "proceed"


def run_validity(scenario_paths, seeds=(0, 1, 2), variants=CATALOGUE, jobs: int = 1) -> dict:
    """Play every variant on every scenario and seed; the table as JSON-ready dicts.

    Scenarios whose chart says not to treat are played only by the variants that do
    not need a treatable patient (the contraindication variant, and the expert, which
    must decline correctly).
    """
    work = []
    for p in scenario_paths:
        sc = load_scenario(p)
        for v in variants:
            if not treats(sc) and v.id not in ("expert", "proceed_on_contraindication"):
                continue
            if treats(sc) and v.id == "proceed_on_contraindication":
                continue
            for s in seeds:
                work.append((str(p), int(s), v.id))
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as ex:
            results = list(ex.map(score_one, *zip(*work), chunksize=2))
    else:
        results = [score_one(*w) for w in work]
    rows: dict[tuple, VariantRow] = {}
    for r in results:
        v = variant_by_id(r["variant"])
        for key in ((v.id, r["scenario"]), (v.id, "all")):
            row = rows.setdefault(key, VariantRow(v.id, key[1], v.rule))
            row.runs += 1
            row.passed += int(r["passed"])
            row.scores.append(r["score"])
            row.outcomes.append(r["outcome"])
            for m in r["failed"]:
                row.caught_by[m] = row.caught_by.get(m, 0) + 1
            for rule in r["rules"]:
                row.rules_broken[rule] = row.rules_broken.get(rule, 0) + 1
    # Cohen's d per scenario against that scenario's expert; the "all" row keeps the smallest
    for (vid, sid), row in rows.items():
        if vid == "expert" or sid == "all":
            continue
        exp = rows.get(("expert", sid))
        if exp is not None:
            row.d = cohens_d(exp.outcomes, row.outcomes)
            row.d_score = cohens_d(exp.scores, row.scores)
    for (vid, sid), row in rows.items():
        if sid == "all" and vid != "expert":
            ds = [r.d for (v2, s2), r in rows.items() if v2 == vid and s2 != "all" and r.d is not None]
            row.d = min(ds) if ds else None
            ds = [r.d_score for (v2, s2), r in rows.items() if v2 == vid and s2 != "all" and r.d_score is not None]
            row.d_score = min(ds) if ds else None
    return {"seeds": list(seeds), "scenarios": sorted({r["scenario"] for r in results}),
            "rows": [row.to_json() for _, row in sorted(rows.items(), key=lambda kv: (
                [v.id for v in CATALOGUE].index(kv[0][0]), kv[0][1] != "all", kv[0][1]))]}


def check(table: dict) -> list[str]:
    """What the table must show (issue 13): problems as sentences, empty when all hold."""
    problems = []
    for row in table["rows"]:
        if row["scenario"] == "all":
            continue
        if row["variant"] == "expert" and row["pass_rate"] < 1.0:
            problems.append(f"expert fails on {row['scenario']} (pass rate {row['pass_rate']:.2f})")
        elif row["variant"] != "expert":
            if row["rule"] and row["pass_rate"] > 0:
                problems.append(f"{row['variant']} breaks rule {row['rule']} but passes {row['pass_rate']:.0%} "
                                f"on {row['scenario']}")
            d = row["cohens_d"]
            if d is not None and float(d) < 1.5:           # "inf" / "-inf" are written as text
                problems.append(f"{row['variant']} on {row['scenario']}: Cohen's d {d} < 1.5")
    return problems



