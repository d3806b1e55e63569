"""The series a study folder holds in its subfolders: what an instructor points at is often not a series.

A CD, a PACS export or a zip of a study keeps each series in a folder of its own, a few levels down
(``DICOMDIR`` + ``DICOM/PAT0001/STU0001/SER0003/IMG0001``, or ``S0001/``, ``S0002/`` ...), beside a scout,
a thick and a thin axial reconstruction and some reformats.  The reader takes one folder as one
series; given the study's top folder it said only which folders lay directly inside it.  Here the
subfolders are searched (a few levels, no links followed) for the folders that hold DICOM files, and
each is described from the header of its first file (modality, series description, slice thickness,
whether it is a scout), so that the message, and the GUI's chooser, can name the series by what they
are and suggest the one to read: the CT series with the most slices that is not a scout.

Only files that start like DICOM Part 10 files (``DICM`` at byte 128, :func:`.dicom_folder.is_dicom_file`)
are counted, and one header per folder is read (no pixels), so a study of a few thousand files is
described in well under a second.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread

from trainer.core.anatomy.dicom_folder import OS_JUNK_FOLDERS, is_dicom_file

__all__ = ["MAX_DEPTH", "MAX_FOLDERS", "Header", "SeriesFolder", "SeriesList", "find_series", "header_of", "likely_series",
           "search_stopped", "series_listing", "series_number", "subfolder_note"]

#: how many folder levels below the given one are searched (a DICOMDIR layout is 4 deep: patient, study,
#: series, then the files)
MAX_DEPTH = 4
#: at most this many folders are looked into (a home folder given by mistake is not walked whole)
MAX_FOLDERS = 2000
#: a folder is a series folder only if one of its first this many files (by name) is DICOM
_SAMPLED = 32
#: at most this many series are named in one message line
_LISTED = 6


@dataclass(frozen=True)
class SeriesFolder:
    """A folder below the given one that holds DICOM files, described by its first file's header.

    Attributes
    ----------
    path : Path
        The folder.
    rel : str
        Its path relative to the searched folder, with ``/`` between the parts.
    n_files : int
        DICOM files directly in it.
    modality : str
        Modality of the first file (``"CT"``; ``"?"`` when its header cannot be read).
    description : str
        SeriesDescription of the first file ("" when absent), control characters replaced by spaces.
    thickness_mm : float or None
        SliceThickness of the first file, mm.
    localizer : bool
        Whether the first file is a scout (ImageType holds ``LOCALIZER``).
    uid : str
        SeriesInstanceUID of the first file ("" when absent or unreadable).
    number : int or None
        SeriesNumber of the first file (None when absent or not an integer).
    files : tuple of Path
        For a series among others in one flat folder (:mod:`.dicom_mixed`): its files, sorted by name; ()
        for a series folder (every DICOM file in ``path``).
    """

    path: Path
    rel: str
    n_files: int
    modality: str
    description: str
    thickness_mm: float | None
    localizer: bool
    uid: str = ""
    number: int | None = None
    files: tuple[Path, ...] = ()

    def text(self) -> str:
        """One short phrase: ``S0003 (CT 'Thorax 1.0 B31f', 312 files, 1 mm slices)``."""
        bits = [self.modality + (" scout" if self.localizer else "")
                + (f" {self.description!r}" if self.description else "")]
        bits.append(f"{self.n_files} file{'s' if self.n_files != 1 else ''}")
        if self.thickness_mm is not None and not self.localizer:
            bits.append(f"{self.thickness_mm:g} mm slices")
        return f"{self.rel} ({', '.join(bits)})"


@dataclass(frozen=True)
class Header:
    """What one file's header says of its series (no pixels read).

    Attributes
    ----------
    modality : str
        Modality (``"?"`` when the header cannot be read).
    description : str
        SeriesDescription, control characters replaced by spaces, at most 60 characters.
    thickness_mm : float or None
        SliceThickness, mm (None when absent, not a number or not positive).
    localizer : bool
        Whether ImageType holds ``LOCALIZER`` (a scout).
    uid : str
        SeriesInstanceUID ("" when absent).
    number : int or None
        SeriesNumber (None when absent or not an integer).
    """

    modality: str = "?"
    description: str = ""
    thickness_mm: float | None = None
    localizer: bool = False
    uid: str = ""
    number: int | None = None


def series_number(ds) -> int | None:
    """A data set's SeriesNumber as an integer; None when absent or not one."""
    try:
        return int(ds.get("SeriesNumber")) if ds.get("SeriesNumber") not in (None, "") else None
    except (TypeError, ValueError):
        return None


