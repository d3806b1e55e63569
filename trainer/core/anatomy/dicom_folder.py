"""Which files of a CT folder are the series' slices: operating-system junk is skipped, not refused.

A DICOM folder copied from Windows or macOS carries files the user never made: Windows Explorer's
thumbnail caches (``Thumbs.db``, ``ehthumbs.db``) and folder settings (``desktop.ini``), macOS
Finder's ``.DS_Store`` and the AppleDouble ``._NAME`` files a non-Mac disk or a zip gets beside
every file.  They are skipped by name, but only once their content shows they are not DICOM
(no ``DICM`` at byte 128, the DICOM file preamble that every slice this reader accepts has):
a real slice that happens to be hidden or oddly named is never dropped.  Any other file, a
``README.txt`` say, is still read and refused naming it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["OS_JUNK_FOLDERS", "OS_JUNK_NAMES", "is_dicom_file", "is_os_junk", "series_files", "series_subfolders"]

#: file names (lower case) that Windows and macOS write into any folder they show
OS_JUNK_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "ehthumbs_vista.db", "desktop.ini", ".ds_store",
                           ".localized", "icon\r"})
#: folder names (lower case) that Windows and macOS (or a zip made on a Mac) add
OS_JUNK_FOLDERS = frozenset({"__macosx", "$recycle.bin", "system volume information"})

_PREAMBLE_BYTES = 128
_MAGIC = b"DICM"


def is_dicom_file(path: Path) -> bool:
    """Whether ``path`` starts like a DICOM Part 10 file: ``DICM`` after the 128-byte preamble.

    Parameters
    ----------
    path : Path
        A file.

    Returns
    -------
    bool
        False when the file is shorter than 132 bytes, cannot be opened, or has no ``DICM`` there.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(_PREAMBLE_BYTES)
            return fh.read(len(_MAGIC)) == _MAGIC
    except OSError:
        return False


def is_os_junk(path: Path) -> bool:
    """Whether ``path`` is a file the operating system wrote (by name: hidden, a thumbnail cache,
    folder settings, an AppleDouble ``._`` file) and not DICOM (by content, :func:`is_dicom_file`)."""
    name = path.name
    by_name = name.startswith(".") or name.lower() in OS_JUNK_NAMES
    return by_name and not is_dicom_file(path)


def series_files(root: Path) -> list[Path]:
    """The files of folder ``root`` that may be slices, sorted by name: every file (or link: the
    caller refuses links) but ``DICOMDIR`` and operating-system junk (:func:`is_os_junk`).  A link to a
    folder is not a slice: a study folder holding one (``latest -> S3``) was refused as "a symbolic link"
    instead of naming its series (hostile34); like any link to a folder it is not looked into."""
    return sorted(p for p in root.iterdir() if ((p.is_symlink() and not p.is_dir()) or p.is_file())
                  and p.name.upper() != "DICOMDIR" and not is_os_junk(p))


def series_subfolders(root: Path) -> list[str]:
    """Names of ``root``'s subfolders, sorted, without hidden ones and the system's own (``__MACOSX``)."""
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and p.name.lower() not in OS_JUNK_FOLDERS)
