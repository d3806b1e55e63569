"""``vptrainer scenarios import-ct DIR --level T8 --out FILE.toml`` (see scenarios.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from trainer.core.anatomy.params import LEVELS, modelled_span
from trainer.core.errors import ScenarioError, VPTrainerError
from trainer.core.one_line import one_line

_OPTIONS = {"body_centre": "body_centre_mm", "pedicle_left": "pedicle_left_centre_mm",
            "pedicle_right": "pedicle_right_centre_mm", "superior_endplate": "superior_endplate_z_mm",
            "inferior_endplate": "inferior_endplate_z_mm"}
#: a point typed in a vertebral body lies at most this far from the body centre the column detection found
#: there: half a lumbar body's width and height to its corner (25 and 14 mm: 29 mm) plus the detected centre's
#: error (within 7 mm of the estimate on the two real CTs).  Farther is a point in other units (cm), another
#: order (z y x) or convention (RAS), off the spine or in a vertebra the column detection did not find (above
#: T4 on the chest CT): refused, where it wrote a scenario around it (a 'body' 9 mm deep) and exited 0
_BODY_REACH_MM = 35.0


def _locate(vol, level: str, body_centre, folder):
    """(point in the target body, the patient's cortex threshold, a line saying how it was found, the
    detected column, whose outline and thresholds the labelling then reuses).

    The column is detected over the whole series (trainer.core.anatomy.ct_spine); the target is the
    vertebra named ``level`` when the numbering is certain, else the one nearest ``--body-centre``.
    """
    from trainer.core.anatomy.ct_facing import refuse_turned
    from trainer.core.anatomy.ct_spine import detect_column

    if body_centre is not None:
        g = vol.grid
        lo, hi = np.asarray(g.origin_mm), g.upper_mm
        if np.any(np.asarray(body_centre) < lo) or np.any(np.asarray(body_centre) > hi):
            raise ScenarioError(str(folder), [
                f"--body-centre {' '.join(f'{v:g}' for v in body_centre)}: outside the series (x {lo[0]:.1f} to "
                f"{hi[0]:.1f}, y {lo[1]:.1f} to {hi[1]:.1f}, z {lo[2]:.1f} to {hi[2]:.1f} mm): the level is not in view, or the "
                f"point is not x y z in mm in the series' patient coordinates"])
    col = detect_column(vol)
    refuse_turned(vol, folder, col)                 # a prone patient's pixels under a supine orientation
    cortex_hu = col.thresholds.bone_hu
    if body_centre is not None:
        v = col.nearest(body_centre)
        if v is None:
            return tuple(body_centre), cortex_hu, f"{folder}: no column found; estimating around --body-centre", col
        typed = " ".join(f"{c:g}" for c in body_centre)
        found = (f"{v.level + ', ' if v.level else ''}z {v.z_bottom_mm:.1f} to {v.z_top_mm:.1f} mm, centre "
                 f"{' '.join(f'{c:.1f}' for c in v.body_centre_mm)}")
        off_mm = float(np.linalg.norm(np.asarray(v.body_centre_mm, float) - np.asarray(body_centre, float)))
        if off_mm > _BODY_REACH_MM:
            raise ScenarioError(str(folder), [
                f"--body-centre {typed}: {off_mm:.0f} mm from the nearest vertebral body found ({found}; allowed: "
                f"within {_BODY_REACH_MM:.0f} mm of a body centre, T8 to L5); give x y z in mm in the series' patient "
                f"coordinates (LPS: x to the patient's left, y posterior, z head), or every landmark by hand"])
        how = (f"{folder}: vertebra at z {v.z_bottom_mm:.1f} to {v.z_top_mm:.1f} mm picked by --body-centre "
               f"(bone threshold {cortex_hu:.0f} HU from this patient)")
        if col.certain and v.level and v.level != level:
            # the instructor may know better than the numbering, so this is not refused; but it is said
            how += (f"\n{folder}: warning: --body-centre {typed} lies in the vertebra numbered {v.level} (by "
                    f"{col.numbered_by}), not {level}; written as {level}, as --level says: check the level")
        return tuple(body_centre), cortex_hu, how, col
    if col.short:
        # a short, focused series (one to three vertebrae): taken as centred on the target, as before
        return None, None, (f"{folder}: a short series ({len(col.vertebrae)} vertebrae found), taken as centred on "
                            f"{level}: check the level"), col
    if not col.certain:
        raise ScenarioError(str(folder), [
            f"{folder}: --level {level}: {len(col.vertebrae)} vertebrae found but their numbering is uncertain "
            f"({col.note.split(';')[0]}); give --body-centre X Y Z of the {level} body"])
    v = col.find(level)
    if v is None:
        named = [x.level for x in col.vertebrae if x.level]
        ours = modelled_span(named)
        raise ScenarioError(str(folder), [f"{folder}: --level {level}: not in the field of view or not numbered (levels "
                                          f"numbered: {', '.join(named)}{f'; of those {ours} can be imported' if ours else ''}"
                                          f"); give --body-centre X Y Z of the {level} body"])
    return v.body_centre_mm, cortex_hu, f"{folder}: {level} found by {col.numbered_by} ({col.note})", col


def _level_origin(col, level: str, body_centre) -> str:
    """Whose number the target level is, in the GUI editor's words for the description it saves (``'L3 as numbered
    from the ribs and sacrum'``, ``'L3 given by --level (...)'``): until round 36 an import-ct file said nothing of
    it, so neither the chart nor ``scenarios show`` told an L3 the numbering found from one typed by hand.

    ``col``: the detected column (None when every landmark was typed); ``body_centre``: ``--body-centre`` or None.
    Mirrors :func:`_locate`'s order (it has refused the cases not handled here)."""
    if col is None:
        return f"{level} given by --level (every landmark typed)"
    numbered = f"{level} as numbered from the {col.numbered_by}"
    if body_centre is not None:
        v = col.nearest(body_centre)
        if v is None:
            return f"{level} given by --level (no column found; --body-centre typed)"
        if col.certain and v.level == level:
            return numbered
        if col.certain and v.level:
            return f"{level} given by --level (the column, numbered from the {col.numbered_by}, says {v.level})"
        return f"{level} given by --level (numbering uncertain; the vertebra at --body-centre)"
    if col.short:
        return f"{level} given by --level (a short series taken as centred on it)"
    return numbered


