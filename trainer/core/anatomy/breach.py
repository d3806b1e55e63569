"""Pedicle wall names, Gertzbein-Robbins breach grades and the medial-breach tolerance.

The one home of these facts: the procedure (:mod:`trainer.core.procedure.walls`) names
the walls the trocar crosses and grades its breaches with them, and scoring (the
medial-wall rule, the breach grade and the canal/foramen metric) classifies the same
millimetres with the same tolerance, so the three never disagree about one path.

A *breach depth* is how far the trocar's outer surface reaches outside the pedicle's
bone, in mm (0 inside).  For the medial wall seen on AP it is the tip axis's excursion
medial to the medial wall line plus the trocar radius (the outer surface leads the axis
by one radius).

Tolerance (FACTS.md 2, Gertzbein-Robbins): grade 1 (under 2 mm) breaches are the
"within tolerance" class; from 2 mm (grade 2) a medial breach reaches the canal's
epidural space and counts as a canal breach.  Breaches over 4 mm were linked to
neurological deficits (FACTS.md 2).
"""

from __future__ import annotations

__all__ = ["PEDICLE_WALLS", "MEDIAL_WALL", "MEDIAL_BREACH_TOLERANCE_MM", "TOLERANCE_SOURCE", "gr_grade",
           "is_pedicle_wall", "wall_direction", "breach_class", "medial_breach_mm"]

#: The four pedicle walls, as the procedure names them in ``wall_crossed`` and ``breach`` events.
PEDICLE_WALLS = ("pedicle_medial", "pedicle_lateral", "pedicle_superior", "pedicle_inferior")
MEDIAL_WALL = "pedicle_medial"

#: Breach depth (mm) up to which a pedicle breach is "within tolerance" (Gertzbein-Robbins
#: grade 1 is a breach under 2 mm; FACTS.md 2).
MEDIAL_BREACH_TOLERANCE_MM = 2.0
TOLERANCE_SOURCE = "FACTS.md 2 (Gertzbein-Robbins: grade 1 under 2 mm; over 4 mm linked to deficits)"


def gr_grade(breach_mm: float | None) -> int:
    """Gertzbein-Robbins grade of a breach depth (mm): 0 none, 1 < 2 mm, 2 2-4 mm, 3 > 4 mm (FACTS.md 2)."""
    b = 0.0 if breach_mm is None else float(breach_mm)
    if b <= 0.0:
        return 0
    if b < 2.0:
        return 1
    if b <= 4.0:
        return 2
    return 3


def is_pedicle_wall(name: str | None) -> bool:
    """True when ``name`` is exactly one of :data:`PEDICLE_WALLS` (no substring matching)."""
    return name in PEDICLE_WALLS


def wall_direction(name: str | None) -> str | None:
    """'medial', 'lateral', 'superior' or 'inferior' for a pedicle wall name, else None."""
    return name.split("_", 1)[1] if name is not None and is_pedicle_wall(name) else None


def breach_class(breach_mm: float | None, tolerance_mm: float = MEDIAL_BREACH_TOLERANCE_MM) -> str:
    """``'none'`` (<= 0 mm), ``'within tolerance'`` (< ``tolerance_mm``) or ``'breach'``."""
    b = 0.0 if breach_mm is None else float(breach_mm)
    if b <= 0.0:
        return "none"
    return "within tolerance" if b < float(tolerance_mm) else "breach"


def medial_breach_mm(tip_excursion_mm: float, radius_mm: float) -> float:
    """Breach depth (mm) of the outer surface when the tip axis is ``tip_excursion_mm`` medial
    to the medial wall line (negative: still lateral to it), for a trocar of ``radius_mm``."""
    return max(0.0, float(tip_excursion_mm) + float(radius_mm))
