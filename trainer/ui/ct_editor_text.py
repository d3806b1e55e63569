"""The landmark editor's words that are worked out from data alone: the series' coverage line, a level not in
view, whose the saved landmarks are, where to save a scenario, and the fixed lines the editor shows.

Pure functions of the series, its column and the landmarks' sources (no Qt, no dialog state), used by
:class:`trainer.ui.ct_landmarks.CTLandmarkDialog` and its parts.  Split out of ``ct_landmarks.py`` in round 40
(the functions unchanged).
"""

from __future__ import annotations

from pathlib import Path

from trainer.core.anatomy.params import LEVELS, modelled_span
from trainer.core.scenario.ct_import import LANDMARK_KEYS, coverage_note
from trainer.core.shown_path import shown_path
from trainer.core.xray.geometry import CArmGeometry
from trainer.ui.ct_overview import vertebra_names
from trainer.ui.ct_slices import NAMES

__all__ = ["SEE_THE_WARNINGS", "coverage_text"]


#: the status line's pointer to the warnings panel after an estimate that warns
SEE_THE_WARNINGS = "Check the warning beside the landmarks table first."


#: The title field's placeholder while no level in view is chosen (no level named: none can be saved yet).
_NO_LEVEL_TITLE = "Title (default: the level's, once a level in view is chosen)"


def _save_inside_advice(folder: Path) -> str:
    """What to do when the chosen scenario file's folder does not contain the series ``folder``, in the editor's
    words (until round 27 the editor said import-ct's "write --out into a folder that contains the series")."""
    return (f"save it into {shown_path(folder.parent)} or a folder above it (a series on a read-only disc: copy its "
            "folder beside your scenarios first)")


def _vertebrae(n: int) -> str:
    """``'1 vertebra'``, ``'3 vertebrae'``."""
    return f"{n} vertebra" if n == 1 else f"{n} vertebrae"


def _not_in_view_text(level: str, column) -> str:
    """One line: ``level`` is not among the numbered vertebrae of ``column``."""
    named = [v.level for v in column.vertebrae if v.level]
    held = f"{named[0]} to {named[-1]}" if len(named) > 1 else named[0] if named else "none"
    # the Target level box holds the levels the trainer models only: on the angiogram (C7 to T12) "choose one
    # of those levels" sent the instructor looking for C7-T7 there until round 24
    ours = modelled_span(named)
    if all(lv in LEVELS for lv in named):
        choose = "choose one of those levels"
    elif ours:
        choose = f"choose {ours} in Target level (the trainer models {LEVELS[0]} to {LEVELS[-1]})"
    else:
        choose = f"none of them is a level the trainer models ({LEVELS[0]} to {LEVELS[-1]})"
    return f"{level} is not in this series' field of view (numbered by {column.numbered_by}: {held}): {choose}."


def coverage_text(vol, column, centre_mm=None) -> str:
    """One line: the levels ``vol`` covers (numbered ``column``), its slice spacing (mm) and size (columns x rows x
    slices), then import-ct's words on how far it reaches round the target body centre ``centre_mm`` (mm, series
    coordinates; None: no target placed yet) and how many mm more a render with the default C-arm needs
    (:func:`~trainer.core.scenario.ct_import.coverage_note`).  Until round 28 the editor said neither.  How the
    series was read (an oblique series resampled, a slice copy or junk ignored) is not said here but among the
    reader's notes beside the landmarks table (:class:`~trainer.ui.series_notes.SeriesNotesLabel`)."""
    g = vol.grid
    names = vertebra_names(column) if column is not None else []
    named = [n for n in names if not n.startswith("#")]       # as the overview labels them (S1 below L5)
    if column is not None and column.certain and named:
        span = f"{named[0]} to {named[-1]}" if len(named) > 1 else named[0]
        if len(named) < len(names):
            span += f" (and {_vertebrae(len(names) - len(named))} not numbered)"
    elif names:
        span = f"{_vertebrae(len(names))}, not numbered"
    else:
        span = "no column found"
    text = (f"Series: covers {span}, {g.spacing_xyz_mm[2]:.1f} mm slices, "
            f"{g.shape[2]} x {g.shape[1]} x {g.shape[0]} voxels")
    if centre_mm is None:
        return text + "."
    return f"{text}; {coverage_note(g, centre_mm, CArmGeometry())}."


def _landmark_origin(source: dict) -> str:
    """Whose the saved landmarks are, for the scenario's description (a resident reads it on the chart):
    the ones corrected by hand named, the others as estimated.  Until round 23 every GUI import said
    "landmarks checked in the GUI editor", also when none was moved and the file marked all five estimated."""
    edited = [NAMES[k].lower() for k in LANDMARK_KEYS if source.get(k) == "edited"]
    if not edited:
        return "landmarks as estimated (none corrected in the GUI editor)"
    if len(edited) == len(LANDMARK_KEYS):
        return "landmarks all corrected by hand in the GUI editor"
    return f"corrected by hand in the GUI editor: {', '.join(edited)}; the other landmarks as estimated"
