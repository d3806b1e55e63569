"""The landmark editor's worker jobs, run off the GUI thread by its :class:`~trainer.ui.workers.Runner`.

:func:`_load_job` reads a series (or finds a study folder's series, or several side by side, for the instructor to
choose), detects and numbers the column and estimates the chosen level's landmarks; :func:`_estimate_job`
estimates around one vertebra (both through the editors' memo of their last estimates,
:mod:`~trainer.ui.ct_estimate_memo`); :func:`_check_job` gives the warnings (and the true AP's tilt) for landmarks the
instructor moved.  Each
reports progress through the runner's ``progress`` callable, which raises once the editor cancelled; the shares of
an estimate's bar are :data:`REFINE_SHARE` and :data:`CHECK_LABELLED`.  The estimate and its warnings are the
core's (:func:`~trainer.core.scenario.ct_import_landmarks.import_landmarks`,
:func:`~trainer.core.scenario.ct_plausible.import_warnings`), as ``import-ct`` writes and prints them.

No Qt here: the jobs return plain dicts that :class:`trainer.ui.ct_landmarks.CTLandmarkDialog` shows.  Split out
of ``ct_landmarks.py`` in round 40 (the functions unchanged).
"""

from __future__ import annotations

from pathlib import Path

from trainer.core.anatomy.cache import cached_ct_patient
from trainer.core.anatomy.ct_facing import refuse_turned
from trainer.core.anatomy.ct_patient import ct_source_text, patient_from_ct
from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.errors import DicomError
from trainer.core.procedure.true_ap_orbital import true_ap_orbital_line
from trainer.core.procedure.true_ap_tilt import true_ap_tilt, true_ap_tilt_line
from trainer.core.scenario.ct_import import LANDMARK_KEYS, EstimateNotFound, landmarks_as_written
from trainer.core.scenario.ct_import_landmarks import LandmarksNotFound, import_landmarks
from trainer.core.scenario.ct_plausible import import_warnings
from trainer.ui.ct_estimate_memo import ESTIMATES, estimate_key
from trainer.ui.ct_overview import sagittal_slab
from trainer.ui.series_chooser import listed_headers, series_below, side_by_side_in

__all__ = ["CHECK_LABELLED", "LABELS_CHECKED", "REFINE_SHARE", "SEARCHING"]


def _estimate(vol, near, column, level, progress):
    """:func:`_estimate_uncached`'s answer, from the editors' memo (:data:`~trainer.ui.ct_estimate_memo.ESTIMATES`)
    when the same series, point, column and level were estimated by the same code (the series opened again, a level
    changed back): round 45, until then each re-open ran the estimate and its check's labelling again (about 3 s of
    CPU on the synthetic L1 series).  A kept answer is given after ``progress`` reports the bar's end, so a
    cancelled editor's job still stops there."""
    key = estimate_key(vol, near, column, level)
    kept = ESTIMATES.get(key)
    if kept is not None:
        progress(1.0, LABELS_CHECKED)
        return kept
    answer = _estimate_uncached(vol, near, column, level, progress)
    ESTIMATES.put(key, answer)
    return answer


def _estimate_uncached(vol, near, column, level, progress):
    """(landmarks or None, problem text, whether that text carries its advice, warnings, true AP lines, what was
    labelled (:func:`_checked`)) around ``near``
    (None: a short series): those ``import-ct`` writes for ``level`` (the same core function) and every
    warning it prints about them (:func:`_warnings`); ``column``: the column detected on ``vol`` (its bone
    threshold, outline).  ``progress`` raises once the dialog cancelled: the thick-slice refinement and
    labelling stop at their next step.

    The problem carries its advice only as :meth:`LandmarksNotFound.in_editor
    <trainer.core.scenario.ct_import_landmarks.LandmarksNotFound.in_editor>` words it (which marker goes where);
    an estimate that found nothing (:class:`~trainer.core.scenario.ct_import.EstimateNotFound`) gives its problem
    without import-ct's "give the landmarks by hand", and the dialog adds the editor's advice once
    (:meth:`CTLandmarkDialog._show_estimate`).  Until round 27 the dialog sniffed the word "marker" in the line
    and showed both advices after a failed estimate around a point."""
    try:
        # a short series (no column point) is estimated at the default threshold, as import-ct does
        est, _ = import_landmarks(vol, near, column.thresholds.bone_hu if near is not None else None, level,
                                  progress=_refine_progress(progress), column=column)
    except LandmarksNotFound as exc:        # nothing to estimate around: what to give, in the editor's words
        return None, exc.in_editor(), True, [], (), None
    except EstimateNotFound as exc:         # import-ct's advice left out: the dialog gives the editor's
        return None, exc.problem, False, [], (), None
    except DicomError as exc:
        return None, str(exc), False, [], (), None
    warnings, true_ap, labelled = _checked(vol, est, level, LANDMARK_KEYS, column, _labels_check_progress(progress))
    progress(1.0, LABELS_CHECKED)           # the bar's 100 %: the work is done
    return est, "", False, warnings, true_ap, labelled


