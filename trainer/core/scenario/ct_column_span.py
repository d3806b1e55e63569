"""Do the estimated endplates fit between the vertebra's neighbours?  The column's own spacing, read on the patient.

A vertebral body and one disc fill the distance between the centres of two neighbouring vertebrae, so a body's
endplates lie closer together than its neighbours' centres lie apart.  The column
(:func:`~trainer.core.anatomy.ct_spine.detect_column`, which numbers the level) gives each vertebra's body centre; its
neighbours' distance from the target's, averaged over the one above and the one below, is the target's pitch.  An
estimate whose endplates lie more than :data:`MAX_SPAN_OF_PITCH` of that pitch apart took a disc (or part of the next
body) into the body (docs/realct-log.md pass 220, round 43): on the chest CT turned about the long axis by -20, -5, +5,
+10 and +20 deg, T10's endplates lay 27.6-30.0 mm apart where its neighbours' centres lie 21.9-25.0 mm from its own
(1.19-1.37 times; body Dice 0.74-0.78 against the turned TotalSegmentator mask, the endplates up to 3.8 mm above and
6.2-7.6 mm below the mask's), unwarned until round 43: under the level table's limit
(:func:`~trainer.core.scenario.ct_plausible.endplate_span_limit_mm`, 32.3 mm at 2.5 mm slices), which must hold the
tallest T10 of any patient.  Said only where the column is at hand (``import-ct`` and the landmark editor), and on
series of at most :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM` mm slices: on the chest with two
slices averaged (5 mm) the well labelled T12's endplates lie 30.0 mm apart, 1.23 times its pitch (each plate found on
a 5 mm lattice; the mask's 27.5 mm, body Dice 0.85), and thick series have their own lines (``ct_thick_trust``).
"""

from __future__ import annotations

from trainer.core.anatomy.ct_labels import ACQUIRED_CENTRE_FROM_MM
from trainer.core.anatomy.morphometry import COLUMN_ORDER

__all__ = ["MAX_SPAN_OF_PITCH", "column_pitch_mm", "plates_past_neighbours_note"]

#: the estimated endplates lie at most this fraction of the column's pitch apart.  On the real CTs every level labelled
#: well (body Dice 0.8 or more, both pedicles' 0.3 or more against the mask), turned or not, on thin slices, at most
#: 1.10 (the chest turned +10 deg, T12: 27.5 mm between plates, its neighbours 25.0 mm away; the accuracy table's
#: rows 1.05 at most); the poor T10 turned +5 deg 1.19, the least of the poor T10s.  Between the two: half a 2.5 mm
#: slice from either
MAX_SPAN_OF_PITCH = 1.15
_PLATES = ("superior_endplate_z_mm", "inferior_endplate_z_mm")


def column_pitch_mm(column, level: str) -> float | None:
    """The mean distance (z, mm) from ``level``'s body centre to its numbered neighbours' in ``column``, or None
    when the column does not number ``level`` or any neighbour of it.

    Parameters
    ----------
    column : Column
        The detected column (its vertebrae's ``level`` and ``body_centre_mm``, mm).
    level : str
        Target level.

    Returns
    -------
    float or None
        mm.
    """
    if level not in COLUMN_ORDER:
        return None
    z = {v.level: float(v.body_centre_mm[2]) for v in column.vertebrae if v.level}
    if level not in z:
        return None
    i = COLUMN_ORDER.index(level)
    near = [abs(z[n] - z[level]) for n in COLUMN_ORDER[max(0, i - 1):i + 2] if n != level and n in z]
    return sum(near) / len(near) if near else None


def plates_past_neighbours_note(landmarks: dict, level: str, column, estimated, slice_mm: float,
                                in_editor: bool = False) -> str:
    """One line when the estimated endplates lie further apart than :data:`MAX_SPAN_OF_PITCH` of the column's pitch,
    or "".

    Parameters
    ----------
    landmarks : dict
        The five landmarks (``superior_endplate_z_mm``, ``inferior_endplate_z_mm``: mm).
    level : str
        Target level.
    column : Column or None
        The column detected on the series (None: nothing is said).
    estimated : iterable of str
        The landmark keys still as estimated: nothing is said unless both endplates are.
    slice_mm : float
        The series' slice spacing (mm): nothing is said above
        :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM`.
    in_editor : bool
        Words for the GUI landmark editor.

    Returns
    -------
    str
        "" or one line naming the level, both distances (mm) and what to check.
    """
    if column is None or slice_mm > ACQUIRED_CENTRE_FROM_MM or not set(_PLATES) <= set(estimated):
        return ""
    pitch_mm = column_pitch_mm(column, level)
    if pitch_mm is None or pitch_mm <= 0.0:
        return ""
    span_mm = float(landmarks[_PLATES[0]]) - float(landmarks[_PLATES[1]])
    if span_mm <= MAX_SPAN_OF_PITCH * pitch_mm:
        return ""
    check = (f"drag the endplate markers onto the {level} body's plates on the slices" if in_editor
             else "check the endplates in the landmark editor (vptrainer scenarios show), or give them "
                  "(--superior-endplate, --inferior-endplate)")
    return (f"the estimated {level} endplates lie {span_mm:.1f} mm apart, {span_mm / pitch_mm:.2f} times the "
            f"{pitch_mm:.1f} mm between its body centre and its neighbours' (a body and a disc fill that: at most "
            f"{MAX_SPAN_OF_PITCH:g}): the estimate took a disc into the body; {check}")
