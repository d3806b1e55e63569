"""Finding a session's CT series by the fingerprint it recorded, when its folder was renamed or moved.

A session on a patient CT records its series (``ct_series`` in the header: SHA-256 of the slices,
file count, first and last file, SeriesInstanceUID; docs/session-format.md).  The scenario text names
the series folder relative to the scenario file, so renaming that folder, or keeping the sessions in
another folder than the case, used to leave the session impossible to assess.  Here the folders the
assessor allows (``--ct-root``, the session's folder, the GUI's scenario folders) and their
subfolders are searched, nearest first, for the folder whose recorded first and last files exist and
whose first file carries the recorded SeriesInstanceUID.  That is a cheap pre-selection: the replay
still compares the whole series' SHA-256 (:func:`trainer.core.session.replay.check_ct_series`).
Nothing outside the allowed folders is looked at, and symbolic links to folders are not followed.
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["MAX_SEARCH_DEPTH", "MAX_SEARCH_FOLDERS", "find_recorded_series", "holds_recorded_series"]

#: Subfolder levels searched below each allowed folder (``ROOT/case/series`` is depth 2).
MAX_SEARCH_DEPTH = 3
#: Folders looked at in all, at most (a session next to a home folder must not walk the disk).
MAX_SEARCH_FOLDERS = 5000


def _plain_name(name) -> bool:
    return isinstance(name, str) and bool(name) and name not in (".", "..") and Path(name).name == name


def _series_uid(path: Path) -> str | None:
    """The file's SeriesInstanceUID; forced, as the CT reader reads a slice saved with no preamble and file
    meta (:mod:`trainer.core.anatomy.dicom_io`); None when it has none (a non-DICOM file parses into
    nonsense elements, never the recorded UID)."""
    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"], force=True)
    except Exception:  # noqa: BLE001 - any unreadable file is simply not the series
        return None
    uid = ds.get("SeriesInstanceUID")
    return None if uid is None else str(uid)


def holds_recorded_series(folder, ct_series: dict) -> bool:
    """Whether ``folder`` holds the recorded series' first and last files, the first with its SeriesInstanceUID.

    Parameters
    ----------
    folder : str or Path
    ct_series : dict
        The session header's ``ct_series`` (``first_file``, ``last_file``, ``series_uid``).
    """
    first, last, uid = (ct_series.get(k) for k in ("first_file", "last_file", "series_uid"))
    if not (_plain_name(first) and _plain_name(last) and isinstance(uid, str) and uid):
        return False
    folder = Path(folder)
    return (folder / first).is_file() and (folder / last).is_file() and _series_uid(folder / first) == uid


def _folders(roots: Iterable[Path], max_depth: int) -> Iterator[Path]:
    """The roots and their subfolders, breadth first (hidden ones and symbolic links skipped)."""
    queue = deque((Path(r), 0) for r in roots)
    seen: set[Path] = set()
    while queue:
        folder, depth = queue.popleft()
        if folder in seen:
            continue
        seen.add(folder)
        yield folder
        if depth >= max_depth:
            continue
        try:
            with os.scandir(folder) as it:
                subs = sorted(e.name for e in it if e.is_dir(follow_symlinks=False) and not e.name.startswith("."))
        except OSError:
            continue
        queue.extend((folder / name, depth + 1) for name in subs)


def find_recorded_series(ct_series: dict, roots: Iterable, max_depth: int = MAX_SEARCH_DEPTH,
                         max_folders: int = MAX_SEARCH_FOLDERS) -> Path | None:
    """The nearest folder under ``roots`` that holds the recorded series, or None.

    Parameters
    ----------
    ct_series : dict
        The session header's ``ct_series``.
    roots : iterable of str or Path
        The folders the assessor allows, most specific first; searched breadth first.
    max_depth : int
        Subfolder levels below each root.
    max_folders : int
        Folders looked at in all before giving up.

    Returns
    -------
    Path or None
        The folder (resolved), or None when no folder within the limits holds the series.
    """
    if not isinstance(ct_series, dict):
        return None
    for n, folder in enumerate(_folders([Path(r).resolve() for r in roots], max_depth)):
        if n >= max_folders:
            return None
        if holds_recorded_series(folder, ct_series):
            return folder
    return None
