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

from trainer.core.errors import DicomError

__all__ = ["LOSSY_SYNTAXES", "decode_failure", "is_lossy", "lossy_note"]

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


#: pydicom's preamble to its decoders' own reasons, left out of the line
_PLUGINS_SAID = "Unable to decode as exceptions were raised by all available plugins:"


def decode_failure(path: Path, ds: Dataset, exc: Exception, what: str = "pixel data") -> DicomError:
    """The one-line error for compressed pixel data that could not be decoded.

    Parameters
    ----------
    path : Path
        The file.
    ds : Dataset
        Its data set (the transfer syntax is read from its file meta).
    exc : Exception
        What pydicom raised.
    what : str
        How the data is named ("pixel data", or an Enhanced CT's "Enhanced CT (N frames) with compressed pixel
        data").

    Returns
    -------
    DicomError
        Naming the file, the syntax and the decoders' reason, and what to do: where a decoder for the syntax is
        installed, the data is damaged or cut short or a variant it lacks (copy the slice again, or export the
        series uncompressed); where none is, export it uncompressed.
    """
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    name = getattr(syntax, "name", str(syntax))
    why = " ".join(str(exc).replace(_PLUGINS_SAID, "").split())[:160]
    try:
        from pydicom.pixels import get_decoder

        decoder = get_decoder(syntax).is_available if syntax is not None else False
    except Exception:  # noqa: BLE001 - an unknown syntax, or pydicom 2 (no pydicom.pixels): no decoder known
        decoder = False
    if decoder:
        return DicomError(f"{path}: {what} in {name} could not be decoded ({why}): damaged, cut short, or a variant "
                          "the decoders here lack; copy the slice again, or export the series uncompressed")
    return DicomError(f"{path}: {what} in {name} cannot be decoded here (no decoder installed for it: {why}); "
                      "export the series uncompressed")
