"""The calibration protocol of the cement model (docs/cement.md, "Calibration").

A clean expert technique on the built-in cases, one seed per trainee and bone: the tip on
the expert trajectory (:func:`~trainer.core.procedure.plans.expert_target_mm`) jittered by
up to 1.5 mm per axis, cement pushed in 0.25 mL steps every 10 s from a given time after
mixing, optionally withdrawing the cannula along its path while injecting.  Each run
records, at every whole millilitre, which leak types are present (``Leak.kinds``: a
basivertebral leak that reaches the canal counts as B and canal), which of them a
post-procedure AP or lateral radiograph shows (by the asset file's volume thresholds, and
measured on the renderer's images by a model reader,
:mod:`~trainer.core.procedure.cement.radiograph`), the canal-wall temperature and the
posterior extent of the cement.

``benchmarks/cement_calibration.py`` prints the table; ``tests/core/cement/test_calibration.py``
checks the bands on fewer seeds.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy.stats import binomtest

from trainer.core.procedure.cement.domain import LEAK_TYPES
from trainer.core.procedure.cement.model import CementModel
from trainer.core.procedure.cement.radiograph import PostProcedureViews
from trainer.core.procedure.plans import expert_direction, expert_target_mm
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.conspicuity import ROSE_K

__all__ = ["Condition", "CONDITIONS", "Push", "start_run", "run_seed", "run_condition", "run_conditions", "summarise",
           "patient_of", "odds_ratio", "wilson_interval", "LITERATURE"]

STEP_ML = 0.25          #: one push of a 1 mL syringe (FACTS 3 defaults)
STEP_S = 10.0           #: simulated seconds between pushes
#: detection thresholds d' the table's sensitivity line reports: 3 (Rose's lower bound), 5 (Rose), and
#: 5 / sqrt(0.5) (a human reader at 50 % of the model's efficiency, Burgess et al. 1981, Science 214:93)
VISIBILITY_K_SWEEP = (3.0, 5.0, 7.07)

#: Published numbers the table is set against (FACTS.md 3.3 and 4).
LITERATURE = {
    # CT-assessed, osteoporotic fractures without a cleft (PMC8449924, 139 patients per group): any, B, S, C, D
    "ct_n": 139,
    "ct_no_cleft": {"any": 0.763, "B": 0.317, "S": 0.525, "C": 0.122, "D": 0.065},
    "ct_cleft": {"any": 0.676, "B": 0.209, "S": 0.245, "C": 0.259, "D": 0.165},
    # radiograph-based single-centre series: 33 % (Al-Ali), 32.5 % (BMC MSD 2020), 35.5 % (Saad 2022)
    "radiograph_any": (0.325, 0.355),
    # high- vs low-viscosity cement, leak odds ratio (meta-analysis; issue 14: 0.23, CI 0.14-0.39)
    "viscosity_or": (0.14, 0.39),
    # low viscosity as a risk factor (Zhan 2017): OR 3.32
    "low_viscosity_or": 3.32,
}


@dataclass(frozen=True)
class Condition:
    """One row of the calibration table.

    Attributes
    ----------
    scenario : str
        Built-in scenario id (its patient).
    minutes : float
        Minutes after mixing of the first push.
    total_ml : float
        Cement injected (mL); the table reports every whole mL up to it.
    depth : float
        Tip depth fraction (0 posterior wall, 1 anterior wall).
    withdraw_to : float or None
        Depth fraction the cannula is pulled back to, evenly over the injection.
    product : str
    x_offset_mm : float
        Tip moved this far further from the midline (towards the entry side).
    side : str
    midline_mm : float or None
        Tip moved (medio-laterally only) to this distance from the midline on the entry
        side, as a unipedicular technique aims (FACTS 2: within 5 mm of the midline).
    fill_fraction : float or None
        Inject this fraction of the body volume instead of ``total_ml`` (rounded to whole
        0.25 mL pushes; FACTS 3: aim for 15-30 % of the body volume).
    bipedicular : bool
        One cannula in each pedicle, each at its own expert target; the first half of the pushes
        through the right one, the rest through the left (as the plan injects a bipedicular case:
        the last placed first), ``side`` ignored.
    """

    scenario: str = "l1-wedge-default"
    minutes: float = 5.5
    total_ml: float = 3.0
    depth: float = 0.75
    withdraw_to: float | None = None
    product: str = "default"
    x_offset_mm: float = 0.0
    side: str = "left"
    midline_mm: float | None = None
    fill_fraction: float | None = None
    bipedicular: bool = False
    note: str = field(default="", compare=False)


CONDITIONS = {
    "expert": Condition(total_ml=4.0, note="clean expert: tip 0.75, paste at 5.5 min"),
    "tip_0.62": Condition(depth=0.62, note="tip at the front of the middle third"),
    "tip_0.68": Condition(depth=0.68),
    "tip_0.82": Condition(depth=0.82),
    "high_viscosity": Condition(product="high-viscosity", note="high-viscosity product, same use"),
    "low_viscosity": Condition(product="low-viscosity", note="low-viscosity product, same use"),
    "runny_2min": Condition(minutes=2.0, note="default product 2 min after mixing (runny)"),
    "withdraw": Condition(withdraw_to=0.35, note="cannula pulled back 0.75 -> 0.35 while injecting"),
    "off_midline_7mm": Condition(total_ml=0.5, x_offset_mm=7.0, note="tip 7 mm further off the midline, 0.5 mL"),
    "t12_biconcave": Condition(scenario="t12-biconcave"),
    "t12_tip_midline": Condition(scenario="t12-biconcave", midline_mm=4.0,
                                 note="T12 with the tip 4 mm from the midline, as in the L1 plan"),
    "t12_fill_15pct": Condition(scenario="t12-biconcave", fill_fraction=0.15,
                                note="T12 with 15 % of its body volume, the plan's tip"),
    "t12_bipedicular": Condition(scenario="t12-biconcave", bipedicular=True,
                                 note="T12 as its scenario is done: half through each pedicle"),
    "t11_bipedicular": Condition(scenario="t11-bipedicular", bipedicular=True,
                                 note="T11 crush, half through each pedicle"),
    # diagnostic rows (round 8): the default L1 injected with the thoracic rows' tip offset / approach
    "l1_tip_7mm": Condition(midline_mm=7.1, note="L1 with the tip 7.1 mm from the midline, where the T12 plan puts it"),
    "l1_bipedicular": Condition(bipedicular=True, note="L1 done like the thoracic rows: half through each pedicle"),
    "l4_wide_pedicles": Condition(scenario="l4-wide-pedicles"),
    "l4_fill_15pct": Condition(scenario="l4-wide-pedicles", fill_fraction=0.15,
                               note="L4 with 15 % of its body volume, as 3 mL is of the L1 body"),
    "l3_crush": Condition(scenario="l3-crush-grade3"),
    "large_bv_vein": Condition(scenario="l2-large-basivertebral-vein"),
    "cleft": Condition(scenario="l1-intravertebral-cleft"),
    "endplate_crack": Condition(scenario="l2-endplate-crack"),
    "posterior_wall_defect": Condition(scenario="l2-posterior-wall-defect", total_ml=4.0, withdraw_to=0.25,
                                       side="right", note="from the defect's side, withdrawn to the posterior quarter"),
    "withdraw_posterior_quarter": Condition(total_ml=4.0, withdraw_to=0.25, side="right",
                                            note="the intact L1 injected like the wall-defect row"),
}


@lru_cache(maxsize=8)
def _scenario_and_patient(scenario_id: str):
    sc = load_scenario(scenario_id)
    return sc, patient_for(sc)


def patient_of(scenario_id: str):
    """The built-in scenario's patient (built once per process)."""
    return _scenario_and_patient(scenario_id)[1]


