"""The expert's default cement volume: the one both the fill and the volume targets allow.

FACTS.md 3 ("Recommended simulator defaults", volume target): aim for 15-30 % of the body
volume, which lands at about 3-4 mL in the lower thoracic and 4-6 mL in the lumbar spine; the
score sheet's volume band (assets/scoring_targets.toml ``cement_volume``, 2.5-4 mL, or the
scenario's ``cement_ml_min``/``cement_ml_max``) is critical.  A fixed 3 mL fills a 38 mL lumbar
body to 7.9 % (a failed fill line on a passed demonstration, round 15), so the default follows
the body: the middle of the volumes that pass both bands, or the volume band's maximum when
the fill band asks for more than it allows (the critical limit wins; the fill is then short).
"""

from __future__ import annotations

import math

from trainer.core.procedure.cement.domain import body_volume_ml
from trainer.core.scenario.targets import load_targets

__all__ = ["INJECT_STEP_ML", "default_volume_ml", "expert_volume_ml"]

#: FACTS.md 3 defaults: injection step 0.25 mL per click (1 mL syringe); the default is a whole number of clicks.
INJECT_STEP_ML = 0.25


def default_volume_ml(body_ml: float, fill_pass_pct: tuple[float, float],
                      volume_pass_ml: tuple[float, float]) -> float:
    """The cement volume (mL) that passes both the fill-fraction and the volume bands.

    Parameters
    ----------
    body_ml : float
        Volume of the target vertebral body, mL.
    fill_pass_pct : (lo, hi)
        Fill fraction pass band, % of the body volume.
    volume_pass_ml : (lo, hi)
        Cement volume pass band, mL.

    Returns
    -------
    float
        The whole number of :data:`INJECT_STEP_ML` clicks nearest the middle of ``[lo% * body,
        hi% * body]`` intersected with ``volume_pass_ml`` (the middle itself when no click lies in
        it); the volume band's maximum when the body needs more than it allows (its minimum when
        the body needs less).
    """
    need_lo = fill_pass_pct[0] / 100.0 * body_ml
    need_hi = fill_pass_pct[1] / 100.0 * body_ml
    lo, hi = max(need_lo, volume_pass_ml[0]), min(need_hi, volume_pass_ml[1])
    if lo > hi:                                   # no volume passes both: the critical volume band wins
        return float(volume_pass_ml[1] if need_lo > volume_pass_ml[1] else volume_pass_ml[0])
    mid = 0.5 * (lo + hi)
    clicks = [k * INJECT_STEP_ML for k in range(math.ceil(lo / INJECT_STEP_ML - 1e-9),
                                                   math.floor(hi / INJECT_STEP_ML + 1e-9) + 1)]
    return float(min(clicks, key=lambda v: (abs(v - mid), v)) if clicks else mid)


def expert_volume_ml(scenario, patient) -> tuple[float, str]:
    """:func:`default_volume_ml` of ``scenario``'s target bands and ``patient``'s body.

    The bands are assets/scoring_targets.toml's with the scenario's ``[targets]`` applied, as the
    debrief scores them; the body volume is the one the debrief divides by
    (:func:`~trainer.core.procedure.cement.domain.body_volume_ml`).

    Returns
    -------
    volume_ml : float
        The default volume, mL.
    why : str
        One clause for the command's output, e.g. ``"15-30 % of this 37.8 mL body is 5.7-11.3 mL;
        the cement volume target is 2.5-4 mL"``.
    """
    targets = load_targets().with_overrides(scenario.targets or {}, f"{scenario.path or scenario.id} [targets]")
    body = body_volume_ml(patient)
    fill, vol = targets["fill_fraction"].pass_band, targets["cement_volume"].pass_band
    ml = default_volume_ml(body, fill, vol)
    why = (f"{fill[0]:g}-{fill[1]:g} % of this {body:.1f} mL body is {fill[0] / 100 * body:.1f}-"
           f"{fill[1] / 100 * body:.1f} mL; the cement volume target is {vol[0]:g}-{vol[1]:g} mL")
    return ml, why