def _name_the_levels(vol, folder) -> None:
    """Refuse an import without ``--level``, naming the levels the series' numbering holds (ScenarioError)."""
    from trainer.core.anatomy.ct_spine import detect_column

    col = detect_column(vol)
    named = [v.level for v in col.vertebrae if v.level]
    if col.certain and named:
        ours = modelled_span(named)
        held = (f"this series is numbered {named[0]} to {named[-1]} by {col.numbered_by}"
                + (f": give one of {ours}" if ours else f", none of them one the trainer models ({LEVELS[0]} to "
                                                          f"{LEVELS[-1]})"))
    else:
        held = (f"this series' {len(col.vertebrae)} vertebrae are not numbered with certainty: give the level "
                f"({LEVELS[0]} to {LEVELS[-1]}) and --body-centre X Y Z of its body")
    raise ScenarioError(str(folder), [f"--level: missing; {held} (Session > Import patient CT shows the numbering)"])


def _series_arg(args) -> int | str | None:
    """``--series`` as the reader takes it (a SeriesNumber or SeriesInstanceUID); ScenarioError naming the
    value and what is allowed for any other text; None when not given."""
    from trainer.core.anatomy.dicom_mixed import SERIES_ALLOWED, series_selector

    raw = getattr(args, "series", None)
    if raw is None:
        return None
    sel = series_selector(raw)
    if sel is None and _folder_uid(Path(args.dir), raw.strip()):
        return raw.strip()                          # the folder's own UID, though not conformant (hostile35)
    if sel is None:
        raise ScenarioError(str(args.dir), [f"--series {raw!r}: not allowed; expected {SERIES_ALLOWED}"])
    return sel


def _folder_uid(folder: Path, text: str) -> bool:
    """Whether ``text`` is the SeriesInstanceUID of a series flat in ``folder`` (headers only; False when the
    folder cannot be listed: the read names why)."""
    from trainer.core.anatomy.dicom_folder import series_files
    from trainer.core.anatomy.dicom_mixed import folder_series

    try:
        found, _ = folder_series(folder, series_files(folder))
    except (OSError, VPTrainerError):
        return False
    return any(s.uid == text for s in found)


def import_ct(args) -> int:
    from trainer.core.anatomy.dicom_mixed import SeriesChoiceError

    series = _series_arg(args)
    try:
        return _import(args, series)
    except SeriesChoiceError as exc:                # the folder cannot meet --series: the option said (hostile35)
        if series is None:                          # several series, none chosen: the line says --series N
            raise
        raise SeriesChoiceError(f"--series {series}: {exc}") from None


