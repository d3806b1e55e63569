"""Compressed slices: which transfer syntaxes the reader decodes, and the note a lossy series gets.

Clinical exports are often compressed.  pydicom decodes RLE Lossless itself, JPEG-LS through pyjpegls
and, with GDCM installed (``python-gdcm``, a dependency since round 34), JPEG Lossless (process 14, the
PACS default), JPEG baseline and JPEG 2000; High-Throughput JPEG 2000 through imagecodecs' OpenJPEG
(:mod:`.dicom_htj2k`, registered here; round 40).  JPEG extended (process 2 and 4), 8- or 12-bit, the lossy CT of
older PACS and CDs, goes through imagecodecs (:mod:`.dicom_jpeg12`, registered here; round 36): GDCM's build
lacks the 12-bit IJG library and such a series was refused.  A lossless series is read as the
scanner wrote it and nothing is said.  A lossy one (a lossy-only transfer syntax, or the header's
LossyImageCompression ``01``) is read too, its CT numbers being the codec's approximation of the
scanner's, and :func:`lossy_note` says so in one line, which ``import-ct`` and the import editor show.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.uid import (
    HTJ2K,
    JPEG2000,
    JPEG2000TransferSyntaxes,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLSNearLossless,
)

from trainer.core.anatomy import dicom_htj2k, dicom_jpeg12
from trainer.core.anatomy.dicom_j2k import sign_mismatch
from trainer.core.errors import DicomError

__all__ = ["LOSSY_SYNTAXES", "check_stream_sign", "check_stream_size", "decode_failure", "is_compressed", "is_lossy",
           "lossy_note", "stream_size"]

#: JPEG extended 12-bit through imagecodecs, ahead of pydicom's GDCM and Pillow (which refuse 12-bit samples)
dicom_jpeg12.register()
#: High-Throughput JPEG 2000 through imagecodecs' OpenJPEG (:mod:`.dicom_htj2k`; round 40: refused before)
dicom_htj2k.register()

#: transfer syntaxes that are lossy whatever the header says (JPEG 2000 may be either: its header says)
LOSSY_SYNTAXES = frozenset({JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLSNearLossless})


def is_compressed(syntax) -> bool:
    """Whether a transfer syntax UID is an encapsulated (compressed) one; an unknown UID (``1.2.3.4.5``, for which
    pydicom's ``is_compressed`` raises ValueError) counts as compressed, as its pixel data cannot be read raw."""
    if syntax is None:
        return False
    try:
        return bool(syntax.is_compressed)
    except (AttributeError, ValueError):
        return True


#: transfer syntaxes that may be lossless or lossy: the codestream's wavelet says (:func:`_j2k_irreversible`)
_EITHER_SYNTAXES = frozenset({JPEG2000, HTJ2K})
#: the JPEG 2000 syntaxes that say "Lossless Only": a codestream in one of them is asked for its wavelet too, since
#: the writer, not the syntax, chose it (round 40, hostile40: an HTJ2K 9-7 codestream under ``.201`` was read without
#: a word, 1 HU off at 9 % of its pixels; a JPEG 2000 one at 40:1 under ``.90``, 2493 HU off at most)
_LOSSLESS_ONLY_J2K = frozenset(JPEG2000TransferSyntaxes) - _EITHER_SYNTAXES
#: bytes of the first fragment searched for the JPEG 2000 main header's COD marker
_J2K_HEADER_BYTES = 4096


def _stream_head(ds: Dataset) -> bytes | None:
    """The first :data:`_J2K_HEADER_BYTES` (or more) bytes of the encapsulated pixel data's fragments, where a
    codestream's main header lies; None when the pixel data is not encapsulated as expected (the decoder then
    names the damage)."""
    try:
        from pydicom.encaps import generate_fragments

        head = b""
        for frag in generate_fragments(ds.get("PixelData") or b""):
            head += frag
            if len(head) >= _J2K_HEADER_BYTES:
                break
    except Exception:  # noqa: BLE001 - not encapsulated: no stream to ask
        return None
    return head


def _j2k_irreversible(ds: Dataset) -> bool:
    """Whether a JPEG 2000 slice's codestream uses the irreversible 9-7 wavelet (lossy whatever its rate).

    The main header's COD marker segment (``FF52``, ISO 15444-1 A.6.1) holds the transformation at byte 13 from
    the marker: 0 the 9-7 irreversible filter, 1 the 5-3 reversible one.  A writer need not set
    LossyImageCompression ``01`` (GDCM's JPEG 2000 encoder at a lossy rate did not, hostile34), so the stream is
    asked.  False when no COD is found (a damaged stream: its decoding says so)."""
    head = _stream_head(ds)
    if head is None:
        return False
    start = head.find(b"\xff\x4f\xff\x51")           # SOC then SIZ: the codestream (possibly inside a JP2 box)
    if start < 0:
        return False
    cod = head.find(b"\xff\x52", start)
    sot = head.find(b"\xff\x90", start)
    if cod < 0 or (0 <= sot < cod) or cod + 13 >= len(head):
        return False
    return head[cod + 13] == 0


def is_lossy(ds: Dataset) -> bool:
    """Whether a slice's pixels went through lossy compression: stored in a lossy-only transfer syntax, in any JPEG
    2000 or HTJ2K syntax (a "Lossless Only" one too) with the irreversible wavelet (:func:`_j2k_irreversible`), or
    LossyImageCompression ``01`` (the image was lossy-compressed once, whatever it is stored in now)."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax in LOSSY_SYNTAXES or str(ds.get("LossyImageCompression", "")).strip() == "01":
        return True
    return syntax in JPEG2000TransferSyntaxes and _j2k_irreversible(ds)


def _ratio(ds: Dataset) -> str:
    """LossyImageCompressionRatio as the note shows it: its values when every one is a finite positive number
    (several when compressed more than once, ``5\\10``); "" otherwise (absent, empty, text, negative: hostile34
    printed "compression ratio abc")."""
    raw = ds.get("LossyImageCompressionRatio")
    values = [raw] if isinstance(raw, (str, int, float)) else list(raw or [])
    try:
        nums = [float(v) for v in values]
    except (TypeError, ValueError):
        return ""
    if not nums or not all(math.isfinite(v) and v > 0 for v in nums):
        return ""
    return "\\".join(f"{v:g}" for v in nums)


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
    lossy = [(p, ds) for p, ds in sets if is_lossy(ds)]
    if not lossy:
        return ""
    path, first = lossy[0]
    syntax = getattr(getattr(first, "file_meta", None), "TransferSyntaxUID", None)
    name = getattr(syntax, "name", str(syntax))
    if not is_compressed(syntax):
        # the transfer syntax is not the compression (hostile34: "lossy-compressed (Explicit VR Little Endian)")
        name = f"LossyImageCompression 01, stored now as {name}"
    if syntax in _LOSSLESS_ONLY_J2K and _j2k_irreversible(first):
        name += ", though its codestream uses the irreversible 9-7 wavelet"
    ratio = _ratio(first)
    said = f", compression ratio {ratio}" if ratio else ""
    n = len(lossy)
    which = "" if n == len(sets) else f", the first {path.name}"
    return (f"{n} of {len(sets)} slice{'s' if len(sets) != 1 else ''} {'is' if n == 1 else 'are'} lossy-compressed "
            f"({name}{said}{which}): their CT numbers are the codec's approximation of the scanner's, read as they "
            "are (ask for a lossless or uncompressed export for teaching)")


#: JPEG start-of-frame markers (ISO 10918-1 B.1.1.3; JPEG-LS's SOF55 ``FFF7``): each followed by its length, the
#: sample precision, then the number of lines (rows) and of samples per line (columns)
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7})


def stream_size(ds: Dataset) -> tuple[int, int] | None:
    """(rows, columns) that the first frame's JPEG, JPEG-LS or JPEG 2000 codestream says; None when it cannot be
    told (RLE, which has no size of its own, or a stream without a frame header in its first 4096 bytes)."""
    head = _stream_head(ds)
    if head is None:
        return None
    siz = head.find(b"\xff\x4f\xff\x51")
    if siz >= 0 and siz + 22 <= len(head):           # SOC, SIZ: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz
        x, y, x0, y0 = (int.from_bytes(head[siz + k:siz + k + 4], "big") for k in (8, 12, 16, 20))
        return y - y0, x - x0
    soi = head.find(b"\xff\xd8\xff")                 # after the Basic Offset Table's bytes, when it has some
    if soi < 0:
        return None
    at = soi + 2
    while at + 9 <= len(head) and head[at] == 0xFF:
        marker, length = head[at + 1], int.from_bytes(head[at + 2:at + 4], "big")
        if marker in _SOF:
            return int.from_bytes(head[at + 5:at + 7], "big"), int.from_bytes(head[at + 7:at + 9], "big")
        at += 2 + length
    return None


def check_stream_size(path: Path, ds: Dataset, what: str = "pixel data") -> None:
    """Refuse compressed pixel data whose codestream is another size than Rows x Columns, before it is decoded:
    JPEG-LS of 16 x 16 pixels under Rows 12 was decoded and cut to its first 12 rows without a word, JPEG Lossless
    under another size refused as "could not be decoded (gdcm: 'NoneType' object has no attribute 'encode')"
    (hostile34).  Nothing is said when the stream's size cannot be told (RLE) or the slice is not compressed."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if not is_compressed(syntax):
        return
    size = stream_size(ds)
    try:
        said = (int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0))
    except (TypeError, ValueError):
        return                              # the header checks name it
    if size is not None and size != said:
        name = getattr(syntax, "name", str(syntax))
        raise DicomError(f"{path}: {what} in {name} is a {size[0]} x {size[1]} pixel image, Rows x Columns = "
                         f"{said[0]} x {said[1]}; expected the same (the header's image size is wrong: copy the slice "
                         "again, or export the series again)")


