"""Several series flat in one folder: named from their headers, and one of them chosen to be read.

Many real exports put a study's series side by side in one folder: Horos/OsiriX "Export to DICOM files"
(``IM-0001-0001.dcm``, ``IM-0002-0001.dcm``: series, then instance), a PACS web viewer's zip, a CD's
single ``DICOM/`` folder.  They hold a scout, a thick and a thin axial reconstruction, maybe a dose
report.  Here each file's header is read (no pixels: :func:`.dicom_study.header_of`) and the files are
grouped by SeriesInstanceUID into :class:`~.dicom_study.SeriesFolder` entries (``files`` set), which
the reader names when no series is chosen (:func:`mixed_listing`) and among which it reads the chosen
one only (:func:`pick_series`; ``read_ct_series(..., series=...)``, ``import-ct --series``, the
scenario's ``[ct] series``).

A series is chosen by its SeriesNumber (an integer) or its SeriesInstanceUID (digits and dots):
:func:`series_selector` checks the value as given.
"""

from __future__ import annotations

import re
from pathlib import Path

from trainer.core.anatomy.dicom_folder import is_dicom_file
from trainer.core.anatomy.dicom_study import SeriesFolder, header_of, likely_series
from trainer.core.errors import DicomError

__all__ = ["MAX_SERIES_NUMBER", "SERIES_ALLOWED", "SeriesChoiceError", "chosen_note", "folder_series", "mixed_listing",
           "pick_series", "refuse_unnamed_series", "series_label", "series_selector", "stored_selection", "ungrouped_note"]

#: the largest SeriesNumber a selection may name (an IS value: a signed 32-bit integer)
MAX_SERIES_NUMBER = 2**31 - 1
#: what a series selection may be, in words (every message refusing one ends with it)
SERIES_ALLOWED = (f"a SeriesNumber (an integer from 0 to {MAX_SERIES_NUMBER}) or a SeriesInstanceUID (digits and "
                  "dots, at most 64 characters)")
_UID = re.compile(r"[0-9]+(\.[0-9]+)+")
#: at most this many series are named in one message line
_LISTED = 6


class SeriesChoiceError(DicomError):
    """A series selection the folder cannot meet (:func:`pick_series`): its callers say where the value came from
    (``import-ct --series``, the scenario's ``[ct] series``) in front of the line."""