_TAGS = ["Modality", "SeriesDescription", "SliceThickness", "ImageType", "SeriesInstanceUID", "SeriesNumber"]


#: the first two bytes of a bare data set: its first element's group, 0002 (file meta) or 0008, either byte order
_BARE_STARTS = (b"\x02\x00", b"\x08\x00", b"\x00\x02", b"\x00\x08")


def _starts_bare_data_set(path: Path) -> bool:
    """Whether ``path``'s first bytes are a DICOM group a bare data set starts with: a file that is not (a zip, a
    video kept beside a flat export) is not parsed with ``force``, which reads whatever lengths its bytes give."""
    try:
        with open(path, "rb") as fh:
            return fh.read(2) in _BARE_STARTS
    except OSError:
        return False


def header_of(path: Path, bare: bool = False) -> Header | None:
    """One file's :class:`Header`, read with ``stop_before_pixels`` (a few kB of the file); None when it cannot be
    read as DICOM (the reader names the problem once the file is read for its slice).  ``bare``: the file has no
    ``DICM`` preamble and is read as the bare data set it may hold (as the reader reads such a slice); anything
    that then holds no SOPClassUID (a text file parsed into nonsense) is None."""
    if bare and not _starts_bare_data_set(path):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = dcmread(path, stop_before_pixels=True, specific_tags=_TAGS + ["SOPClassUID"] if bare else _TAGS,
                         force=bare, defer_size=4096 if bare else None)
            if bare and not str(ds.get("SOPClassUID", "") or "").strip():
                return None
            modality = str(ds.get("Modality", "") or "?")
            desc = " ".join("".join(c if c.isprintable() else " " for c in str(ds.get("SeriesDescription", "")))
                            .split())
            try:
                thick = float(ds.get("SliceThickness")) if ds.get("SliceThickness") not in (None, "") else None
            except (TypeError, ValueError):
                thick = None
            kinds = ds.get("ImageType") or []
            kinds = [kinds] if isinstance(kinds, str) else list(kinds)
            scout = any(str(k).strip().upper() == "LOCALIZER" for k in kinds)
            uid = str(ds.get("SeriesInstanceUID", "") or "").strip()
            number = series_number(ds)
    except Exception:           # noqa: BLE001 - any damage: described as unreadable, refused when read
        return None
    return Header(modality, desc[:60], thick if thick is not None and thick > 0 else None, scout, uid, number)


def _header(path: Path) -> dict:
    """The :class:`SeriesFolder` fields a folder's first file gives (:func:`header_of`; "?" when unreadable)."""
    head = header_of(path) or Header()
    return {"modality": head.modality, "description": head.description, "thickness_mm": head.thickness_mm,
            "localizer": head.localizer, "uid": head.uid, "number": head.number}


class SeriesList(list):
    """:func:`find_series`'s list, which also says whether the search stopped at its folder limit.

    Attributes
    ----------
    stopped_after : int
        0 when every folder within the depth was searched; else the number searched before the limit stopped it
        (folders beyond it were not looked into: the listing says so, hostile34).
    """

    stopped_after: int = 0


def search_stopped(series: list[SeriesFolder]) -> str:
    """The clause the messages add when :func:`find_series` stopped at its folder limit; "" when it did not."""
    after = getattr(series, "stopped_after", 0)
    return (f" (the search stopped after {after} folders: more may lie beyond them; give a folder nearer the series)"
            if after else "")


