"""What a CT series' slice thickness allows: the one limit between thin and thick series.

On slices up to :data:`THIN_SLICE_MAX_MM` a lumbar disc, 6.6-9.3 mm high at its middle (FACTS.md 1.4), spans
two or three slices between its endplate rims, so its own darker middle is seen as a trough and an endplate's
brightest slice can be walked onto.  On thicker slices a disc and both its rims share a slice or two: no
trough, and the rules that need one went wrong there (docs/realct-log.md: the chest CT at 5 mm numbered T4 as
T5 counting from T12; the abdominal CT at 5 mm had L1's lower plate moved 14 mm, pedicle Dice 0.75 -> 0.37,
while its 6 mm L2 gained, body Dice 0.07 -> 0.59: pass 104).  The rules that hold only on thin series read
this limit: the column's numbering reach and lumbar disc placement (:mod:`~trainer.core.anatomy.ct_spine`),
the endplate walk and the plates found again from the discs (:mod:`~trainer.core.anatomy.ct_plates`,
:mod:`~trainer.core.scenario.ct_import_landmarks`).
"""

from __future__ import annotations

__all__ = ["THIN_SLICE_MAX_MM", "is_thin_slice"]

#: a series is thin up to this slice spacing (mm): the abdominal CT's 3 mm is, its 5 and 6 mm
#: reslices are not (the chest CT's 2.5 mm is)
THIN_SLICE_MAX_MM = 3.0


def is_thin_slice(slice_mm: float) -> bool:
    """Whether slices ``slice_mm`` (mm) apart are thin enough for the rules that need a disc's trough.

    Parameters
    ----------
    slice_mm : float
        The series' slice spacing along z (mm).

    Returns
    -------
    bool
        True for spacings up to :data:`THIN_SLICE_MAX_MM` (inclusive).
    """
    return float(slice_mm) <= THIN_SLICE_MAX_MM
