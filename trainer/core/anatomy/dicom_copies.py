"""Exact copies of a slice in a CT folder, read once (issue 12, dedup33).

A PACS export that sends an image twice, or a user's copy (``CT0006 (copy).dcm``, ``Copy of
CT0006.dcm``), puts the same slice in the folder twice: the same SOPInstanceUID at the same
ImagePositionPatient with the same pixels.  That is one slice, and the series is read with one of
them; the reader says which file it ignored and which it duplicates (:func:`copies_note`). The file kept is
the one named as the series' other files are (:func:`name_shape`: the most files share its name with its
digits counted as one), then the shortest name, then the first by name: deterministic, and the original rather
than ``... (copy)``, ``Copy of ...`` or a shorter ``5.dcm`` beside ``CT0005.dcm``, so the series'
fingerprint's first and last file names stay those of the folder without the copy. Two files with the same
SOPInstanceUID and position whose pixels (in HU, after rescale and padding) differ are refused here, naming
both; anything else at a duplicated position (another SOPInstanceUID, or another orientation, spacing or size)
is left to the reader's own checks, which refuse it ("duplicated slice position", "... differs from ...").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from trainer.core.errors import DicomError

__all__ = ["copies_note", "drop_exact_copies", "name_shape", "shared_uid_note"]

#: positions within this (mm, each coordinate) are the same position: the reader's duplicated-position step
POSITION_TOLERANCE_MM = 1e-3
#: orientation cosines and pixel spacing within this are the same (the reader's "differs" tolerance)
GEOMETRY_TOLERANCE = 1e-4


def name_shape(name: str) -> str:
    """A file name with every run of digits written ``#``: ``CT0005.dcm`` and ``CT0123.dcm`` are ``CT#.dcm``, a
    copy ``CT0005 (copy).dcm`` is ``CT# (copy).dcm``, ``5.dcm`` is ``#.dcm``.

    Parameters
    ----------
    name : str
        A file name.

    Returns
    -------
    str
    """
    return re.sub(r"[0-9]+", "#", name)


def _numbers(ds, key: str) -> np.ndarray:
    return np.asarray([float(v) for v in ds.get(key)], float)


def _same_geometry(a, b) -> bool:
    """The same Rows, Columns, orientation and pixel spacing (the headers are checked before)."""
    return ((int(a.Rows), int(a.Columns)) == (int(b.Rows), int(b.Columns))
            and bool(np.all(np.abs(_numbers(a, "ImageOrientationPatient") - _numbers(b, "ImageOrientationPatient"))
                            <= GEOMETRY_TOLERANCE))
            and bool(np.all(np.abs(_numbers(a, "PixelSpacing") - _numbers(b, "PixelSpacing")) <= GEOMETRY_TOLERANCE)))


def _by_uid(sets: list) -> dict[str, list[int]]:
    """The indices into ``sets`` ((path, dataset) slices) of each SOPInstanceUID written (slices without one left
    out)."""
    groups: dict[str, list[int]] = {}
    for i, (_, ds) in enumerate(sets):
        uid = str(ds.get("SOPInstanceUID", "") or "")
        if uid:
            groups.setdefault(uid, []).append(i)
    return groups


def drop_exact_copies(root: Path, sets: list, hu_of: Callable[[Path, object], np.ndarray]
                      ) -> tuple[list, list[tuple[Path, Path]]]:
    """The series' ``(path, dataset)`` slices with every exact copy of another file's slice left out.

    Parameters
    ----------
    root : Path
        The series folder (named in the refusal).
    sets : list of (Path, Dataset)
        The slices as read, headers checked (:func:`~trainer.core.anatomy.dicom_sanity.check_series_headers`).
    hu_of : callable
        ``hu_of(path, dataset)``: the slice's HU (rescaled, padding as air) as the reader reads them.

    Returns
    -------
    (list, list of (Path, Path))
        The slices kept, in their order, and each (file left out, file it duplicates).

    Raises
    ------
    DicomError
        Two files hold the same SOPInstanceUID at the same position with different pixels.
    """
    groups = _by_uid(sets)
    shapes = Counter(name_shape(p.name) for p in {p for p, _ in sets})
    drop: set[int] = set()
    copies: list[tuple[Path, Path]] = []
    for uid, members in groups.items():
        if len({sets[i][0] for i in members}) < 2:
            continue                    # one file (an Enhanced CT's frames share its SOPInstanceUID)
        # the series' own naming first (pass 163: the shortest name alone kept 5.dcm and named CT0005.dcm the copy)
        members = sorted(members, key=lambda i: (-shapes[name_shape(sets[i][0].name)], len(sets[i][0].name),
                                                 sets[i][0].name, i))
        for n, i in enumerate(members):
            if i in drop:
                continue
            p, ds = sets[i]
            pos = _numbers(ds, "ImagePositionPatient")
            hu = None
            for j in members[n + 1:]:
                q, other = sets[j]
                if j in drop or q == p or not _same_geometry(ds, other):
                    continue            # the same file's frames, or another geometry: the reader's checks say
                if np.max(np.abs(_numbers(other, "ImagePositionPatient") - pos)) > POSITION_TOLERANCE_MM:
                    continue            # not at this position: not a copy of this slice
                hu = hu_of(p, ds) if hu is None else hu
                theirs = hu_of(q, other)
                if not np.array_equal(hu, theirs):
                    n_diff = int(np.count_nonzero(hu != theirs))
                    worst = int(np.max(np.abs(hu.astype(np.int32) - theirs.astype(np.int32))))
                    where = " ".join(f"{v:g}" for v in pos)
                    raise DicomError(f"{root}: {q.name} and {p.name} have the same SOPInstanceUID {uid} and "
                                     f"position ({where} mm) but different pixels ({n_diff} of {hu.size} differ, by "
                                     f"up to {worst} HU); expected one slice per position: keep the file from the "
                                     "original export and remove the other")
                drop.add(j)
                copies.append((q, p))
    if not drop:
        return sets, []
    return [s for i, s in enumerate(sets) if i not in drop], copies


def copies_note(copies: list[tuple[Path, Path]]) -> str:
    """One line naming the files left out as exact copies (``copies``: (file left out, file kept)).

    Parameters
    ----------
    copies : list of (Path, Path)
        From :func:`drop_exact_copies`; an Enhanced CT's copy appears once per frame, named once.

    Returns
    -------
    str
        Empty when ``copies`` is empty.
    """
    pairs = list(dict.fromkeys((q.name, p.name) for q, p in copies))
    if not pairs:
        return ""
    shown = ", ".join(f"{q} (a copy of {p})" for q, p in pairs[:5])
    more = f" and {len(pairs) - 5} more" if len(pairs) > 5 else ""
    what = "an exact copy of a slice" if len(pairs) == 1 else f"{len(pairs)} exact copies of slices"
    return (f"{what} ignored (the same SOPInstanceUID, position and pixels): {shown}{more}; the series is read "
            "with each slice once")


def shared_uid_note(sets: list) -> str:
    """One line naming slice files that share a SOPInstanceUID with another at another position (a broken export
    that reused UIDs; every slice of a series must have its own, PS3.3 C.12.1.1.1), or "" when none does.

    The slices are read by their positions as any others (the exact copies are gone by then,
    :func:`drop_exact_copies`); the user is told because a PACS refuses such a series and because the series'
    fingerprint (SOPInstanceUID and HU per slice) then tells its slices apart by their HU alone.

    Parameters
    ----------
    sets : list of (Path, Dataset)
        The series' slices after :func:`drop_exact_copies`.

    Returns
    -------
    str
    """
    files = ({sets[i][0] for i in members} for members in _by_uid(sets).values())
    shared = [sorted(ps, key=lambda q: q.name) for ps in files if len(ps) > 1]
    if not shared:
        return ""
    shown = ", ".join(" and ".join(q.name for q in ps[:3]) for ps in shared[:5])
    more = f" and {len(shared) - 5} more" if len(shared) > 5 else ""
    return (f"{len(shared)} SOPInstanceUID(s) used by slices at different positions: {shown}{more} (a broken "
            "export: each slice should have its own); read by their positions")