def _frame_heads(ds: Dataset):
    """``(k, n, head)`` for each frame's codestream (``k`` from 1 of ``n``): its first :data:`_J2K_HEADER_BYTES`.  A
    single frame's head is :func:`_stream_head`'s; an Enhanced CT's frames are each asked (round 40, hostile40: only
    the first was, and a signed second frame under PixelRepresentation 0 was read 33791 HU off); nothing when the
    pixel data is not encapsulated as expected (the decoder names it)."""
    try:
        n = int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        n = 1
    if n <= 1:
        head = _stream_head(ds)
        if head:
            yield 1, 1, head
        return
    try:
        from pydicom.encaps import generate_frames

        for k, frame in enumerate(generate_frames(ds.get("PixelData") or b"", number_of_frames=n), 1):
            yield k, n, bytes(frame[:_J2K_HEADER_BYTES])
    except Exception:  # noqa: BLE001 - not encapsulated as expected: the decoder names it
        return


def check_stream_sign(path: Path, ds: Dataset) -> None:
    """Refuse a JPEG 2000 or HTJ2K slice whose codestream's sample signedness disagrees with its
    PixelRepresentation (:func:`.dicom_j2k.sign_mismatch`), before it is decoded.

    Parameters
    ----------
    path : Path
        The file, named in the error.
    ds : Dataset
        Its data set (an Enhanced CT's frames each checked); nothing is checked for another transfer syntax, or a
        PixelRepresentation that is not 0 or 1 (the header checks name that).

    Raises
    ------
    DicomError
        One line: the file, PixelRepresentation's value, what the codestream says, and the value expected.
    """
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax not in JPEG2000TransferSyntaxes:
        return
    try:
        rep = int(ds.get("PixelRepresentation", 0) or 0)
    except (TypeError, ValueError):
        return
    if rep not in (0, 1):
        return
    why = None
    for k, n, head in _frame_heads(ds):
        why = sign_mismatch(head, rep)
        if why:
            why = why if n == 1 else f"frame {k} of {n}: {why}"
            break
    if why:
        name = getattr(syntax, "name", str(syntax))
        raise DicomError(f"{path}: {why}; one of them was written wrong ({name}): export the series again")


#: how much of the decoders' reason the line keeps (pydicom's list every plugin's; the reader's own checks' reasons,
#: up to about 250 characters, whole: until round 40 the first 160 were kept, "... bytes lost, or its le)")
_REASON_CHARS = 300
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
    why = " ".join(str(exc).replace(_PLUGINS_SAID, "").split())
    if len(why) > _REASON_CHARS:        # cut between words: 160 characters cut the checks' own reasons mid-word
        why = why[:_REASON_CHARS].rsplit(" ", 1)[0] + " ..."
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
