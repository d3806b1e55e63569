"""The C-arm tilt a true AP of the target body needs, in an instructor's words.

The true AP's tilt runs along the endplates (the scoring's "True AP before access: endplates" measures how far
the last AP before access lay outside the span of the two endplate inclinations).  On a patient CT the labelled
body can lean: the abdominal CT's L2 from 5 mm slabs has both endplates at -9.0 deg, where the same CT at 3 mm
gives 0 and -8.5 deg (a span holding 0: no tilt needed).  ``scenarios show`` says which, so an instructor knows
before teaching that squaring the orbital angle alone is not a true AP there (round 41, pass 211).
"""

from __future__ import annotations

from trainer.core.anatomy.endplates import endplate_inclinations_deg
from trainer.core.procedure.expert_plan import squaring_tilt_deg
from trainer.core.scenario.targets import load_targets

__all__ = ["true_ap_tilt", "true_ap_tilt_line"]


def true_ap_tilt(patient) -> dict:
    """The target body's endplate inclinations and the C-arm tilt that squares them.

    Parameters
    ----------
    patient : Patient
        The built patient (its label volume when it has one, else its landmarks).

    Returns
    -------
    dict
        ``endplate_inclinations_deg``: [inferior, superior], deg, positive rising posteriorly
        (:func:`~trainer.core.anatomy.endplates.endplate_inclinations_deg`); ``tilt_deg``: the tilt the expert
        plan takes (:func:`~trainer.core.procedure.expert_plan.squaring_tilt_deg`; positive: beam cranial), deg;
        ``off_at_zero_deg``: how far an untilted AP lies outside the inclinations' span, deg (0 when the span
        holds 0).
    """
    inf, sup = endplate_inclinations_deg(patient)
    lo, hi = sorted((inf, sup))
    off = lo if lo > 0.0 else (-hi if hi < 0.0 else 0.0)
    return {"endplate_inclinations_deg": [round(inf, 2), round(sup, 2)], "tilt_deg": round(squaring_tilt_deg((inf, sup)), 2),
            "off_at_zero_deg": round(off, 2)}


def true_ap_tilt_line(tilt: dict, level: str, targets=None) -> str:
    """One line for ``scenarios show``: the endplates' lean and the tilt the true AP needs.

    Parameters
    ----------
    tilt : dict
        :func:`true_ap_tilt`'s result (deg).
    level : str
        The target level, e.g. ``'L2'``.
    targets : Targets, optional
        The scoring targets (default: the project's table); ``ap_tilt_error``'s bands say whether an untilted AP
        fails or warns.

    Returns
    -------
    str
        E.g. "true AP tilt -9.0 deg (caudal): the L2's endplates lean -9.0 deg (inferior) and -9.0 deg (superior)
        ..."; for a span holding 0, that no tilt is needed.
    """
    inf, sup = tilt["endplate_inclinations_deg"]
    lean = f"the {level}'s endplates lean {inf:.1f} deg (inferior) and {sup:.1f} deg (superior; positive rising " \
           "towards the back)"
    if not tilt["off_at_zero_deg"]:
        return f"true AP tilt 0 deg: {lean}, a span that holds 0, so an AP squared on the orbital angle alone is true"
    t = float(tilt["tilt_deg"])
    way = "caudal, Ctrl+Down" if t < 0 else "cranial, Ctrl+Up"
    spec = (targets or load_targets())["ap_tilt_error"]
    off = float(tilt["off_at_zero_deg"])
    verdict = ("fails" if off > spec.warn_band[1] else "is warned on" if off > spec.pass_band[1] else "passes")
    return (f"true AP tilt {t:.1f} deg ({way}): {lean}; an AP at tilt 0 is {off:.1f} deg off them and {verdict} "
            f"'{spec.name}' (pass up to {spec.pass_band[1]:g} deg): teach the tilt with this case")
