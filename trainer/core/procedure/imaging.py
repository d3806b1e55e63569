"""Shots for the procedure: render the anatomy with trocar and cement, expose, hash.

A thin layer over the X-ray package (:mod:`trainer.core.xray.renderer`,
:mod:`trainer.core.xray.detector`): it chooses the tube potential for the view
(scenario ``kvp_ap`` / ``kvp_lateral``), builds the trocar shape, and fingerprints the
image so that replays can be checked bit for bit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from trainer.core.procedure.state import ShotImage, view_of
from trainer.core.scenario.model import CArmSettings
from trainer.core.xray.detector import ABC_RANGE, ABC_REFERENCE_LOG, expose
from trainer.core.xray.dose import shot_dose
from trainer.core.xray.geometry import CArmGeometry, Pose
from trainer.core.xray.renderer import FluoroRenderer
from trainer.core.xray.shapes import TrocarShape

__all__ = ["Imager", "Shot", "image_sha256"]


def image_sha256(pixels: np.ndarray) -> str:
    """SHA-256 of a float32 image's bytes (C order)."""
    return hashlib.sha256(np.ascontiguousarray(pixels, np.float32).tobytes()).hexdigest()


@dataclass(frozen=True)
class Shot:
    """One exposure: the image (None when not rendering), its dose and fingerprint."""

    image: ShotImage | None
    dose: object          #: trainer.core.xray.detector.ShotDose
    view: str
    sha256: str


class Imager:
    """Renders and exposes shots for one patient and C-arm.

    Parameters
    ----------
    patient : Patient
    geometry : CArmGeometry
    carm : CArmSettings
        For the patient roll and the tube potentials.
    render : bool
        False: compute the dose only (no image; ``sha256`` is ``''``).
    renderer : FluoroRenderer, optional
        Share an existing renderer (same patient and geometry).
    """

    def __init__(self, patient, geometry: CArmGeometry, carm: CArmSettings, render: bool = True, renderer=None):
        self.patient = patient
        self.geometry = geometry
        self.carm = carm
        self.render = render
        if renderer is not None and renderer.geometry != geometry:
            raise ValueError("the shared renderer's geometry differs from this procedure's")
        self._renderer = renderer
        self._abc: dict = {}              # (pose, kVp) -> ABC factor (static anatomy only)

    @property
    def renderer(self):
        if self._renderer is None:
            self._renderer = FluoroRenderer(self.patient, self.geometry, patient_roll_deg=self.carm.patient_roll_deg)
        return self._renderer

    def view_of(self, pose: Pose) -> str:
        """'ap', 'lateral' or 'oblique' for ``pose`` on this patient (its roll counts)."""
        return view_of(pose, self.carm.patient_roll_deg)

    def kvp_for(self, pose: Pose) -> float:
        """Tube potential: the scenario's lateral kVp for lateral views, its AP kVp otherwise."""
        return float(self.carm.kvp_lateral if self.view_of(pose) == "lateral" else self.carm.kvp_ap)

    def trocar_shape(self, trocar):
        if trocar is None:
            return None
        return TrocarShape(tip_mm=np.asarray(trocar.tip_mm, float), axis=np.asarray(trocar.direction, float),
                           length_mm=float(trocar.length_mm), outer_diameter_mm=float(trocar.outer_diameter_mm))

    def abc_factor(self, pose: Pose, kvp: float) -> float:
        """Tube output chosen by the automatic brightness control for this pose.

        Computed from the static anatomy only (as :func:`trainer.core.xray.detector.expose`
        does from the whole image: median line integral of the central half of the field,
        relative to the reference patient, within ``ABC_RANGE``), so the dose of a shot is
        the same whether or not the image is rendered.
        """
        key = (pose, round(float(kvp), 3))
        if key in self._abc:
            return self._abc[key]
        n = self.geometry.pixels
        if self.render:                   # the whole image is needed anyway (and cached)
            q = slice(n // 4, n - n // 4, 4)
            central = self.renderer.line_integrals(pose, kvp)[q, q]
        else:                             # only the sampled pixels: same values, a fraction of the work
            idx = np.arange(n // 4, n - n // 4, 4)
            central = self.renderer.line_integrals_at(pose, kvp, idx, idx)
        med = float(np.median(central))
        factor = float(np.clip(np.exp(med - ABC_REFERENCE_LOG), *ABC_RANGE))
        if len(self._abc) >= 64:
            self._abc.pop(next(iter(self._abc)))
        self._abc[key] = factor
        return factor

    def shoot(self, pose: Pose, pulses: int, trocar, deposit, rng, index: int, t_s: float) -> Shot:
        """Expose ``pulses`` pulses in ``pose``; draws the noise from ``rng`` (only when rendering)."""
        view = self.view_of(pose)
        kvp = self.kvp_for(pose)
        abc = self.abc_factor(pose, kvp)
        if not self.render:
            return Shot(None, shot_dose(pulses, kvp, self.geometry, abc_factor=abc), view, "")
        li = self.renderer.render(pose, kvp, trocar=self.trocar_shape(trocar), cement=deposit)
        exp = expose(li, pulses, self.geometry, rng, kvp=kvp, abc=False, dose_scale=abc)
        pixels = np.ascontiguousarray(exp.image, np.float32)
        sha = image_sha256(pixels)
        img = ShotImage(pixels=pixels, pose=pose, view=view, index=index, t_s=float(t_s), sha256=sha)
        return Shot(img, exp.dose, view, sha)