def series_selector(value) -> int | str | None:
    """A series selection as the reader takes it: an ``int`` SeriesNumber or a ``str`` SeriesInstanceUID.

    Parameters
    ----------
    value : int or str
        A SeriesNumber (an integer, or its digits as text: ``"3"``) or a SeriesInstanceUID (``"1.2.840..."``).

    Returns
    -------
    int or str or None
        The SeriesNumber, or the UID (spaces around it dropped); None when ``value`` is neither
        (the caller names the field and :data:`SERIES_ALLOWED`).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_SERIES_NUMBER else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return int(text) if int(text) <= MAX_SERIES_NUMBER else None
    return text if len(text) <= 64 and _UID.fullmatch(text) else None


def folder_series(root: Path, files: list[Path]) -> tuple[list[SeriesFolder], list[Path]]:
    """The series among ``files`` (the slice files directly in ``root``), from their headers only.

    Parameters
    ----------
    root : Path
        The folder (each series' ``path``).
    files : list of Path
        Its files that may be slices (:func:`.dicom_folder.series_files`), sorted by name.

    Returns
    -------
    (list of SeriesFolder, list of Path)
        One entry per SeriesInstanceUID, sorted by SeriesNumber then UID, described by its first file
        (``rel`` is ``"series N"``; ``localizer`` only when every file of it is a scout); and the files not
        grouped: no readable DICOM header (a text file; a slice saved without preamble is read as its bare data
        set) or no SeriesInstanceUID in it.
    """
    groups: dict[str, list] = {}
    others: list[Path] = []
    for p in files:
        # a slice saved as a bare data set (no DICM) is one of its series' slices, as in a folder of one series
        # (until hostile35 it was left out of the chosen series, whose read then failed on a "missing slice")
        head = header_of(p, bare=not is_dicom_file(p))
        if head is None or not head.uid:
            others.append(p)
            continue
        groups.setdefault(head.uid, []).append((p, head))
    found = []
    for uid, members in groups.items():
        p0, h0 = members[0]
        found.append(SeriesFolder(root, f"series {h0.number if h0.number is not None else '(no number)'}",
                                  len(members), h0.modality, h0.description, h0.thickness_mm,
                                  all(h.localizer for _, h in members), uid, h0.number,
                                  tuple(p for p, _ in members)))
    found.sort(key=lambda s: (s.number is None, s.number or 0, s.uid))
    return found, others


def series_label(s: SeriesFolder, found: list[SeriesFolder]) -> str:
    """How to choose ``s`` among ``found``: its SeriesNumber when no other series has it and a selection may name
    it (0 to :data:`MAX_SERIES_NUMBER`: the header's IS may be negative, hostile35), else its UID."""
    if s.number is None or not 0 <= s.number <= MAX_SERIES_NUMBER:
        return s.uid
    return s.uid if sum(t.number == s.number for t in found) > 1 else str(s.number)


def _listing(found: list[SeriesFolder]) -> str:
    shown = "; ".join(f"{s.text()} e.g. {s.files[0].name}" for s in found[:_LISTED])
    return shown + ("; ..." if len(found) > _LISTED else "")


def mixed_listing(root: Path, found: list[SeriesFolder]) -> str:
    """The reader's one line for a folder holding several series and none chosen: each named (number,
    description, slices, scout marked, a file), the choice to make and the likely one (the CT with the most
    slices that is not a scout, :func:`.dicom_study.likely_series`)."""
    best = likely_series(found)
    advice = (f"e.g. {series_label(best, found)}, the CT series with the most slices that is not a scout"
              if best is not None else "none is an axial CT series (modality CT, not a scout)")
    return (f"{root}: mixed series ({len(found)} SeriesInstanceUIDs: {_listing(found)}); choose one: import-ct "
            f"--series N (its SeriesNumber or SeriesInstanceUID), or series = N in the scenario's [ct] ({advice}); "
            "or put one series per folder")


def pick_series(root: Path, found: list[SeriesFolder], wanted) -> SeriesFolder:
    """The series ``wanted`` names among ``found`` (:func:`folder_series`).

    Parameters
    ----------
    root : Path
        The folder (named in messages).
    found : list of SeriesFolder
        Its series.
    wanted : int or str
        A SeriesNumber or SeriesInstanceUID (:func:`series_selector`'s forms).

    Returns
    -------
    SeriesFolder

    Raises
    ------
    SeriesChoiceError
        A :class:`DicomError`: one line naming the value and the series the folder holds: a value that is neither form, no series
        of that number or UID, a SeriesNumber that two series share (choose by UID then), or a scout series
        (naming the CT series to choose).
    """
    sel = series_selector(wanted)
    if sel is None and isinstance(wanted, str):
        # the folder's own SeriesInstanceUID, though not a conformant UID (letters in it: some vendors' exports):
        # the editor's list offers it, and reading it was refused as "not allowed" (hostile35)
        sel = next((s.uid for s in found if s.uid == wanted.strip()), None)
    held = (f"the folder holds {len(found)} series: {_listing(found)}; expected one of "
            f"{', '.join(series_label(s, found) for s in found)}") if found else "the folder holds no series"
    if sel is None:
        raise SeriesChoiceError(f"{root}: series {wanted!r} is not allowed; expected {SERIES_ALLOWED} ({held})")
    hits = [s for s in found if (s.number == sel if isinstance(sel, int) else s.uid == sel)]
    if not hits:
        what = "SeriesNumber" if isinstance(sel, int) else "SeriesInstanceUID"
        raise SeriesChoiceError(f"{root}: series {sel}: no series with this {what} in the folder; {held}")
    if len(hits) > 1:
        raise SeriesChoiceError(f"{root}: series {sel}: {len(hits)} series have SeriesNumber {sel} "
                         f"({'; '.join(s.text() + ' ' + s.uid for s in hits[:_LISTED])}); choose one by its "
                         "SeriesInstanceUID")
    if hits[0].localizer:
        # a topogram chosen: said as such (its first file's refusal advised removing it from the folder, hostile35)
        best = likely_series(found)
        advice = (f"choose an axial CT series: e.g. {series_label(best, found)}, {best.text()}" if best is not None
                  else "the folder holds no axial CT series (modality CT, not a scout)")
        raise SeriesChoiceError(f"{root}: {hits[0].text()} is a scout (localizer) series, not axial slices; {advice}")
    return hits[0]


def stored_selection(picked: SeriesFolder, found: list[SeriesFolder]) -> int | str | None:
    """What a scenario's ``[ct] series`` stores to read ``picked`` again among ``found``.

    Parameters
    ----------
    picked : SeriesFolder
        The chosen series.
    found : list of SeriesFolder
        The folder's series (:func:`folder_series`).

    Returns
    -------
    int or str or None
        Its SeriesInstanceUID when a selection may be that UID (:func:`series_selector`: a number may be shared);
        else its SeriesNumber when no other series has it (a UID with letters in it, or longer than 64
        characters: the scenario's own check refused the file ``import-ct`` wrote, hostile35); else None (the
        series cannot be named: its files need a folder of their own).
    """
    if series_selector(picked.uid) == picked.uid:
        return picked.uid
    label = series_label(picked, found)
    return int(label) if label != picked.uid else None


def ungrouped_note(others: list[Path]) -> str:
    """Said with a gap in a chosen series: the folder's files that hold a DICOM header without a SeriesInstanceUID
    (:func:`folder_series` could not group them: one may be the missing slice), named; "" when there are none.

    Parameters
    ----------
    others : list of Path
        The files :func:`folder_series` did not group.

    Returns
    -------
    str
        ``"; N file(s) of the folder ... not read (no SeriesInstanceUID in its header: names)"`` or "".
    """
    bare = [p for p in others if header_of(p, bare=not is_dicom_file(p)) is not None]
    if not bare:
        return ""
    names = ", ".join(p.name for p in bare[:_LISTED]) + (", ..." if len(bare) > _LISTED else "")
    one = len(bare) == 1
    return (f"; {len(bare)} file{'' if one else 's'} of the folder {'was' if one else 'were'} not read "
            f"(no SeriesInstanceUID in {'its header' if one else 'their headers'}: {names})")


def chosen_note(picked: SeriesFolder | None, found: list[SeriesFolder], others: list[Path]) -> str:
    """The reader's note when a series was chosen: which one, and how many of the folder's files were not read
    (the other series', and files with no series header: a text file, a slice without SeriesInstanceUID); "" when
    none was chosen, or when the folder holds that series only."""
    if picked is None or (len(found) == 1 and not others):     # the folder's one series: nothing left out
        return ""
    skipped = sum(s.n_files for s in found if s is not picked) + len(others)
    rest = (f"; {skipped} other file{'s' if skipped != 1 else ''} not read"
            + (f" ({len(others)} without a DICOM series header)" if others else "")) if skipped else ""
    return f"{picked.text()} chosen among the folder's {len(found)} series{rest}"


def refuse_unnamed_series(meta: dict, folder: Path) -> None:
    """Before a scenario is written for a chosen series: :class:`SeriesChoiceError` when no ``[ct] series`` could
    name it (``meta``: the reader's; ``meta["series_choice"]`` None: its SeriesInstanceUID is not a conformant UID
    and its SeriesNumber is shared or absent).

    Parameters
    ----------
    meta : dict
        ``read_ct_series``'s ``meta``.
    folder : Path
        The folder read (named in the message).

    Raises
    ------
    SeriesChoiceError
        One line naming the series, its UID and what to do; nothing when no series was chosen or it can be named.
    """
    if "series_choice" in meta and meta["series_choice"] is None:
        raise SeriesChoiceError(f"{folder}: {meta['series_chosen']} has SeriesInstanceUID {meta['series_uid']!r}, "
                                "which is not a valid UID (digits and dots, at most 64 characters), and its "
                                "SeriesNumber names another series too: a scenario cannot name it; put this "
                                "series' files in a folder of their own")
