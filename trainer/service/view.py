"""What the window draws, read from the procedure where it lives (no Qt here).

The core runs in its own process (:mod:`trainer.service.process`); after every action it
reads the procedure into a frozen :class:`ProcedureView` and sends that (and the shot
image) to the window.  :func:`debrief_cuts` makes the reveal cuts of the debrief there too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from trainer.core.scenario.build import patient_for
from trainer.core.scenario.rheology import Rheology, get_product
from trainer.core.scoring.tip_zone import tip_zone
from trainer.core.xray.geometry import Pose
from trainer.service.reveal import reveal_slices

__all__ = ["TrocarView", "CementView", "ProcedureView", "build_view", "patient_with_progress", "debrief_cuts",
           "series_z0_mm"]


@dataclass(frozen=True)
class TrocarView:
    side: str
    gauge: int
    depth_mm: float
    length_mm: float
    tissue: str
    tip_mm: tuple
    direction: tuple
    #: the zone in words and its colour level (:func:`trainer.core.scoring.tip_zone.tip_zone`)
    zone: str = ""
    zone_level: str = ""


@dataclass(frozen=True)
class CementView:
    mixed: bool
    since_mix_s: float
    phase: str
    consistency: str
    injected_ml: float
    can_inject: bool
    #: phase boundaries of the scenario's product, minutes after mixing (``Rheology.windows_min``)
    windows_min: dict = field(default_factory=dict)
    product: str = ""
    #: the most posterior cement in the body as a depth fraction (0 posterior wall, 1 anterior; None: none), what
    #: the lateral shows; the scripted expert's stop rule reads it (until round 24 the window's expert never stopped)
    posterior_extent_fraction: float | None = None


@dataclass(frozen=True)
class ProcedureView:
    """Everything the window draws, read from the procedure after an action (immutable)."""

    t_s: float
    stage: str
    shots: int
    fluoro_s: float
    dap_gycm2: float
    pose: Pose
    view: str
    biplane: bool
    trocar: TrocarView | None
    cement: CementView
    decisions: dict
    finished: bool
    images: dict = field(default_factory=dict)    #: view -> ShotImage (last-image-hold)
    n_actions: int = 0
    #: every trocar in the patient, side -> TrocarView (bipedicular: both); ``trocar`` is the active one
    trocars: dict = field(default_factory=dict)
    #: the side aim, advance and inject act on (None before the first placement)
    active_side: str | None = None
    #: mL pushed through each side's cannula (docs/procedure.md, "Two trocars")
    side_cement_ml: dict = field(default_factory=dict)


def build_view(p) -> ProcedureView:
    """Read procedure ``p`` into a :class:`ProcedureView` (where the procedure lives)."""
    trocars = {side: _trocar_view(p, tr) for side, tr in sorted(getattr(p, "trocars", {}).items())}
    trocar = trocars.get(p.trocar.side) if p.trocar is not None else None
    c = p.cement
    windows, product = _product_windows(getattr(p.scenario, "cement_product", "default"),
                                        tuple(sorted((getattr(p.scenario, "cement_overrides", None) or {}).items())))
    if c is None or p.mixed_at_s is None:
        cement = CementView(False, 0.0, "unmixed", "", 0.0, False, windows, product)
    else:
        t = p.t_s
        phase = str(c.phase(t))
        consistency = c.consistency(t) if hasattr(c, "consistency") else ""
        cement = CementView(True, float(t - p.mixed_at_s), phase, str(consistency), float(c.injected_ml),
                            phase not in ("unmixed", "set") and trocar is not None, windows, product,
                            c.posterior_extent_fraction)
    decisions = dict(p.decisions)
    d = p.dose
    return ProcedureView(t_s=float(p.t_s), stage=str(p.phase), shots=int(d.shots), fluoro_s=float(d.fluoro_s),
                         dap_gycm2=float(d.dap_gycm2), pose=p.pose, view=p.view,
                         biplane=bool(p.biplane), trocar=trocar, cement=cement,
                         decisions=decisions, finished=bool(p.finished), images=dict(p.last_images),
                         n_actions=int(p.accepted_count), trocars=trocars,
                         active_side=getattr(p, "active_side", None),
                         side_cement_ml={k: float(v["injected_ml"])
                                         for k, v in sorted(getattr(p, "side_cement", {}).items())})


def _trocar_view(p, tr) -> TrocarView:
    zone = tip_zone(p.patient.landmarks, tr.tip_mm, tr.tissue)
    return TrocarView(tr.side, int(tr.gauge), float(tr.depth_mm), float(tr.length_mm),
                      str(tr.tissue), tuple(float(v) for v in tr.tip_mm),
                      tuple(float(v) for v in tr.direction), zone.text, zone.level)


@functools.lru_cache(maxsize=16)
def _product_windows(product: str, overrides: tuple) -> tuple[dict, str]:
    """Phase boundaries (min after mixing) and title of a scenario's cement product."""
    ov = dict(overrides)
    temperature_c = ov.pop("temperature_c", None)
    prod = get_product(product).with_overrides(ov)
    return Rheology(prod, temperature_c).windows_min(), str(prod.title or prod.name)


