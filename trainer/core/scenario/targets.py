"""Scoring targets: the default table (assets/scoring_targets.toml) and scenario overrides.

The table lives with the scenario because a scenario file overrides it and the loader
validates those overrides; scoring (a layer above) reads it.

A :class:`MetricSpec` holds what a metric is judged against: its pass and warn bands,
weight, group, whether failing it is critical, and the source of the target (a seed
document by file name or a FACTS.md section).  Scenarios override bands in their
``[targets]`` table, either per metric::

    [targets.cement_volume]
    pass = [3.0, 5.0]
    warn = [2.5, 7.0]

or with the shortcuts ``cement_ml_min`` / ``cement_ml_max`` (docs/scoring.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomllib

from trainer import ASSETS_DIR
from trainer.core.errors import ParameterError
from trainer.core.numbers import number_ok

__all__ = ["MetricSpec", "Targets", "load_targets", "TARGETS_FILE", "validate_overrides", "band_status",
           "case_target", "import_cement_max_ml"]

TARGETS_FILE = ASSETS_DIR / "scoring_targets.toml"

#: Shortcut override keys -> (metric id, band edge)
SHORTCUTS = {
    "cement_ml_min": ("cement_volume", "min"),
    "cement_ml_max": ("cement_volume", "max"),
    "fill_percent_min": ("fill_fraction", "min"),
    "fill_percent_max": ("fill_fraction", "max"),
    "tip_depth_min": ("tip_depth", "min"),
    "tip_depth_max": ("tip_depth", "max"),
    "shots_max": ("exposures", "max"),
    "fluoro_s_max": ("fluoro_time", "max"),
    "dap_gycm2_max": ("dap", "max"),
}
_OVERRIDABLE = ("pass", "warn", "weight", "critical")


@dataclass(frozen=True)
class MetricSpec:
    """Target, bands and bookkeeping of one metric.

    Attributes
    ----------
    id, name, unit, group : str
    weight : float
        Points out of 100 (FACTS.md 7 score sheet shares).
    critical : bool
        Failing it fails the attempt.
    pass_band, warn_band : tuple of float
        Closed intervals ``(lo, hi)`` of the metric value.
    target : str
        The target in words, shown in the report.
    source : str
        Seed file name or FACTS.md section the target comes from.
    params : dict
        Extra numbers of the metric (e.g. ``posterior_fraction``).
    """

    id: str
    name: str
    unit: str
    group: str
    weight: float
    critical: bool
    pass_band: tuple[float, float]
    warn_band: tuple[float, float]
    target: str
    source: str
    params: dict = field(default_factory=dict)


def band_status(value: float | None, spec: MetricSpec) -> str:
    """``'pass'``, ``'warn'`` or ``'fail'`` for ``value`` against the spec's bands."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "fail"
    lo, hi = spec.pass_band
    if lo - 1e-9 <= value <= hi + 1e-9:
        return "pass"
    lo, hi = spec.warn_band
    if lo - 1e-9 <= value <= hi + 1e-9:
        return "warn"
    return "fail"


@dataclass(frozen=True)
class Targets:
    """All metric specs plus the group weights, the pass score and the major-error deduction.

    ``major_error_points``: points taken off the score for each score-sheet group in which a
    metric marked ``major = true`` fails (a major error, docs/scoring.md).
    """

    specs: dict[str, MetricSpec]
    groups: dict[str, float]
    pass_score: float
    source: str
    major_error_points: float = 0.0

    def __getitem__(self, metric_id: str) -> MetricSpec:
        return self.specs[metric_id]

    def with_overrides(self, overrides: dict | None, where: str = "scenario [targets]") -> Targets:
        """A copy with a scenario's ``[targets]`` applied (raises ParameterError on bad keys)."""
        problems = validate_overrides(overrides or {}, self, where)
        if problems:
            raise ParameterError(problems[0][0], problems[0][1], problems[0][2], where)
        specs = dict(self.specs)
        for key, value in (overrides or {}).items():
            if key in SHORTCUTS:
                mid, edge = SHORTCUTS[key]
                s = specs[mid]
                lo, hi = s.pass_band
                wlo, whi = s.warn_band
                if edge == "min":
                    specs[mid] = replace(s, pass_band=(float(value), hi), warn_band=(min(wlo, float(value)), whi))
                else:
                    specs[mid] = replace(s, pass_band=(lo, float(value)), warn_band=(wlo, max(whi, float(value))))
                continue
            s = specs[key]
            kw: dict[str, Any] = {}
            if "pass" in value:
                kw["pass_band"] = tuple(float(v) for v in value["pass"])
            if "warn" in value:
                kw["warn_band"] = tuple(float(v) for v in value["warn"])
            if "weight" in value:
                kw["weight"] = float(value["weight"])
            if "critical" in value:
                kw["critical"] = bool(value["critical"])
            specs[key] = replace(s, **kw)
        for mid, spec in specs.items():
            if spec.pass_band != self.specs[mid].pass_band:
                specs[mid] = replace(spec, target=case_target(self.specs[mid].target, spec.pass_band, spec.unit))
        return replace(self, specs=specs)