def _checked(vol, landmarks, level, estimated, column, progress=None,
             before: tuple | None = None) -> tuple[list[str], tuple[str, ...], tuple | None]:
    """(the lines ``import-ct`` prints after its estimate for ``landmarks``, ``estimated`` the keys still as
    estimated, in the editor's words (:func:`~trainer.core.scenario.ct_plausible.import_warnings`; until round 25
    the editor showed the thick-slice line only, not a thin series' "do not label the vertebra"); the true AP's
    lines ``scenarios show`` prints, () when the landmarks cannot be labelled: for a turned vertebra its orbital
    angle (:func:`~trainer.core.procedure.true_ap_orbital.true_ap_orbital_line`, the editor's scenarios lie with no
    roll; round 43: until then the editor said the tilt alone), then its tilt
    (:func:`~trainer.core.procedure.true_ap_tilt.true_ap_tilt_line`)), and what was labelled: (the landmarks as
    written, the level, the source text, the patient), None when nothing was (the save writes it to the patient
    cache, :meth:`~trainer.ui.ct_scenario_save.ScenarioSaving.store_labelled`).  ``before``: what the check before
    labelled, used again when it was for the same landmarks and level (a marker clicked and not moved).

    The patient is labelled once, from the landmarks as the file will hold them, whatever the slices and the
    landmarks' sources: until round 42 only thick slices or estimated landmarks were labelled here, so the editor
    could not say the tilt (pass 214's *Left*)."""
    written = landmarks_as_written(landmarks)       # judged as the file will hold them: the trainer labels those
    desc = ct_source_text(vol.meta)
    # the check before labelled the same landmarks (a marker clicked, not moved): its patient, not labelled again
    patient = before[3] if before is not None and before[:3] == (written, level, desc) else None
    try:
        # read from the patient cache under the key the trainer reads when the saved scenario is started (round
        # 43: the editor's labels were thrown away and the trainer labelled the same vertebra again), not written:
        # each drag is checked and only the saved landmarks are read again (round 45: ten drags wrote ten entries
        # of 9-33 MB, pushing older patients out); the save writes the patient of the landmarks it saves (the jobs
        # return it as ``labelled``; ``store_ct_patient``)
        if patient is None:
            patient = cached_ct_patient(vol.meta, vol.grid, written, level, desc, lambda: patient_from_ct(
                vol, written, level, progress=progress, column=column, source=desc), write=False)
    except ValueError:      # not labelled at all: the trainer says so when the scenario is opened
        return [], (), None
    warnings = import_warnings(vol, written, level, estimated, column=column, in_editor=True, patient=patient)
    turned = true_ap_orbital_line(0.0, patient.landmarks.axial_rotation_deg, level)     # scenario_toml: no roll
    return (warnings, ((turned,) if turned else ()) + (true_ap_tilt_line(true_ap_tilt(patient), level),),
            (written, level, desc, patient))


def _check_job(payload, progress):
    """Worker: the warnings and the true AP's tilt for the landmarks as the instructor left them (moved, or kept
    for another level); the payload's last item is what the check before labelled (:func:`_checked`)."""
    vol, landmarks, level, estimated, column, before = payload
    warnings, true_ap, labelled = _checked(vol, landmarks, level, estimated, column, progress, before)
    return {"warnings": warnings, "true_ap": true_ap, "landmarks": landmarks, "level": level, "labelled": labelled}


#: Share of an estimate's bar (0-1) that the thick-slice refinement's labellings take (up to three); the
#: check of the labels (one more labelling, :func:`_warnings`) takes the rest.
REFINE_SHARE = 0.75


#: Where the check's labelling ends on the estimate's bar (0-1): the labels' note is read after it, and the bar
#: reaches 100 % only with :data:`LABELS_CHECKED` (until round 27 it read 100 % at the labelling's "patient CT
#: ready" while the check still ran).
CHECK_LABELLED = 0.95


LABELS_CHECKED = "Estimating the landmarks: labels checked"


def _refine_progress(progress):
    """``progress`` for the thick-slice refinement: its fractions (0, 1/3, 2/3 before each labelling)
    scaled into the first :data:`REFINE_SHARE` of the estimate's bar."""
    return lambda f, msg: progress(REFINE_SHARE * f, msg)


