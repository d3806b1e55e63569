"""Is the labelled vertebra shaped like one?  Its body's front height and its pedicles' height, read on the patient.

Two tests on what :func:`~trainer.core.anatomy.ct_patient.patient_from_ct` measured on the CT around the
estimated landmarks (``Landmarks``), each a property a vertebra keeps (docs/realct-log.md pass 220, round 43):

* the body's front is not much lower than its middle: the body label's height at the front (``anterior_height_mm``)
  is at least :data:`MIN_FRONT_OF_MIDDLE` of its height at the centre (``middle_height_mm``).  A wedge fracture
  lowers the front most, and its middle with it: a front that lost 75 % of the posterior height in a straight
  wedge keeps 0.4 of the middle (0.25 / 0.625), past Genant's grade 3 (40 % or more lost, FACTS.md 1.6).  On the
  abdominal CT turned -20 and +10 deg about the long axis the label of L1's body is 6.0 mm tall at the front and
  24.0 mm at the centre (0.25): 5-10 mm of bone behind the front wall (80-120 HU, as the centre's) left out of it
  (body Dice 0.71 / 0.75 against the turned TotalSegmentator mask, unwarned until round 43).
* each pedicle is at least :data:`MIN_PEDICLE_HEIGHT_FRACTION` of the level's pedicle height tall (the level
  table, ``assets/morphometry.csv``; L5 12.9 +/- 1.9 mm on CT in 196 patients, FACTS.md 1.2: a third is 4.5 SD
  under the mean).  The height is the bone's above and below the fitted pedicle axis (``ct_pedicle_axis``): on the
  abdominal CT turned +15 deg L5's right pedicle is 3.2 mm tall (pedicle Dice 0.07 / 0.06, unwarned until round 43).
"""

from __future__ import annotations

from trainer.core.anatomy.morphometry import level_row

__all__ = ["MIN_FRONT_OF_MIDDLE", "MIN_PEDICLE_HEIGHT_FRACTION", "front_height_problem", "pedicle_height_problem"]

#: the body label's height at its front is at least this fraction of its height at the centre (a straight wedge
#: that lost 75 % of its front: 0.25 / 0.625 = 0.4).  On the real CTs the levels labelled well, turned or not, hold
#: 0.64 or more (the abdominal L5 turned -15 deg; the accuracy table's rows 0.73, its L5), the poor L1 turned -20 and
#: +10 deg 0.25
MIN_FRONT_OF_MIDDLE = 0.4
#: each pedicle's measured height is at least this fraction of the level table's pedicle height.  On the real CTs the
#: levels labelled well (body Dice 0.8 or more, both pedicles' 0.3 or more against the mask), turned or not, measure
#: 0.42 or more (the chest turned -5 deg, T11: 6.3 mm of the table's 15.0, a thoracic height not verified, FACTS.md
#: 1.2); the poor L5 turned +15 deg 0.25 (3.2 mm).  Between the two
MIN_PEDICLE_HEIGHT_FRACTION = 1.0 / 3.0


def front_height_problem(landmarks) -> tuple[str, str]:
    """``("front", ...)`` when the labelled body's front is lower than :data:`MIN_FRONT_OF_MIDDLE` of its middle,
    else ``("", "")``.

    Parameters
    ----------
    landmarks : Landmarks
        The labelled patient's landmarks (``anterior_height_mm`` and ``middle_height_mm``, mm).

    Returns
    -------
    tuple of str
        The problem's kind and one clause naming both heights (mm) and the bound.
    """
    front_mm, middle_mm = float(landmarks.anterior_height_mm), float(landmarks.middle_height_mm)
    if middle_mm <= 0.0 or front_mm >= MIN_FRONT_OF_MIDDLE * middle_mm:
        return "", ""
    return "front", (f"its body's label is {front_mm:.1f} mm tall at the front, {front_mm / middle_mm:.2f} of its "
                     f"height at the centre ({middle_mm:.1f} mm; a wedged body's front: at least "
                     f"{MIN_FRONT_OF_MIDDLE:g} of it): the front of the body was left out of its label")


def pedicle_height_problem(landmarks, level: str) -> tuple[str, str]:
    """``("pedicle height", ...)`` when a pedicle measured on the labelled bone is lower than
    :data:`MIN_PEDICLE_HEIGHT_FRACTION` of the level's pedicle height, else ``("", "")``.

    Parameters
    ----------
    landmarks : Landmarks
        The labelled patient's landmarks (each pedicle's ``height_mm``, mm).
    level : str
        Target level (its row of the level table).

    Returns
    -------
    tuple of str
        The problem's kind and one clause naming the pedicle's height and the level's (mm).
    """
    table_mm = float(level_row(level).pedicle_height_mm)
    low = [(side, float(getattr(landmarks, f"pedicle_{side}").height_mm)) for side in ("left", "right")]
    low = [(side, mm) for side, mm in low if mm < MIN_PEDICLE_HEIGHT_FRACTION * table_mm]
    if not low:
        return "", ""
    said = " and ".join(f"its {side} pedicle is {mm:.1f} mm tall" for side, mm in low)
    return "pedicle height", (f"{said} (the {level} pedicle: {table_mm:g} mm; at least "
                              f"{MIN_PEDICLE_HEIGHT_FRACTION:.2f} of it): a pedicle was labelled on a thin bar of bone "
                              "beside it")
