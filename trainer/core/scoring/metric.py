"""The metric plugin interface, its context and the running state it reads.

A metric is a small class (STYLE.md 11, after Perk Tutor's PythonMetrics) with static
metadata (``id``; name, unit, target, bands, weight and source come from its
:class:`~trainer.core.scenario.targets.MetricSpec`) and a streaming interface:

* ``reset(context)`` before the first event,
* ``update(event, state)`` for every event of the procedure, in order,
* ``result() -> MetricResult`` at any time (live) or at the end (debrief).

``state`` is a :class:`StreamState`: what the event stream has said so far (trocar side
and tip, C-arm pose, cement clock, volumes).  The scoring engine updates it from the
events themselves, so the live score and the offline score of a session are the same
computation.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from trainer.core.anatomy.axial_rotation import true_ap_orbital_deg
from trainer.core.anatomy.landmarks import Landmarks
from trainer.core.anatomy.posterior_outline import PosteriorOutline
from trainer.core.scenario.targets import MetricSpec, Targets, band_status
from trainer.core.xray.geometry import CArmGeometry, view_of_orbital

__all__ = ["MetricResult", "Metric", "ScoringContext", "StreamState", "tissue_class", "view_of_pose",
           "STATUS_CREDIT", "NOT_TREATED_PREFIX", "fmt", "UNITS_BEFORE", "with_unit"]

#: Units written before the value: a Gertzbein-Robbins grade reads "grade 1", as FACTS.md 2 and the metric's own
#: target write it (the debrief, the text report and the PDF wrote "1 grade" until round 27).
UNITS_BEFORE = frozenset({"grade"})


def with_unit(text: str, unit: str) -> str:
    """A formatted value with its unit: ``"2.5 mL"``; a unit of :data:`UNITS_BEFORE` first, ``"grade 1"``.

    Parameters
    ----------
    text : str
        The value, already formatted.
    unit : str
        The metric's unit ("" for none).

    Returns
    -------
    str
    """
    if not unit:
        return text
    return f"{unit} {text}" if unit in UNITS_BEFORE else f"{text} {unit}"


#: Credit of a status in the weighted score.
STATUS_CREDIT = {"pass": 1.0, "warn": 0.5, "fail": 0.0}

#: How the detail of a metric that does not apply because the patient was not to be treated begins
#: (:meth:`Metric.missing`); an 'n/a' metric with another detail was ungraded for a reason of its own.
NOT_TREATED_PREFIX = "not applicable: "


@dataclass(frozen=True)
class MetricResult:
    """What one metric measured and how it compares with its target."""

    id: str
    name: str
    value: Any
    unit: str
    target: str
    status: str            #: 'pass' | 'warn' | 'fail' | 'n/a'
    source: str
    weight: float
    critical_failed: bool
    detail: str
    group: str = ""
    #: which of its rule's causes failed it, for the rule's words (:meth:`~trainer.core.scoring.policy.Rule.text_for`);
    #: "" for the rule's one text (not in the JSON: the report's ``failed_rules`` carries the words)
    cause: str = ""

    def to_json(self) -> dict:
        v = self.value
        if isinstance(v, (float, np.floating)):
            v = round(float(v), 4)
        elif isinstance(v, np.integer):
            v = int(v)
        return {"id": self.id, "name": self.name, "value": v, "unit": self.unit, "target": self.target,
                "status": self.status, "source": self.source, "weight": self.weight,
                "critical_failed": self.critical_failed, "group": self.group, "detail": self.detail}


@dataclass
class ScoringContext:
    """What metrics know besides the events: anatomy, targets and the expected answers.

    Attributes
    ----------
    landmarks : Landmarks
        Target vertebra landmarks (mm, LPS).
    targets : Targets
        Specs with the scenario's overrides applied.
    expected_decisions : dict
        Checklist item -> the correct answer (``'candidacy'`` -> 'proceed'|'defer'|'decline').
    patient_roll_deg : float
        Patient rotation on the table (what the renderer turns the C-arm by).
    vertebra_rotation_deg : float
        The target vertebra's own axial rotation (``Landmarks.axial_rotation_deg``; 0 on a synthetic
        patient); a true AP needs ``orbital == roll - vertebra_rotation_deg`` (:attr:`true_ap_orbital_deg`).
    geometry : CArmGeometry
    endplate_incl_deg : tuple of float
        Sagittal inclination (inferior, superior) of the endplates, deg; a C-arm tilt equal to
        an endplate's inclination shows it as a line (positive: rises posteriorly).
    body_volume_ml : float
        Volume of the target vertebral body (cortex and cancellous bone), mL.
    cement_points_mm : ndarray or None
        (N, 3) centres of voxels holding cement at the end, mm; None when unknown.
    final_leaks : list of dict or None
        Leaks at the end (type, region, volume_ml, pe_risk); None: use the leak events.
    decision_reasons : dict
        Checklist item -> why the expected answer is right (shown in the report).
    bipedicular : bool
    neural_cement_ml : dict or None
        Cement found inside the canal / foramen outlines at the end ({'canal': mL, 'foramen': mL}).
    canal_wall_temperature_c : float or None
        Peak modelled temperature at the spinal-canal wall, deg C (None: unknown).
    scenario_id, scenario_sha256 : str
    posterior_outline : PosteriorOutline or None
        The body's back face per own-frame x and z (mm), from the labels
        (:func:`~trainer.core.anatomy.posterior_outline.posterior_outline`): where the medial-wall rule
        stops checking.  None (no patient): the flat ``landmarks.posterior_wall_y_mm``.
    """

    landmarks: Landmarks
    targets: Targets
    expected_decisions: dict = field(default_factory=dict)
    patient_roll_deg: float = 0.0
    geometry: CArmGeometry = field(default_factory=CArmGeometry)
    endplate_incl_deg: tuple = (0.0, 0.0)
    body_volume_ml: float = 20.0
    cement_points_mm: np.ndarray | None = None
    final_leaks: list | None = None
    decision_reasons: dict = field(default_factory=dict)
    bipedicular: bool = False
    neural_cement_ml: dict | None = None
    canal_wall_temperature_c: float | None = None
    scenario_id: str = ""
    scenario_sha256: str = ""
    vertebra_rotation_deg: float = 0.0
    posterior_outline: PosteriorOutline | None = None

    @property
    def true_ap_orbital_deg(self) -> float:
        """The orbital angle (deg) of the target vertebra's true AP
        (:func:`~trainer.core.anatomy.axial_rotation.true_ap_orbital_deg`)."""
        return true_ap_orbital_deg(self.patient_roll_deg, self.vertebra_rotation_deg)

    @property
    def procedure_expected(self) -> bool:
        """True when the correct candidacy decision is to proceed (or nothing says otherwise)."""
        exp = str(self.expected_decisions.get("candidacy", "proceed")).lower()
        return exp == "proceed"


def tissue_class(name: str | None) -> str:
    """Coarse class of a tissue name: 'canal', 'foramen', 'disc', 'bone', 'outside' or 'soft'."""
    n = (name or "").lower().replace("_", " ")
    if "canal" in n:
        return "canal"
    if "foramen" in n and "basivertebral" not in n:
        return "foramen"
    if "disc" in n:
        return "disc"
    if any(w in n for w in ("pedicle", "cortex", "cancellous", "posterior elements", "bone", "adjacent",
                            "rib", "lamina", "cleft", "vein", "body")):
        return "bone"
    if n in ("", "outside", "air"):
        return "outside"
    return "soft"


def view_of_pose(pose: dict | None, roll_deg: float = 0.0, fallback: str | None = None) -> str:
    """The view of a recorded pose (``{'orbital_deg': ...}``) on a patient rolled by ``roll_deg``.

    :func:`trainer.core.xray.geometry.view_of_orbital`, the procedure's own definition; without
    a pose, ``fallback`` (the view the event recorded) or ``'oblique'``.
    """
    if pose and "orbital_deg" in pose:
        return view_of_orbital(float(pose["orbital_deg"]), roll_deg)
    return fallback or "oblique"


@dataclass
class StreamState:
    """The procedure as the event stream has described it so far (read-only for metrics)."""

    t_s: float = 0.0
    pose: dict | None = None
    side: str | None = None
    placed: bool = False
    tip_mm: np.ndarray | None = None
    prev_tip_mm: np.ndarray | None = None
    tissue: str | None = None
    entered_bone: bool = False
    bone_entry_t_s: float | None = None
    mixed_t_s: float | None = None
    injecting: bool = False
    injected_ml: float = 0.0
    in_body_ml: float = 0.0
    leaked_ml: float = 0.0
    posterior_extent_fraction: float | None = None   #: depth fraction of the most posterior cement
    shots: int = 0
    proceeded: bool = False
    finished: bool = False
    #: bipedicular approach: side -> last tip (mm) of that side's trocar; side -> mL pushed through it;
    #: side -> leak types that appeared while that side was injecting
    side_tips_mm: dict = field(default_factory=dict)
    side_injected_ml: dict = field(default_factory=dict)
    side_leaks: dict = field(default_factory=dict)

    def update(self, kind: str, t_s: float, d: dict) -> None:
        """Advance the state by one event (called by the engine before the metrics see it)."""
        self.t_s = max(self.t_s, float(t_s))
        if kind == "carm_moved":
            self.pose = d.get("pose")
        elif kind == "shot":
            self.shots += 1
            if d.get("pose"):
                self.pose = d["pose"]
        elif kind == "trocar_placed":
            self.side = d.get("side")
            self.placed = True
            self.proceeded = True
            tip = d.get("skin_mm") or d.get("entry_mm")
            self.tip_mm = np.asarray(tip, float) if tip is not None else None
            self.tissue = "skin"
            self.side_tips_mm[self.side] = self.tip_mm
        elif kind == "trocar_selected":           # the other trocar of a bipedicular approach
            self.side = d.get("side")
            self.prev_tip_mm = self.tip_mm
            self.tip_mm = np.asarray(d["tip_mm"], float) if d.get("tip_mm") is not None else None
            self.tissue = d.get("tissue")
        elif kind == "trocar_moved":
            self.prev_tip_mm = self.tip_mm
            if d.get("tip_mm") is not None:
                self.tip_mm = np.asarray(d["tip_mm"], float)
            self.tissue = d.get("tissue")
            if d.get("removed"):
                self.side_tips_mm.pop(self.side, None)
            else:
                self.side_tips_mm[self.side] = self.tip_mm
            if not self.entered_bone and tissue_class(self.tissue) == "bone":
                self.entered_bone = True
                self.bone_entry_t_s = float(t_s)
        elif kind == "wall_crossed":
            if d.get("inward") and not self.entered_bone and tissue_class(d.get("tissue_to")) == "bone":
                self.entered_bone = True
                self.bone_entry_t_s = float(t_s)
        elif kind == "cement_mixed":
            self.mixed_t_s = float(t_s)
            self.proceeded = True
        elif kind == "cement_injected":
            self.injecting = True
            self.proceeded = True
            self.injected_ml = float(d.get("injected_ml", self.injected_ml + float(d.get("ml", 0.0))))
            self.in_body_ml = float(d.get("in_body_ml", self.in_body_ml))
            self.leaked_ml = float(d.get("leaked_ml", self.leaked_ml))
            if d.get("posterior_extent_fraction") is not None:
                self.posterior_extent_fraction = float(d["posterior_extent_fraction"])
            self.side_injected_ml[self.side] = self.side_injected_ml.get(self.side, 0.0) + float(d.get("ml", 0.0))
        elif kind == "leak":
            self.side_leaks.setdefault(self.side, []).append(d.get("type"))
        elif kind == "finished":
            self.finished = True


class Metric(abc.ABC):
    """Base class of a metric plugin.  Subclasses set ``id`` and override the hooks."""

    id: ClassVar[str] = ""

    def __init__(self) -> None:
        self._ctx: ScoringContext | None = None
        self._spec: MetricSpec | None = None

    @property
    def ctx(self) -> ScoringContext:
        """The scoring context given to :meth:`reset` (RuntimeError before that)."""
        if self._ctx is None:
            raise RuntimeError(f"metric {self.id!r} used before reset(context)")
        return self._ctx

    @property
    def spec(self) -> MetricSpec:
        """This metric's row of the target table (RuntimeError before :meth:`reset`)."""
        if self._spec is None:
            raise RuntimeError(f"metric {self.id!r} used before reset(context)")
        return self._spec

    # -- streaming interface -------------------------------------------------------
    def reset(self, context: ScoringContext) -> None:
        """Start over for a new procedure with ``context``."""
        self._ctx = context
        self._spec = context.targets[self.id]
        self._reset()

    def use_context(self, context: ScoringContext) -> None:
        """Go on with ``context`` keeping the running values (the same procedure's final context)."""
        self._ctx = context
        self._spec = context.targets[self.id]

    def _reset(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Clear the metric's own running values (override)."""

    def update(self, event, state: StreamState) -> None:  # noqa: B027 - optional hook
        """See one event (``event.kind``, ``event.t_s``, ``event.data``)."""

    @abc.abstractmethod
    def result(self) -> MetricResult:
        """The metric's value, status and detail after the events seen so far."""

    # -- helpers for subclasses ----------------------------------------------------
    def make(self, value, status: str | None = None, detail: str = "") -> MetricResult:
        """A result for ``value``; ``status`` defaults to the band status of ``value``."""
        spec = self.spec
        if status is None:
            status = band_status(None if value is None else float(value), spec)
        return MetricResult(id=spec.id, name=spec.name, value=value, unit=spec.unit, target=spec.target,
                            status=status, source=spec.source, weight=spec.weight,
                            critical_failed=bool(spec.critical and status == "fail"), detail=detail,
                            group=spec.group)

    def missing(self, what: str) -> MetricResult:
        """The result when the measured thing never happened.

        If the patient should have been treated, not doing it fails; if the correct
        decision was to defer or decline, the metric does not apply.
        """
        if self.ctx.procedure_expected:       # a step not taken is no safety violation: never critical
            return replace(self.make(None, "fail", f"not done: {what}"), critical_failed=False)
        return self.make(None, "n/a", f"{NOT_TREATED_PREFIX}{what} (the patient was not to be treated)")


def fmt(v: float | None, nd: int = 1) -> str:
    """Format a number for a detail string (``'-'`` for None)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{nd}f}"