@lru_cache(maxsize=4)
def views_of(scenario_id: str) -> PostProcedureViews:
    """The post-procedure AP and lateral shots of the scenario's patient (built once per process)."""
    sc, patient = _scenario_and_patient(scenario_id)
    return PostProcedureViews(patient, sc.carm.kvp_ap, sc.carm.kvp_lateral, sc.carm.patient_roll_deg)


def _start_tip(patient, cond: Condition, rng: np.random.Generator, side: str | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """(tip mm, unit direction of the cannula from skin to tip) on ``side`` (default ``cond.side``)."""
    side = side or cond.side
    tip = expert_target_mm(patient, side, cond.depth).astype(float)
    d = expert_direction(patient, side, cond.depth).astype(float)
    cx = float(patient.landmarks.body_centre_mm[0])
    outward = tip[0] - cx if tip[0] != cx else (1.0 if side == "left" else -1.0)
    if cond.midline_mm is not None:
        tip[0] = cx + math.copysign(cond.midline_mm, outward)
    if cond.x_offset_mm:
        tip[0] += math.copysign(cond.x_offset_mm, outward)
    return tip + rng.uniform(-1.5, 1.5, 3), d


def _radiograph_visible(leak, limits: dict) -> bool:
    """Large enough to see on a post-procedure AP or lateral radiograph by the asset's volume
    thresholds (``[leaks.visible_min_ml]``; the table's visible column)."""
    return leak.volume_ml >= min(float(limits["ap"][leak.type]), float(limits["lateral"][leak.type]))


class Push(NamedTuple):
    """One 0.25 mL push of a calibration run."""

    tip_mm: np.ndarray      #: where the cement leaves the cannula (x, y, z mm)
    time_s: float           #: seconds after mixing
    start_mm: np.ndarray    #: the cannula's tip before any withdrawal on this side (mm)


def start_run(cond: Condition, seed: int) -> tuple[CementModel, list[Push]]:
    """The mixed cement model and the pushes of one calibration run (the protocol of this module).

    The seed is split into the bone's generator (the model's) and the trainee's (the tip jitter),
    so every caller that replays the pushes in order gets the same run.
    """
    patient = patient_of(cond.scenario)
    model_ss, tip_ss = np.random.default_rng(seed).spawn(2)
    m = CementModel(patient, cond.product, np.random.default_rng(model_ss))
    m.mix(0.0)
    tip_rng = np.random.default_rng(tip_ss)
    tip0, direction = _start_tip(patient, cond, tip_rng, "right" if cond.bipedicular else None)
    total_ml = cond.total_ml
    if cond.fill_fraction is not None:
        total_ml = cond.fill_fraction * m.domain.body_volume_ml
    n = max(1, int(round(total_ml / STEP_ML)))
    second = _start_tip(patient, cond, tip_rng, "left") if cond.bipedicular else None
    half = n // 2 if cond.bipedicular else n
    pull_mm = 0.0
    if cond.withdraw_to is not None:
        pull_mm = (cond.depth - cond.withdraw_to) * patient.landmarks.body_depth_mm / max(1e-9, -direction[1])
    pushes = []
    for s in range(n):
        if second is not None and s == half:
            tip0, direction = second
        pushes.append(Push(tip0 - direction * pull_mm * (s / max(1, n - 1)), 60.0 * cond.minutes + STEP_S * s, tip0))
    return m, pushes


def run_seed(cond: Condition, seed: int, reader: bool = True, reader_ml: Collection[float] | None = None) -> dict:
    """One trainee and bone: what is true at every whole millilitre.

    Parameters
    ----------
    cond : Condition
        The table row.
    seed : int
        Seeds the bone (model) and the trainee's tip jitter; the run is a function of it.
    reader : bool
        Measure the model reader's d' on the post-procedure views (the costliest part; the leaks,
        heat and threshold visibility do not depend on it). Without it ``dprime`` and ``seen`` are
        empty and :func:`summarise` reports the reader's figures as None.
    reader_ml : collection of float or None
        The whole mL at which the reader is measured (None: every one); at the others it is left out as
        without ``reader``.  The run itself does not depend on it (the reader only looks at the cement).

    Returns
    -------
    dict
        ``{mL: {"kinds": set, "types": set, "dprime": dict, "seen": set, "visible_reader": bool,
        "visible": bool, "canal_c": float, "posterior": float|None}}`` plus
        ``"conservation_ml"`` (|injected - in body - leaked|).  ``types`` are the reported leaks'
        types, ``dprime`` their ``{type: {view: d'}}`` on the post-procedure AP and lateral
        (:class:`~trainer.core.procedure.cement.radiograph.PostProcedureViews`), ``seen`` the types
        with ``d' >= 5`` on either view, ``visible_reader`` whether there is one; ``visible`` is the
        asset thresholds' answer (docs/cement.md, "Visibility": the measured reader is further from
        the radiograph series' share, so the table's visible column keeps the thresholds).
    """
    m, pushes = start_run(cond, seed)
    limits = m.config["leaks"]["visible_min_ml"]
    out: dict = {}
    n = len(pushes)
    for s, push in enumerate(pushes):
        r = m.inject(STEP_ML, push.tip_mm, push.time_s)
        if not r.accepted:
            raise RuntimeError(f"{cond}: seed {seed} push {s} refused: {r.refused_reason}")
        vol = round((s + 1) * STEP_ML, 3)
        if abs(vol - round(vol)) < 1e-9 or s == n - 1:
            leaks = m.leaks
            measure = reader and (reader_ml is None or vol in reader_ml)
            dprime = views_of(cond.scenario).detectability(m) if leaks and measure else {}
            seen = {t for t, d in dprime.items() if max(d.values()) >= ROSE_K}
            out[vol] = {"kinds": {k for lk in leaks for k in lk.kinds}, "types": {lk.type for lk in leaks},
                        "dprime": dprime, "seen": seen, "visible_reader": bool(seen), "reader": measure,
                        "seen_thresholds": {lk.type for lk in leaks if _radiograph_visible(lk, limits)},
                        "visible": any(_radiograph_visible(lk, limits) for lk in leaks),
                        "canal_c": m.canal_wall_temperature_c,
                        "posterior": m.posterior_extent_fraction}
    out["conservation_ml"] = abs(m.injected_ml - m.in_body_ml - m.leaked_ml)
    return out


def odds_ratio(p1: float, p0: float, n1: int, n0: int) -> float:
    """Odds ratio of rate ``p1`` against ``p0`` with a 0.5 continuity correction (Haldane)."""
    a, b = p1 * n1 + 0.5, (1 - p1) * n1 + 0.5
    c, d = p0 * n0 + 0.5, (1 - p0) * n0 + 0.5
    return (a / b) / (c / d)


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial rate ``k / n`` (default 95 %): SciPy's
    (``binomtest(k, n).proportion_ci(method="wilson")``), the interval a series' or a table row's rate is read
    against (docs/cement.md, "Round 12"); it stays inside [0, 1] and is not degenerate at ``k = 0`` or ``k = n``.
    """
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"wilson_interval: need 0 <= k <= n and n > 0, got k={k}, n={n}")
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def run_condition(name: str, seeds) -> dict:
    """Rates over ``seeds`` for the condition ``name`` of :data:`CONDITIONS`."""
    cond = CONDITIONS[name]
    return summarise(name, [run_seed(cond, s) for s in seeds])


def _run_task(task: tuple[str, int, bool, tuple[float, ...] | None]) -> dict:
    name, seed, reader, reader_ml = task
    return run_seed(CONDITIONS[name], seed, reader, reader_ml)


def run_conditions(seeds_by_name: Mapping[str, Sequence[int]], jobs: int = 1, reader_rows=None,
                   initializer: Callable | None = None, initargs: tuple = (),
                   reader_ml: Collection[float] | None = None) -> dict:
    """Rates of several conditions, their runs spread over ``jobs`` worker processes.

    Parameters
    ----------
    seeds_by_name : mapping
        ``{condition name: seeds}``.
    jobs : int
        Worker processes (``spawn``ed: safe in a process that has loaded Qt); 1 runs here.
        Each run seeds its own generators, so the numbers do not depend on ``jobs``.
    reader_rows : collection of str or None
        Rows whose runs measure the model reader (None: all).
    initializer, initargs
        Run in each worker first (e.g. the benchmark's asset overrides).
    reader_ml : collection of float or None
        The whole mL at which those rows measure the reader (None: every one; :func:`run_seed`); the
        rates do not depend on it.

    Returns
    -------
    dict
        ``{name: summarise(name, runs)}`` in the order of ``seeds_by_name``.
    """
    at = None if reader_ml is None else tuple(float(v) for v in reader_ml)
    tasks = [(n, int(s), reader_rows is None or n in reader_rows, at) for n, seeds in seeds_by_name.items()
             for s in seeds]
    if jobs <= 1:
        results = [_run_task(t) for t in tasks]
    else:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=initializer,
                                 initargs=initargs) as pool:
            results = list(pool.map(_run_task, tasks, chunksize=1))
    out, i = {}, 0
    for name, seeds in seeds_by_name.items():
        out[name] = summarise(name, results[i:i + len(seeds)])
        i += len(seeds)
    return out


def summarise(name: str, runs: list) -> dict:
    """Rates of the condition ``name`` over the :func:`run_seed` results ``runs``."""
    cond = CONDITIONS[name]
    n = len(runs)
    table: dict = {"seeds": n, "note": cond.note, "at_ml": {}}
    for vol in sorted(k for k in runs[0] if not isinstance(k, str)):
        rows = [r[vol] for r in runs]
        temps = np.array([r["canal_c"] for r in rows])
        read = all(r.get("reader", True) for r in rows)
        table["at_ml"][vol] = {
            "any": sum(bool(r["kinds"]) for r in rows) / n,
            **{k: sum(k in r["kinds"] for r in rows) / n for k in LEAK_TYPES},
            "visible": sum(r["visible"] for r in rows) / n,
            "visible_reader": sum(r["visible_reader"] for r in rows) / n if read else None,
            # leaks a post-procedure CT would count (reported leak types) per leak the radiographs show
            "ct_per_radiograph_leak": (sum(len(r["types"]) for r in rows) / max(1, sum(len(r["seen"]) for r in rows))
                                       if read else None),
            "ct_per_radiograph_leak_thresholds": (sum(len(r["types"]) for r in rows)
                                                  / max(1, sum(len(r["seen_thresholds"]) for r in rows))),
            # per leak type: the share of runs with that type that the radiographs show
            "seen_share": {k: sum(k in r["seen"] for r in rows) / max(1, sum(k in r["types"] for r in rows))
                           for k in LEAK_TYPES} if read else None,
            # ... on the lateral alone (Yeom 2003: a lateral missed or underestimated 93 % of B, 86 % of S)
            "lateral_seen_share": {k: sum(r["dprime"].get(k, {}).get("lateral", 0.0) >= ROSE_K for r in rows)
                                   / max(1, sum(k in r["types"] for r in rows)) for k in LEAK_TYPES} if read else None,
            # the visible share for other detection thresholds d' (sensitivity of the column to Rose's k)
            "visible_at_k": {k: sum(any(max(d.values()) >= k for d in r["dprime"].values()) for r in rows) / n
                             for k in VISIBILITY_K_SWEEP} if read else None,
            "canal_c_mean": float(temps.mean()),
            "canal_c_over_45": float((temps > 45.0).mean()),
            "posterior_quarter": sum(r["posterior"] is not None and r["posterior"] <= 0.25 for r in rows) / n,
        }
    table["conservation_max_ml"] = max(r["conservation_ml"] for r in runs)
    return table