def case_target(default_target: str, pass_band, unit: str) -> str:
    """The target words a report shows for a scenario whose ``[targets]`` moved a metric's pass band: the table's words
    and this case's band, e.g. ``"2.5-4 mL for an osteoporotic fracture; ... (this case: 2.5-6 mL)"``.

    Until round 39 the table's words alone were shown: the debrief of a lumbar case imported from a CT (its
    ``cement_ml_max`` 6 mL) read "target: 2.5-4 mL ..." beside 5.75 mL marked PASS (the first-time walk, docs/realct-log.md
    pass 196)."""
    lo, hi = (float(v) for v in pass_band)
    u = f" {unit}" if unit else ""
    if math.isinf(hi):
        band = f"at least {lo:g}{u}"
    elif math.isinf(lo) or lo <= 0.0:
        band = f"at most {hi:g}{u}"
    else:
        band = f"{lo:g}-{hi:g}{u}"
    base = default_target.split(" (this case: ")[0]            # a band moved again replaces the earlier one
    return f"{base} (this case: {band})"


def _band(value, name: str, where: str) -> tuple[float, float]:
    # NaN is refused (it passes every comparison); -inf / inf only as the open lower / upper end
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == v for v in value)
            or value[0] == float("inf") or value[1] == float("-inf") or value[0] > value[1]):
        raise ParameterError(name, value, "[lo, hi] with two numbers, lo <= hi (-inf / inf for an open end)", where)
    return float(value[0]), float(value[1])


def validate_overrides(overrides: dict, targets: Targets, where: str = "scenario [targets]") -> list[tuple]:
    """Problems with a scenario's ``[targets]`` table, as ``(field, value, allowed)`` tuples.

    Scenario validation calls this so that a typo is reported when the scenario is
    loaded, not when the procedure is scored.
    """
    problems: list[tuple] = []
    for key, value in overrides.items():
        if key in SHORTCUTS:
            if not number_ok(value, 0):
                problems.append((f"targets.{key}", value, "a finite number >= 0"))
            continue
        if key not in targets.specs:
            allowed = ", ".join(sorted(SHORTCUTS) + sorted(targets.specs))
            problems.append((f"targets.{key}", value, f"one of {allowed}"))
            continue
        if not isinstance(value, dict):
            problems.append((f"targets.{key}", value, f"a table with keys {', '.join(_OVERRIDABLE)}"))
            continue
        for k, v in value.items():
            if k not in _OVERRIDABLE:
                problems.append((f"targets.{key}.{k}", v, f"one of {', '.join(_OVERRIDABLE)}"))
            elif k in ("pass", "warn"):
                try:
                    _band(v, f"targets.{key}.{k}", where)
                except ParameterError as exc:
                    problems.append((exc.name, exc.value, exc.allowed))
            elif k == "weight" and not number_ok(v, 0, 100):
                problems.append((f"targets.{key}.weight", v, "a finite number from 0 to 100"))
            elif k == "critical" and not isinstance(v, bool):
                problems.append((f"targets.{key}.critical", v, "true or false"))
    return problems


_CACHE: dict[str, Targets] = {}


def load_targets(path: str | Path | None = None) -> Targets:
    """Read the target table (default: assets/scoring_targets.toml); cached per path."""
    p = Path(path) if path else TARGETS_FILE
    key = str(p.resolve())
    if key in _CACHE:
        return _CACHE[key]
    where = str(p)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ParameterError("scoring targets", where, "a readable TOML file", where, hint=str(exc)) from None
    groups = {k: float(v) for k, v in data.get("groups", {}).items()}
    specs = {}
    for mid, m in data.get("metrics", {}).items():
        if m.get("group") not in groups:
            raise ParameterError(f"metrics.{mid}.group", m.get("group"), f"one of {', '.join(groups)}", where)
        if not m.get("source"):
            raise ParameterError(f"metrics.{mid}.source", m.get("source"), "a seed file or FACTS.md section", where)
        known = {"name", "group", "weight", "critical", "unit", "pass", "warn", "target", "source"}
        specs[mid] = MetricSpec(
            id=mid, name=str(m["name"]), unit=str(m.get("unit", "")), group=m["group"],
            weight=float(m["weight"]), critical=bool(m.get("critical", False)),
            pass_band=_band(m["pass"], f"metrics.{mid}.pass", where),
            warn_band=_band(m["warn"], f"metrics.{mid}.warn", where),
            target=str(m["target"]), source=str(m["source"]),
            params={k: v for k, v in m.items() if k not in known})
    major = data.get("major_error_points", 0.0)
    if not number_ok(major, 0.0, 100.0):
        raise ParameterError("major_error_points", major, "a number from 0 to 100", where)
    t = Targets(specs=specs, groups=groups, pass_score=float(data.get("pass_score", 70.0)), source=where,
                major_error_points=float(major))
    _CACHE[key] = t
    return t


def import_cement_max_ml(level: str, targets: Targets | None = None) -> float:
    """The cement maximum (mL) a CT scenario imported at ``level`` is given (its ``[targets] cement_ml_max``).

    Read from the ``cement_volume`` metric's ``import_max_ml`` table (assets/scoring_targets.toml:
    ``thoracic`` for T8-T12, ``lumbar`` for L1-L5; FACTS.md 3 defaults, docs/scoring.md "Fill and the
    cement maximum on real CTs").

    Parameters
    ----------
    level : str
        The target vertebra, ``"T8"`` to ``"L5"``.
    targets : Targets, optional
        The table to read (default: :func:`load_targets`).

    Returns
    -------
    float
        The maximum, mL.
    """
    t = targets or load_targets()
    table = t["cement_volume"].params.get("import_max_ml")
    region = "thoracic" if str(level).upper().startswith("T") else "lumbar"
    value = table.get(region) if isinstance(table, dict) else None
    if value is None or not number_ok(value, 0.0):   # its upper limit is the scenario schema's, checked on loading
        raise ParameterError(f"metrics.cement_volume.import_max_ml.{region}", value, "a finite number of mL >= 0",
                             t.source)
    return float(value)