def find_series(root: Path, max_depth: int = MAX_DEPTH, max_folders: int = MAX_FOLDERS,
                progress: Callable[[int, str], None] | None = None) -> SeriesList:
    """The folders below ``root`` (not ``root`` itself) that hold DICOM files, breadth first, sorted by path.

    Parameters
    ----------
    root : Path
        The folder given (a study, a CD, an export).
    max_depth : int
        Levels of subfolders searched below ``root``.
    max_folders : int
        At most this many folders are listed; the search stops there.
    progress : callable, optional
        ``progress(looked_in, rel)`` before each folder's files are looked at: how many folders so far (1, 2, ...)
        and the folder's path below ``root``.  What it raises stops the search and comes out of this call (the
        import editor searches off the GUI thread, and its Cancel raises there; round 36).

    Returns
    -------
    SeriesList
        One per folder that holds at least one file starting with ``DICM`` at byte 128; hidden folders,
        the operating system's own (``__MACOSX``) and links to folders are not entered, folders that
        cannot be listed are passed over; ``stopped_after`` says whether ``max_folders`` cut the search short.
    """
    found: list[SeriesFolder] = []
    level = [Path(root)]
    seen = 0
    looked = 0                  # folders whose files were looked at (progress)
    cut = False
    for _depth in range(max_depth):
        below: list[Path] = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                try:
                    if (e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
                            and e.name.lower() not in OS_JUNK_FOLDERS):
                        if seen >= max_folders:
                            cut = True
                            break
                        below.append(Path(e.path))
                        seen += 1
                except OSError:
                    continue
        for folder in below:
            looked += 1
            if progress is not None:
                progress(looked, folder.relative_to(root).as_posix())
            try:
                files = sorted(p for p in folder.iterdir()
                               if p.is_file() and not p.is_symlink() and p.name.upper() != "DICOMDIR")
            except OSError:
                continue
            # a folder none of whose first files is DICOM is not a series folder: its other files are not opened
            # (a home folder or /usr given by mistake took 7 s, every file of 2000 folders opened, hostile34)
            if not any(is_dicom_file(p) for p in files[:_SAMPLED]):
                continue
            dicom = [p for p in files if is_dicom_file(p)]
            if dicom:
                found.append(SeriesFolder(folder, folder.relative_to(root).as_posix(), len(dicom), **_header(dicom[0])))
        level = below
        if not level or cut:
            break
    out = SeriesList(sorted(found, key=lambda s: s.rel))
    out.stopped_after = seen if cut else 0
    return out


def likely_series(series: list[SeriesFolder]) -> SeriesFolder | None:
    """The series to suggest: a CT, not a scout, with the most files (the thinnest of equals); None if none."""
    ct = [s for s in series if s.modality == "CT" and not s.localizer]
    return max(ct, key=lambda s: (s.n_files, -(s.thickness_mm or 0.0)), default=None)


def series_listing(root: Path, series: list[SeriesFolder]) -> str:
    """What ``root``'s subfolders hold, for the reader's "holds no DICOM files" line (text after it)."""
    shown = "; ".join(s.text() for s in series[:_LISTED]) + ("; ..." if len(series) > _LISTED else "")
    best = likely_series(series)
    advice = (f"give the folder of one series, e.g. the CT with the most slices: {best.path}" if best is not None
              else "none is a CT series (modality CT); give the folder of an axial CT series")
    n = len(series)
    return f"its subfolders hold {n} series folder{'s' if n != 1 else ''}{search_stopped(series)}: {shown}; {advice}"


def subfolder_note(series: list[SeriesFolder]) -> str:
    """The reader's note when the given folder holds slices and subfolders with DICOM files too: those are
    not read (one folder, one series); "" when there are none.  When :func:`find_series` stopped at its folder
    limit the count is of the folders searched, and the note says so (round 38: it counted them as all)."""
    if not series:
        return ""
    n = sum(s.n_files for s in series)
    names = ", ".join(s.rel for s in series[:_LISTED]) + (", ..." if len(series) > _LISTED else "")
    after = getattr(series, "stopped_after", 0)
    cut = f"; the search stopped after {after} folders: more may lie beyond them" if after else ""
    return (f"{n} DICOM file{'s' if n != 1 else ''} in subfolder{'s' if len(series) != 1 else ''} {names} "
            f"not read (a series is read from its own folder only; give a subfolder to read its series{cut})")
