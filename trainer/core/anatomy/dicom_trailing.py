"""A CT slice read up to the end of its pixel data; bytes after it are ignored and counted.

A slice's data set ends with (7FE0,0010) PixelData; the standard allows only Digital Signatures
(FFFA,FFFA) and Data Set Trailing Padding (FFFC,FFFC) after it, and a private element there is
rare.  Random bytes appended to a slice file (a damaged copy or download, two files run together)
were read by pydicom as further elements (issue 12, hostile30 / dedup33): their random tags became
private elements, some with tags below the pixel data's (so they entered the data set among the
header's attributes), and now and then an unknown VR made pydicom raise ("not a readable DICOM file
(NotImplementedError: Unknown Value Representation ...)"), neither message saying what was wrong.
:func:`read_to_pixel_end` stops the parse at the first element after the pixel data: the header
and pixels before it are the slice whole (the reader's own checks still refuse a short PixelData),
and what follows is never parsed.  It returns how many bytes it ignored that are neither zero
padding (files padded to 2048-byte sectors) nor an element the standard allows there, so that the
reader can say so once (:func:`trailing_note`).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from pydicom.dataset import FileDataset
from pydicom.filereader import read_partial
from pydicom.uid import DeflatedExplicitVRLittleEndian
from pydicom.valuerep import VR

__all__ = ["PIXEL_DATA", "read_to_pixel_end", "trailing_note"]

PIXEL_DATA = 0x7FE00010
#: elements the standard places after the pixel data: Digital Signatures Sequence, Data Set Trailing Padding
_ALLOWED_AFTER = (0xFFFAFFFA, 0xFFFCFFFC)
_KNOWN_VRS = frozenset(v.value for v in VR)
_UNDEFINED_LENGTH = 0xFFFFFFFF
#: explicit VRs whose element header is 12 bytes (a 32-bit length after two reserved bytes)
_LONG_HEADER_VRS = frozenset(("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"))


def read_to_pixel_end(fh: BinaryIO, force: bool = False) -> tuple[FileDataset, int]:
    """Read a DICOM file up to the end of its top-level PixelData, as :func:`pydicom.dcmread` would otherwise.

    Parameters
    ----------
    fh : binary file
        Open at the file's start; left after the last byte read.
    force : bool
        As :func:`pydicom.dcmread`'s (a data set without preamble and file meta).

    Returns
    -------
    (FileDataset, int)
        The data set (every element up to and including the pixel data), and the number of bytes
        after the pixel data that were ignored and are junk: 0 when there are none, when they are
        zero padding or when they start with an element the standard allows there (or a well-formed
        private element in tag order); -1 when there are some but their size is unknown (a deflated
        file, read through a decompressed copy).
    """
    pixels: list[int | None] = []       # the pixel data's end in ``fh`` (None: encapsulated, undefined length)
    after: list[tuple[int, str | None, int]] = []   # the element pydicom stopped at

    def stop(tag, vr, length) -> bool:
        if pixels:
            after.append((int(tag), vr, int(length)))
            return True
        if int(tag) == PIXEL_DATA:      # called with the file at the value's start
            pixels.append(None if length == _UNDEFINED_LENGTH else fh.tell() + int(length))
        return False

    ds = read_partial(fh, stop_when=stop, force=force)
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is not None and syntax == DeflatedExplicitVRLittleEndian:
        # pydicom read a decompressed copy, not ``fh``: only the element it stopped at tells
        if not after or after[0][0] in _ALLOWED_AFTER or (after[0][0], after[0][2]) == (0, 0):
            return ds, 0
        return ds, -1
    if not after:
        end = pixels[0] if pixels else None
        if end is None or fh.tell() <= end:
            return ds, 0                # no pixel data (refused by the reader), an encapsulated one, or no tail
        fh.seek(end)                    # fewer than 8 bytes: not an element's header, pydicom stopped silently
        return ds, _junk_bytes(fh.read())
    tag, vr, length = after[0]
    rest = fh.read()                    # pydicom rewound to the element it stopped at
    if tag in _ALLOWED_AFTER:
        return ds, 0
    header = 12 if vr in _LONG_HEADER_VRS else 8
    if (tag > PIXEL_DATA and (vr is None or vr in _KNOWN_VRS)
            and (length == _UNDEFINED_LENGTH or length <= len(rest) - header)):
        return ds, 0                    # a well-formed element in tag order (a private group after the pixels)
    return ds, _junk_bytes(rest)


def _junk_bytes(rest: bytes) -> int:
    """The size of ``rest`` unless it is empty or all zero bytes (sector padding), else 0."""
    return len(rest) if rest.strip(b"\0") else 0


def trailing_note(found: list[tuple[Path, int]]) -> str:
    """One line naming the files whose bytes after the pixel data were ignored (``found``: (file, bytes)).

    Parameters
    ----------
    found : list of (Path, int)
        From :func:`read_to_pixel_end` (-1: size unknown).

    Returns
    -------
    str
        Empty when ``found`` is empty.
    """
    if not found:
        return ""
    shown = ", ".join(f"{p.name} ({n} bytes)" if n > 0 else p.name for p, n in found[:5])
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    return (f"trailing data ignored: data after the pixel data in {len(found)} file(s): {shown}{more} (not part of a "
            "CT slice: a damaged copy or download; the slices' headers and pixels before it are whole and were read)")