def _import(args, series: int | str | None) -> int:
    """:func:`import_ct` once ``--series`` is read (``series``, None when not given)."""
    from trainer.core.anatomy.ct_facing import refuse_turned
    from trainer.core.anatomy.dicom_io import read_ct_series
    from trainer.core.anatomy.dicom_mixed import refuse_unnamed_series
    from trainer.core.anatomy.params import level_from_text
    from trainer.core.scenario.ct_import import coverage_note, refuse_not_utf8, relative_inside, scenario_toml
    from trainer.core.scenario.ct_import_landmarks import import_landmarks
    from trainer.core.scenario.loader import parse_scenario

    if args.level is None:
        # a first-time user does not know the series' levels yet (until round 24 argparse said only
        # "--level is required"): read the numbering and name them; nothing is written
        _name_the_levels(read_ct_series(Path(args.dir), series=series), Path(args.dir))
    args.level = level_from_text(args.level)        # "l1" -> "L1"; "T13", "L 1" stay refused
    if args.level not in LEVELS:
        raise ScenarioError(args.out, [f"--level {args.level!r}: expected one of {', '.join(LEVELS)}"])
    from trainer.core.safe_write import atomic_file, check_output

    folder = Path(args.dir)
    out = Path(args.out)
    if out.suffix != ".toml":
        raise ScenarioError(args.out, [f"--out {out}: expected a file name ending in .toml"])
    # no mkdir: a folder that does not exist yet cannot contain the series, and a refused import must
    # leave nothing behind (it used to create --out's missing folders before refusing)
    check_output(out, force=args.force, inputs=[folder])
    rel = relative_inside(folder, out)
    refuse_not_utf8("folder", rel)                  # before the read: the file is UTF-8 and names the folder
    refuse_not_utf8("description", folder.name)
    given = {key: getattr(args, opt) for opt, key in _OPTIONS.items() if getattr(args, opt) is not None}
    given = {k: (v[0] if k.endswith("_z_mm") else tuple(v)) for k, v in given.items()}
    vol = read_ct_series(folder, series=series)
    refuse_unnamed_series(vol.meta, folder)         # before the estimate: a scenario could not name this series
    for note in vol.meta.get("notes", ()):          # read, but said: an exact copy, trailing data, oblique
        print(one_line(f"{folder}: note: {note}"), file=sys.stderr)
    estimated = ()
    column = None
    typed_centre = given.get("body_centre_mm")      # --body-centre as typed (the estimate replaces it in given)
    if len(given) < len(_OPTIONS):
        # the folder as the lines print it: a name holding a newline broke each info line in two (hostile33)
        near, cortex_hu, how, column = _locate(vol, args.level, typed_centre, one_line(str(folder)))
        # the GUI editor publishes the same landmarks (ct_import_landmarks): a point from the column's
        # numbering is refined by a second pass (--body-centre is not), and at thick slices the estimated
        # body centre becomes the labels' centroid (ct_label_centre)
        given, estimated = import_landmarks(vol, near, cortex_hu, args.level, given=given, column=column)
        print(how, file=sys.stderr)
    else:
        refuse_turned(vol, folder)                  # every landmark typed: no column detected to reuse
    text = scenario_toml(rel, args.level, given, title=args.title,
                         description=(f"Imported from {folder.name} ({vol.meta.get('series_description', '')}); "
                                      f"level {_level_origin(column, args.level, typed_centre)}"),
                         estimated=estimated,
                         series=None if series is None else (vol.meta["series_choice"], vol.meta["series_uid"],
                                                             vol.meta.get("series_number")))
    # the text is validated as the file it will become (its CT path resolves from --out's folder);
    # only a valid scenario is written, through a temporary file renamed into place
    s = parse_scenario(text, out.resolve())
    # label the patient once: landmarks typed by hand, so that a point off the spine is refused here,
    # not by a traceback in the first render (it built nothing before); thick slices: say when the
    # labels lack a pedicle or the body (ct_plausible.thick_labels_note); landmarks estimated on thin
    # slices (not labelled here until round 24): say when they label no vertebra, as on the abdominal
    # CT turned 15 deg, whose estimated L2 body held 0.2 mL (ct_plausible.estimated_labels_note)
    from trainer.core.anatomy.cache import cached_ct_patient
    from trainer.core.anatomy.ct_patient import ct_source_text, patient_from_ct
    from trainer.core.scenario.build import landmarks_error
    from trainer.core.scenario.ct_plausible import import_warnings

    try:
        # the landmarks as written (the trainer labels those): the same patient, kept in the patient cache
        # for the trainer's first opening of the case (round 25: it labelled the same vertebra again)
        desc = ct_source_text(vol.meta)
        patient = cached_ct_patient(vol.meta, vol.grid, s.ct.landmarks, args.level, desc,
                                    lambda: patient_from_ct(vol, s.ct.landmarks, args.level, column=column, source=desc))
    except VPTrainerError:
        raise
    except ValueError as exc:
        raise landmarks_error(str(folder), given, args.level, exc,
                              field="--body-centre" if args.body_centre is not None else "body_centre_mm =") from None
    # not refused: the instructor corrects the landmarks; the landmark editor shows the same lines (ct_plausible)
    for note in import_warnings(vol, given, args.level, estimated, column=column, patient=patient):
        print(one_line(f"{folder}: warning: {note}"), file=sys.stderr)
    print(one_line(f"{folder}: {coverage_note(vol.grid, given['body_centre_mm'], s.carm.geometry)}"), file=sys.stderr)
    with atomic_file(out, force=args.force) as tmp:
        tmp.write_text(text, encoding="utf-8")
    print(one_line(f"wrote {out} ({s.ct.level}, CT folder {rel}; "
                   f"{'estimated: ' + ', '.join(estimated) if estimated else 'landmarks as given'})"))
    if estimated:
        print("check the estimated landmarks with 'vptrainer scenarios show' before teaching with this case",
              file=sys.stderr)
    return 0
