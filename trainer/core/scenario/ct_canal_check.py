"""Is the spinal canal of a labelled CT vertebra as wide and as deep as a real one?  One line when it is not.

The trainer judges a trocar's canal entry, its medial-wall breach and cement leaks on the labels it makes from
the series (:func:`~trainer.core.anatomy.ct_patient.patient_from_ct`).  Round 41 (docs/realct-log.md, pass 211)
imported the real abdominal CT as 5 mm slabs at L2, no landmark given: the canal between the labelled pedicles'
medial walls was 8.2 mm wide (the same CT at 3 mm: 18.1 mm; L2 in the level table: 23.8 mm), the left pedicle's
label reaching 7 mm into the canal.  Moving the pedicle markers by up to 3 mm left it at 8.2-8.4 mm.  The 5 mm L5's
canal was 6.0 mm deep (at 3 mm: 16.5 mm).  Import-ct and ``scenarios show`` printed only that the estimate was
approximate "though nothing else is flagged", and a resident's trocar through the real pedicle was then judged
against that canal.

A labelled canal is flagged when it is narrower or shallower than the level's canal in the level table
(``assets/morphometry.csv``: Panjabi 1991 and 1992) shrunk by
:data:`~trainer.core.scenario.ct_plausible.CANAL_WIDTH_SPREAD` (published series disagree by up to 40 % on canal
width, FACTS.md 1.1; the same allowance is taken for the depth).  On the two real CTs (the abdominal CT L1-L5 at
3 mm and as 5 mm slabs, the chest CT T8-L1 at 2.5 mm and 5 mm) every other level's canal is at least 0.74 of the
table's in width and in depth; the 5 mm L2 is 0.34 wide and the 5 mm L5 0.30 deep.  The line is given only when no
other warning is (:func:`~trainer.core.scenario.ct_plausible.import_warnings`): pedicle markers placed on the
spinous process, or typed 5 mm apart, narrow the labelled canal too, and their own line names the markers to move.
"""

from __future__ import annotations

from trainer.core.anatomy.ct_labels import ACQUIRED_CENTRE_FROM_MM
from trainer.core.anatomy.morphometry import level_row

__all__ = ["CANAL_SPREAD", "canal_limits_mm", "canal_note"]

#: published series disagree by 27-40 % on canal width (FACTS.md 1.1); the narrowest (and shallowest) canal
#: taken as the level table's times ``1 - CANAL_SPREAD`` (``ct_plausible.CANAL_WIDTH_SPREAD`` is this value)
CANAL_SPREAD = 0.40


def canal_limits_mm(level: str) -> tuple[float, float]:
    """The narrowest width and the shallowest depth (mm) taken as a real canal at ``level``.

    Parameters
    ----------
    level : str
        Vertebral level, T8 to L5.

    Returns
    -------
    tuple of float
        (width, depth) in mm: the level table's canal width and depth times ``1 - CANAL_SPREAD``.
    """
    row = level_row(level)
    return row.canal_width_mm * (1.0 - CANAL_SPREAD), row.canal_depth_mm * (1.0 - CANAL_SPREAD)


def canal_note(width_mm: float, depth_mm: float, level: str, slice_mm: float, in_editor: bool = False) -> str:
    """One line when the labelled canal is narrower or shallower than a real one at ``level``, else "".

    Parameters
    ----------
    width_mm, depth_mm : float
        The labelled vertebra's canal: the width between its pedicles' medial walls and the depth behind the
        posterior body wall (mm; ``Landmarks.canal_width_mm`` and ``canal_depth_mm``).
    level : str
        The target level (T8 to L5).
    slice_mm : float
        The series' slice spacing (mm), named in the line.
    in_editor : bool
        Words for the GUI landmark editor instead of the command line.

    Returns
    -------
    str
        "" or the line: the measured and the least plausible width or depth (mm), what is judged on the labels,
        and what to do.
    """
    min_w, min_d = canal_limits_mm(level)
    said = []
    if width_mm < min_w:
        said.append(f"{width_mm:.1f} mm wide between its pedicles (the {level} canal: at least {min_w:.1f} mm)")
    if depth_mm < min_d:
        said.append(f"{depth_mm:.1f} mm deep behind the body (the {level} canal: at least {min_d:.1f} mm)")
    if not said:
        return ""
    what = "before saving" if in_editor else "before teaching with this case"
    thinner = (f"import a reconstruction of at most {ACQUIRED_CENTRE_FROM_MM:g} mm slices or choose another level"
               if slice_mm > ACQUIRED_CENTRE_FROM_MM else "choose another level")
    return (f"the {level} as the trainer labels it from these {slice_mm:g} mm slices has a spinal canal "
            f"{' and '.join(said)}; the trocar's canal and medial-wall checks and the cement's leaks are judged on "
            f"those labels, and moving the markers may not widen it: compare the canal on the axial slice "
            f"{what}; if the patient's canal is larger, {thinner}")
