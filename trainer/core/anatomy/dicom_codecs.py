"""Compressed slices: which transfer syntaxes the reader decodes, and the note a lossy series gets.

Clinical exports are often compressed.  pydicom decodes RLE Lossless itself, JPEG-LS through pyjpegls
and, with GDCM installed (``python-gdcm``, a dependency since round 34), JPEG Lossless (process 14, the
PACS default), JPEG baseline and extended (12-bit) and JPEG 2000.  A lossless series is read as the
scanner wrote it and nothing is said.  A lossy one (a lossy-only transfer syntax, or the header's
LossyImageCompression ``01``) is read too, its CT numbers being the codec's approximation of the
scanner's, and :func:`lossy_note` says so in one line, which ``import-ct`` and the import editor show.
"""

from __future__ import annotations

from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.uid import JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLSNearLossless

__all__ = ["LOSSY_SYNTAXES", "is_lossy", "lossy_note"]

#: transfer syntaxes that are lossy whatever the header says (JPEG 2000 may be either: its header says)
LOSSY_SYNTAXES = frozenset({JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLSNearLossless})


def is_lossy(ds: Dataset) -> bool:
    """Whether a slice's pixels went through lossy compression: stored in a lossy-only transfer syntax, or
    LossyImageCompression ``01`` (the image was lossy-compressed once, whatever it is stored in now)."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    return syntax in LOSSY_SYNTAXES or str(ds.get("LossyImageCompression", "")).strip() == "01"


def lossy_note(sets: list[tuple[Path, Dataset]]) -> str:
    """One line for the reader's notes when any slice is lossy-compressed; "" when none is.

    Parameters
    ----------
    sets : list of (Path, Dataset)
        The series' slices.

    Returns
    -------
    str
        How many slices, the transfer syntax of the first, and its LossyImageCompressionRatio when given.
    """
    lossy = [ds for _, ds in sets if is_lossy(ds)]
    if not lossy:
        return ""
    first = lossy[0]
    syntax = getattr(getattr(first, "file_meta", None), "TransferSyntaxUID", None)
    name = getattr(syntax, "name", str(syntax))
    ratio = first.get("LossyImageCompressionRatio")
    if ratio is not None and not isinstance(ratio, (str, int, float)):
        ratio = "\\".join(str(r) for r in ratio)
    said = f", compression ratio {ratio}" if ratio not in (None, "") else ""
    n = len(lossy)
    return (f"{n} of {len(sets)} slices are lossy-compressed ({name}{said}): their CT numbers are the codec's "
            "approximation of the scanner's, read as they are (ask for a lossless or uncompressed export for "
            "teaching)")
