"""How far to trust landmarks estimated on a thick CT series: one line for ``import-ct`` and the landmark editor.

On slices thicker than :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM` the estimate can be several
millimetres off with every other check quiet.  Round 40 (docs/realct-log.md, pass 202) imported the real abdominal
CT reconstructed as 5 mm slabs at L1-L5, no landmark given, and measured each estimate against the reference
segmentation's vertebra (tests/realct/realct_reference.py, on its 3 mm labels).  None of the five imports printed a
warning, yet body centres lay 1.6-6.1 mm off (L2 the worst), pedicle centres 0.6-6.3 mm (L1's left) and endplates
0-16 mm (L5's inferior endplate, 16 mm: more than three slabs).  Until then import-ct said only "check the estimated
landmarks" and the editor's status line was green, as on a 1 mm series.  Round 41 (pass 206) set L5's plates from the
column's discs at thick slices too: its inferior endplate 6 mm off, as far as L1's superior, so endplates 0-6 mm.
Round 42 (pass 216) built the L2 over its spine (its marrow split by a band of bone had put it 6.0 mm left): body
centres 0.9-3.1 mm (L1 the worst).
"""

from __future__ import annotations

from trainer.core.anatomy.ct_labels import ACQUIRED_CENTRE_FROM_MM

__all__ = ["MEASURED_5MM_OFF_MM", "thick_trust_note"]

#: the largest distance (mm) of an estimated landmark from the reference's, per kind, on the abdominal CT as 5 mm
#: slabs at L1-L5 with no warning printed (module docstring): body centre (L1; L2's 6.1 until round 42), pedicle
#: centre (L1 left), endplate (L1 superior and L5 inferior, 6.0 each; L5's 16.0 until round 41)
MEASURED_5MM_OFF_MM = {"body centres": 3.1, "pedicle centres": 6.3, "endplates": 6.0}

_CHECK = {False: "check each estimated landmark (vptrainer scenarios show, or the landmark editor: Session > Import "
                 "patient CT) before teaching with this case",
          True: "check each marker and both endplate lines on the slices before saving"}


def thick_trust_note(slice_mm: float, estimated, in_editor: bool = False, also: bool = False) -> str:
    """One line saying how far landmarks estimated on thick slices may be off, or "".

    :func:`~trainer.core.scenario.ct_plausible.import_warnings` gives it only when none of its other lines is
    given (each of those already names what to check) but the labelled canal's (round 41).

    Parameters
    ----------
    slice_mm : float
        The series' slice spacing (mm).  At most
        :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM` (3 mm): "".
    estimated : iterable of str
        The landmark keys still as estimated; none (every landmark typed or dragged): "".
    in_editor : bool
        Words for the GUI landmark editor instead of the command line.
    also : bool
        Another line (the labelled canal's, :mod:`~trainer.core.scenario.ct_canal_check`) is given beside this
        one: "approximate as well" instead of "approximate though nothing else is flagged".

    Returns
    -------
    str
        "" or the line: the slice thickness, the distances measured on a real 5 mm series (mm), what to check,
        and the thinner reconstruction to ask for.
    """
    if slice_mm <= ACQUIRED_CENTRE_FROM_MM or not tuple(estimated):
        return ""
    off = ", ".join(f"{kind} up to {mm:g} mm" for kind, mm in MEASURED_5MM_OFF_MM.items())
    besides = "as well" if also else "though nothing else is flagged"
    return (f"at {slice_mm:g} mm slices the estimated landmarks are approximate {besides} (a real abdominal CT as "
            f"5 mm slabs, against its reference segmentation: {off} off); "
            f"{_CHECK[bool(in_editor)]}, or import a reconstruction of at most {ACQUIRED_CENTRE_FROM_MM:g} mm slices")