def patient_with_progress(scenario, progress):
    """:func:`~trainer.core.scenario.build.patient_for` with progress texts for the window.

    ``progress(fraction, text)`` is called as the core reports (CT slices, labelling).
    """
    what = "Reading the patient CT" if getattr(scenario, "ct", None) is not None else "Building the patient"
    progress(0.02, f"{what}…")

    def core_progress(fraction, message):
        progress(0.02 + 0.85 * float(fraction), f"{what}: {message}")

    return patient_for(scenario, progress=core_progress)



def debrief_cuts(procedure):
    """Reveal cuts through the final trocar tip (or the last tip before it was removed)."""
    tr = procedure.trocar
    cement_kji = leak_kji = None
    c = procedure.cement
    if c is not None and c.injected_ml > 0:
        cement_kji = c.deposit().ijk
        leak_kji = c.leak_voxels_kji()          # the voxels the leak table books (canal/foramen by site)
    breach = worst_breach(procedure.events)
    z0 = series_z0_mm(procedure.scenario)
    if tr is not None:
        return reveal_slices(procedure.patient, tr.skin_mm, tr.direction, tr.tip_mm, cement_kji, leak_kji,
                             breach=breach, series_z0_mm=z0)
    last = withdrawn_trocar(procedure.events)
    if last is None:
        return reveal_slices(procedure.patient, None, None, None, cement_kji, leak_kji, series_z0_mm=z0)
    skin, tip = last
    return reveal_slices(procedure.patient, skin, (tip - skin) / np.linalg.norm(tip - skin), tip, cement_kji,
                         leak_kji, withdrawn=True, breach=breach, series_z0_mm=z0)


def series_z0_mm(scenario) -> float | None:
    """The CT series' z (DICOM patient mm) of a real-CT patient's z = 0, its ``[ct] body_centre_mm`` (the
    patient is read recentred on it, :func:`trainer.core.anatomy.ct_labels.recentre`).

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario.

    Returns
    -------
    float or None
        The series' z (mm) of the patient model's z = 0; None for a synthetic patient.
    """
    ct = getattr(scenario, "ct", None)
    return None if ct is None else float(ct.landmarks["body_centre_mm"][2])


def worst_breach(events) -> tuple[np.ndarray, str] | None:
    """(tip mm, words) of the deepest graded breach of a wall the session recorded; None without one."""
    worst = max((e.data for e in events if e.kind == "breach" and e.data.get("tip_mm") is not None
                 and int(e.data.get("grade") or 0) > 0), key=lambda d: float(d.get("breach_mm") or 0.0), default=None)
    if worst is None:
        return None
    wall = str(worst.get("wall") or "wall").replace("_", " ")
    words = (f"worst breach ringed red: {worst.get('side') or ''} {wall}, {float(worst['breach_mm']):.1f} mm, "
             f"Gertzbein-Robbins grade {int(worst['grade'])}").replace("  ", " ")
    return np.asarray(worst["tip_mm"], float), words


def withdrawn_trocar(events) -> tuple[np.ndarray, np.ndarray] | None:
    """(skin mm, deepest tip mm) of the last trocar placed, from the session's events; None without one.

    A trocar withdrawn before Finish is no longer in the procedure; the debrief's cuts go through its deepest
    tip so a breach on the way in is still in the picture (until round 25 they went through the body centre).
    """
    skin, tip, depth = None, None, -np.inf
    for e in events:
        if e.kind == "trocar_placed" and e.data.get("skin_mm") is not None:
            skin, tip, depth = np.asarray(e.data["skin_mm"], float), None, -np.inf
        elif e.kind == "trocar_moved" and skin is not None and e.data.get("tip_mm") is not None \
                and float(e.data.get("depth_mm", 0.0)) > depth:
            tip, depth = np.asarray(e.data["tip_mm"], float), float(e.data.get("depth_mm", 0.0))
    if skin is None or tip is None or np.linalg.norm(tip - skin) < 1e-6:
        return None
    return skin, tip
