"""What the procedures of one batch on the same case share: the patient, its wall model and its renderers.

A batch plays or replays many procedures on one case in one process (the validity table:
every variant and seed; ``assess`` of many sessions).  The patient (read from the on-disk
cache and verified), the wall model and the renderer's volumes depend on the case only, and
each took about 0.1-0.5 s of CPU per procedure when every procedure built its own; the
procedures themselves (generators, trocars, cement, dose) stay fresh.  Sharing them changes
no number: the renderer and the wall model are built for sharing
(:class:`~trainer.core.procedure.machine.Procedure`'s ``renderer`` and ``walls``), the patient
is only read, and the cement domain (:func:`~trainer.core.procedure.cement.domain.domain_for`)
and the posterior outline are cached on it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.walls import WallModel
from trainer.core.scenario.model import Scenario
from trainer.core.xray.renderer import FluoroRenderer

__all__ = ["SharedParts", "shared_parts"]

_KEEP = 2                                  #: cases kept per process (a batch plays one or two at a time)
_PARTS: OrderedDict[str, SharedParts] = OrderedDict()


class SharedParts:
    """The patient of one case with its wall model and a renderer per C-arm geometry and patient roll.

    Parameters
    ----------
    patient : Patient
        Read only by the procedures made here.
    """

    def __init__(self, patient):
        self.patient = patient
        self.walls = WallModel(patient)
        self._renderers: dict[tuple, FluoroRenderer] = {}

    def procedure(self, scenario: Scenario, seed: int | None = None, *, render: bool = True,
                  pixels: int | None = None, keep_events: bool = True) -> Procedure:
        """A fresh :class:`Procedure` of ``scenario`` on the shared patient, wall model and renderer.

        Parameters
        ----------
        scenario : Scenario
            A scenario of this patient's case.
        seed : int, optional
            The procedure's seed (default: the scenario's).
        render, pixels, keep_events
            As :class:`Procedure` (``pixels``: detector pixels per side, default the scenario's).
        """
        geometry = scenario.carm.geometry if pixels is None else scenario.carm.geometry.with_pixels(pixels)
        key = (geometry, float(scenario.carm.patient_roll_deg))
        renderer = self._renderers.get(key)
        if renderer is None:
            renderer = self._renderers[key] = FluoroRenderer(self.patient, geometry, patient_roll_deg=key[1])
        return Procedure(scenario, seed=seed, patient=self.patient, render=render, pixels=pixels,
                         renderer=renderer, walls=self.walls, keep_events=keep_events)


def shared_parts(key: str, make_patient: Callable[[], object]) -> SharedParts:
    """The parts of the case ``key`` built in this process, else ``make_patient()``'s (kept for later calls).

    Parameters
    ----------
    key : str
        Names the patient exactly (e.g. :func:`~trainer.core.anatomy.cache.patient_key` of a synthetic
        anatomy, or a scenario file's path and SHA-256).
    make_patient : callable
        Builds the patient when the case is not held (the last ``_KEEP`` cases are).
    """
    parts = _PARTS.get(key)
    if parts is None:
        parts = _PARTS[key] = SharedParts(make_patient())
        while len(_PARTS) > _KEEP:
            _PARTS.popitem(last=False)
    else:
        _PARTS.move_to_end(key)
    return parts
