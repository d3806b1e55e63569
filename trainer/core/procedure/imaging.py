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
from trainer.core.xray.detector import adrc, expose
from trainer.core.xray.display import carm_image
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
        self._abc: dict = {}              # pose -> (kVp, output) of the dose-rate control (static anatomy)

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
        """The TrocarShape of ``trocar`` (None: None; a list of trocars: a tuple of shapes)."""
        if isinstance(trocar, (list, tuple)):
            return tuple(self.trocar_shape(t) for t in trocar)
        if trocar is None:
            return None
        return TrocarShape(tip_mm=np.asarray(trocar.tip_mm, float), axis=np.asarray(trocar.direction, float),
                           length_mm=float(trocar.length_mm), outer_diameter_mm=float(trocar.outer_diameter_mm))

    def technique(self, pose: Pose) -> tuple[float, float]:
        """``(kVp, tube output)`` the automatic dose-rate control picks for this pose.

        :func:`trainer.core.xray.detector.adrc` on the static anatomy only (the sampled
        pixels of the central half of the field), starting from the scenario's kVp for the
        view, so the dose of a shot is the same whether or not the image is rendered.
        """
        if pose in self._abc:
            return self._abc[pose]
        n = self.geometry.pixels
        q = slice(n // 4, n - n // 4, 4)
        idx = np.arange(n // 4, n - n // 4, 4)
        if self.render:                   # the whole image is needed anyway (and cached)
            central = lambda k: self.renderer.line_integrals(pose, k)[q, q]          # noqa: E731
        else:                             # only the sampled pixels: same values, a fraction of the work
            central = lambda k: self.renderer.line_integrals_at(pose, k, idx, idx)   # noqa: E731
        tech = adrc(central, self.kvp_for(pose))
        if len(self._abc) >= 64:
            self._abc.pop(next(iter(self._abc)))
        self._abc[pose] = tech
        return tech

    def abc_factor(self, pose: Pose, kvp: float | None = None) -> float:
        """Tube output of :meth:`technique` (``kvp`` is ignored: the control picks it)."""
        return self.technique(pose)[1]

    def shoot(self, pose: Pose, pulses: int, trocar, deposit, rng, index: int, t_s: float,
              field_mm: tuple | None = None, iris_mm: float | None = None) -> Shot:
        """Expose ``pulses`` pulses in ``pose``; draws the noise from ``rng`` (only when rendering).

        ``field_mm`` (shutters, width x height at the detector) and ``iris_mm`` collimate the
        beam: the DAP falls in proportion to the open area.  The stored image is the C-arm's
        processed picture (:func:`trainer.core.xray.display.carm_image`: 0 white, 1 black,
        side marker burned in).
        """
        view = self.view_of(pose)
        kvp, abc = self.technique(pose)
        if not self.render:
            return Shot(None, shot_dose(pulses, kvp, self.geometry, field_mm, abc, 1.0, iris_mm), view, "")
        li, metal = self.renderer.render_shot(pose, kvp, trocar=self.trocar_shape(trocar), cement=deposit)
        exp = expose(li, pulses, self.geometry, rng, kvp=kvp, abc=False, dose_scale=abc, field_mm=field_mm,
                     iris_mm=iris_mm)
        pixels = carm_image(exp.image, exp.field_mask, self.geometry.pixel_mm,
                            pose.orbital_deg - self.carm.patient_roll_deg, metal=metal)
        pixels = np.ascontiguousarray(pixels, np.float32)
        sha = image_sha256(pixels)
        img = ShotImage(pixels=pixels, pose=pose, view=view, index=index, t_s=float(t_s), sha256=sha)
        return Shot(img, exp.dose, view, sha)