def _labels_check_progress(progress):
    """``progress`` for the check of the labels: one more labelling, after the refinement's, in the rest of
    the estimate's bar, its steps named as part of the estimate (the labelling's own words, "cropping the
    target", alone on the bar's line read as another task until round 24); the check's start is reported
    at once."""
    def report(f, msg):
        progress(REFINE_SHARE + (CHECK_LABELLED - REFINE_SHARE) * f,
                 f"Estimating the landmarks: checking the labels ({msg})…")
    report(0.0, "labelling the vertebra")
    return report


#: how the progress line starts while a study folder is searched for its series (the bar is busy: no total known)
SEARCHING = "Searching"


def _load_job(payload, progress):
    """Worker: read the series, detect and number the column, estimate the chosen level's landmarks.

    ``progress`` raises (the runner's Cancelled) once the dialog cancelled: reading stops at
    its next slice, the column detection at its next step.
    """
    folder, level, *chosen = payload        # (folder, level) or (folder, level, the series chosen among several)
    series = chosen[0] if chosen else None
    study = None                            # the search's result, when searched: the reader does not search again
    name = Path(folder).name

    def searching(n: int, rel: str) -> None:
        """The search below ``folder``'s progress, the job's or the reader's (a folder of slices is searched for
        its subfolders' note): Cancel raises here (round 38: the reader's search had neither)."""
        progress(0.0, f"{SEARCHING} {name} for series: {n} folder{'s' if n != 1 else ''} looked in ({rel})…")

    if series is None:
        # a study folder (a CD's or PACS export's top folder: series in subfolders) and none chosen: their list, for
        # the instructor to pick one.  Searched here, off the GUI thread, with Cancel (up to 2000 folders: until
        # round 36 on the GUI thread, and a CD with a viewer program froze the window)
        study = series_below(Path(folder), progress=searching)
        if study:
            return {"study": study}
        # several series side by side and none chosen: their list, for the instructor to pick one (every file's
        # header read here, off the GUI thread; no pixel)
        listed = listed_headers(Path(folder))
        flat = side_by_side_in(listed)
        if flat:
            return {"side_by_side": flat}
    else:
        listed = None
    # the headers just read are handed to the reader, which reads them again only when a file changed since (until
    # round 45 it read them all twice: 0.07 s of CPU at the chest CT's 133 files)
    vol = read_ct_series(folder, progress=lambda done, total: progress(0.45 * done / total,
                                                                        f"Reading slice {done} of {total}…"),
                         series=series, below=study, searching=searching, headers=listed)
    column = detect_column(vol, progress=lambda f, m: progress(0.45 + 0.4 * f, f"Finding the column: {m}…"))
    refuse_turned(vol, folder, column)      # a prone patient's pixels under a supine orientation (ct_facing)
    slab, _ = sagittal_slab(vol, column)
    chosen = _index_of(column, level)
    if chosen is None and not column.short:
        # several vertebrae, none named: the instructor clicks the target on the overview first
        est, problem, advised, warnings, true_ap, labelled = None, "", False, [], (), None
    else:                   # the named level, or a short series taken as centred on the target
        progress(0.9, f"Estimating the landmarks for {level}…")
        near = column.vertebrae[chosen].body_centre_mm if chosen is not None else None
        est, problem, advised, warnings, true_ap, labelled = _estimate(vol, near, column, level,
                                                                       lambda f, m: progress(0.9 + 0.1 * f, m))
    return {"volume": vol, "column": column, "slab": slab, "chosen": chosen, "estimate": est, "problem": problem,
            "advised": advised, "warning": "; ".join(warnings), "warnings": warnings, "true_ap": true_ap,
            "level": level, "labelled": labelled}


def _estimate_job(payload, progress):
    """Worker: the landmarks around one vertebra (the instructor clicked it, or chose its level), or
    around a short series' vertebra (``near`` None)."""
    vol, near, column, chosen, level = payload
    progress(0.0, f"Estimating the landmarks for {level}…")
    est, problem, advised, warnings, true_ap, labelled = _estimate(vol, near, column, level, progress)
    return {"chosen": chosen, "estimate": est, "problem": problem, "advised": advised,
            "warning": "; ".join(warnings), "warnings": warnings, "true_ap": true_ap, "level": level,
            "labelled": labelled}


def _index_of(column, level: str):
    """Index of ``level`` in a certainly numbered column, else None."""
    if not column.certain:
        return None
    for i, v in enumerate(column.vertebrae):
        if v.level == level:
            return i
    return None
