"""A folder's slice files and their series as one reading of their headers found them, handed from a caller that
read them to :func:`~trainer.core.anatomy.dicom_io.read_ct_series`, which then does not read them again.

The landmark editor's reading job asks whether a folder holds several series side by side (every file's header
read: :func:`~trainer.core.anatomy.dicom_mixed.folder_series`) and then reads the series, whose reader read every
header again (0.07 s of CPU at the chest CT's 133 files, round 45).  The listing is used only while it is
current: the same files, in the same order, each of the same size and modification time (ns) as when its
headers were read; a file added, removed, rewritten or touched since, and the reader reads the headers again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from trainer.core.anatomy.dicom_mixed import folder_series
from trainer.core.anatomy.dicom_study import SeriesFolder

__all__ = ["FolderHeaders", "folder_headers"]


def _stamps(files) -> tuple[tuple[int, int], ...]:
    """(size in bytes, modification time in ns) of each of ``files`` (OSError when one cannot be stat'ed)."""
    out = []
    for p in files:
        st = os.stat(p)
        out.append((int(st.st_size), int(st.st_mtime_ns)))
    return tuple(out)


@dataclass(frozen=True)
class FolderHeaders:
    """The series among a folder's slice files (:func:`~trainer.core.anatomy.dicom_mixed.folder_series`'s
    result) and what they were read from.

    Attributes
    ----------
    root : Path
        The folder.
    files : tuple of Path
        Its slice files (:func:`~trainer.core.anatomy.dicom_folder.series_files`), in that order.
    stamps : tuple of (int, int)
        Each file's size (bytes) and modification time (ns), taken before its header was read.
    series : tuple of SeriesFolder
        The series found, as ``folder_series`` orders them.
    others : tuple of Path
        The files ``folder_series`` could not group.
    """

    root: Path
    files: tuple[Path, ...]
    stamps: tuple[tuple[int, int], ...]
    series: tuple[SeriesFolder, ...]
    others: tuple[Path, ...]

    def current_for(self, root: Path, files) -> bool:
        """Whether this listing holds for ``root``'s slice files ``files`` now: the same folder, files and order,
        each file's size and modification time unchanged (False when one cannot be stat'ed)."""
        if Path(root) != self.root or tuple(files) != self.files:
            return False
        try:
            return _stamps(files) == self.stamps
        except OSError:
            return False


def folder_headers(root: Path, files) -> FolderHeaders:
    """:class:`FolderHeaders` of ``root``'s slice files ``files`` (every header read, no pixel).

    Parameters
    ----------
    root : Path
        The folder.
    files : list of Path
        Its slice files (:func:`~trainer.core.anatomy.dicom_folder.series_files`), sorted by name.

    Returns
    -------
    FolderHeaders
        The series found and the files' stamps (OSError when a file cannot be stat'ed).
    """
    stamps = _stamps(files)                 # before the headers: a file changed while read is not current later
    series, others = folder_series(Path(root), list(files))
    return FolderHeaders(Path(root), tuple(files), stamps, tuple(series), tuple(others))
