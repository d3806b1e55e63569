"""Damage inside a JPEG stream's entropy-coded data that the decoders pass over, told by decoding it again.

A slice's JPEG stream damaged in its entropy-coded data (bytes zeroed, dropped or inserted by a bad copy or disk)
but still ending in its EOI marker is decoded without a word: libjpeg-turbo (imagecodecs, :mod:`.dicom_jpeg12`)
only warns ("Corrupt JPEG data: premature end of data segment", "N extraneous bytes before marker 0xd9"), and
imagecodecs does not pass the warning on; GDCM, which decodes JPEG Lossless, prints it to the process's stderr from
C and returns the image.  The decoders' warning means that the scan's Huffman codes did not use up the
entropy-coded data exactly, and that can be told from outside by libjpeg-turbo's output alone (:func:`scan_damage`):

* *runs short*: the same stream with bytes appended before EOI decodes into another image.  An intact scan has
  decoded its last sample before its last byte, so what follows is never read (the image cannot change); a scan
  that ran out of data had its last samples made of zeros, and takes the appended bytes instead;
* *left over*: a JPEG Lossless stream with its last data byte replaced, by its inverse and by three
  fixed bit patterns in turn, decodes into the same image every time.  An intact scan's last byte holds at least
  one bit of its last sample's code, so one of them codes another sample value; a scan that ended early never
  read it.  Not asked of a flat image (all samples alike may be coded by a single Huffman code, any other bits
  invalid and read as a difference of 0: with the inverse alone, a flat slice coded by DCMTK was refused so).
  A DCT stream (JPEG baseline and extended) is asked otherwise: a changed last byte there mostly changes a small
  coefficient that rounds or clips away (2 to 15 intact slices per real CT and codec were refused so), so its last
  two data bytes are dropped instead (round 39).  The decoder then runs out of data inside the last block or
  before it: the block it runs out in is completed from zero bits and every block after it is left at zero
  coefficients (mid-grey), so an intact scan's image changes unless the bits lost were zeros of its last block
  alone (no intact slice of 245 refused, realct-log pass 192), while a scan with two bytes or more left over
  decodes into the same image.

GDCM's own warning is heard too (:func:`decoded_pixels`, round 38): its IJG library prints "Corrupt JPEG data: ..."
on the file descriptor 2, which is sent to a temporary file while GDCM decodes, and the warning refuses the slice.
Over the damaged slices of both real CTs it caught 9 of 1225 that the probes above miss (a byte inverted or a bit
flipped early in the scan: libjpeg-turbo reads the damage otherwise), and no intact slice (realct-log pass 187).
When GDCM refuses a stream outright, what it printed ("Bogus marker length") is the refusal's reason, not text on
the terminal above the one-line error (round 39).

A flipped bit that still decodes into valid Huffman codes of the same total length is not told: it changes some
pixels, uses up the data exactly, and is decoded by every decoder as if intact (DCMTK's too).

JPEG-LS and JPEG 2000 slices are checked from outside too (round 39): a JPEG-LS stream's header as JPEG's, and its
EOI (:func:`jpegls_damage`: GDCM's CharLS took about 6 s over a cut slice of 512 x 512, and ended the process on a
frame header saying 17 or 239 bits or 0 samples per line); a JPEG 2000 codestream's layout and SIZ segment
(:mod:`.dicom_j2k`).  Their scans have no probe: CharLS refuses the in-scan damage measured by itself, and OpenJPEG
reads zeroed or changed packet data as other pixels, which no check here tells (realct-log pass 195).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading

import numpy as np
from imagecodecs import jpeg8_decode
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.uid import (
    HTJ2K,
    JPEG2000,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSTransferSyntaxes,
)

from trainer.core.anatomy.dicom_j2k import codestream_damage, one_value_damage

__all__ = ["CHECKED_SYNTAXES", "check_decoded_frames", "check_jpeg_scans", "decoded_before", "decoded_pixels", "header_damage",
           "jpegls_damage", "scan_damage"]

#: JPEG syntaxes whose scans are checked (libjpeg-turbo 3 decodes all four), and the lossless ones among them
CHECKED_SYNTAXES = frozenset({JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLossless, JPEGLosslessSV1})
_LOSSLESS = frozenset({JPEGLossless, JPEGLosslessSV1})
#: JPEG-LS syntaxes, whose header and end are checked (:func:`jpegls_damage`), and JPEG 2000 (Part 1) ones, whose
#: codestream layout is (:func:`.dicom_j2k.codestream_damage`); round 39.  HTJ2K's codestream is laid out alike
#: (ISO 15444-15 keeps Part 1's markers, adding CAP to the main header): checked too since round 40
_JPEG_LS = frozenset(JPEGLSTransferSyntaxes)
_JPEG_2000 = frozenset({JPEG2000Lossless, JPEG2000, HTJ2KLossless, HTJ2KLosslessRPCL, HTJ2K})
#: bytes appended before EOI by the *runs short* probe: mixed bits, no FF (which would start a marker)
_APPENDED = b"\x5a" * 16
_EOI = b"\xff\xd9"
#: how libjpeg's warnings of damage start, as the IJG libraries inside GDCM print them (jerror.h: JWRN_HIT_MARKER
#: "Corrupt JPEG data: premature end of data segment", JWRN_EXTRANEOUS_DATA "... N extraneous bytes before marker
#: 0xd9", JWRN_HUFF_BAD_CODE, JWRN_MUST_RESYNC; JWRN_JPEG_EOF "Premature end of JPEG file": the data ran out)
_LIBJPEG_DAMAGE = ("Corrupt JPEG data", "Premature end of JPEG file")
#: one redirect of file descriptor 2 at a time: the GUI reads in a worker thread, and a second redirect inside the
#: first would restore the first's temporary file as the process's stderr
_STDERR_LOCK = threading.Lock()
#: the last stream whose image the check decoded with ``keep`` (its SOI to EOI) and that image, per thread, until
#: :func:`decoded_before` takes it: the 12-bit JPEG Extended plugin decodes the same stream with the same call
_KEPT = threading.local()
_log = logging.getLogger(__name__)


def _decode(stream: bytes) -> np.ndarray | None:
    """libjpeg-turbo's image of ``stream``; None when it refuses the stream."""
    try:
        return jpeg8_decode(stream)
    except Exception:  # noqa: BLE001 - imagecodecs.Jpeg8Error, or a variant it lacks: the decoders say
        return None


def scan_damage(stream: bytes, lossless: bool, keep: bool = False) -> str | None:
    """Why a JPEG stream's entropy-coded data is damaged, or None when nothing is found.

    Parameters
    ----------
    stream : bytes
        One frame's JPEG stream (SOI to EOI, possibly followed by the fragment's padding byte 00).
    lossless : bool
        Whether it is JPEG Lossless (process 14): the *left over* probe is asked too.
    keep : bool
        Keep the stream's image for :func:`decoded_before` (the reader's decoder is libjpeg-turbo too: 12-bit JPEG
        Extended, :mod:`.dicom_jpeg12`), so that the stream is not decoded again for its pixels.

    Returns
    -------
    str or None
        A reason for the one-line error ("... does not end with its EOI marker ...", "... runs short of its
        image ...", "... has bytes left over after its image ..."); None when the stream is intact as far as can be told, or when
        libjpeg-turbo does not decode it at all (the reader's decoder then says what it makes of it).
    """
    body = bytes(stream).rstrip(b"\x00")
    damaged = header_damage(body)
    if damaged:
        return damaged
    if not body.endswith(_EOI):
        return "the JPEG stream does not end with its EOI marker (FFD9): cut short"
    data = body[:-2].rstrip(b"\xff")               # FF fill bytes may come before a marker
    image = _decode(body)
    if image is None:
        return None
    if keep:
        _KEPT.stream, _KEPT.image = body, image
    longer = _decode(data + _APPENDED + _EOI)
    if longer is not None and not np.array_equal(longer, image):
        return ("the JPEG stream's entropy-coded data runs short of its image (damaged inside: bytes lost or "
                "changed; the decoder would fill the rest)")
    if int(image.min()) == int(image.max()):
        return None                                # a flat image may be coded by one Huffman code alone
    if lossless:
        head = _without_last_bytes(data, 1)
        for byte in _last_bytes(data[-2:]):
            changed = _decode(head + byte + _EOI)
            if changed is None or not np.array_equal(changed, image):
                return None
    else:
        shorter = _decode(_without_last_bytes(data, 2) + _EOI)
        if shorter is None or not np.array_equal(shorter, image):
            return None
    return ("the JPEG stream's entropy-coded data has bytes left over after its image (damaged inside: bytes "
            "inserted or changed)")


def _without_last_bytes(data: bytes, n: int) -> bytes:
    """Entropy-coded ``data`` without its last ``n`` bytes, a stuffed FF00 counting as the one byte FF."""
    for _ in range(n):
        data = data[:-2] if data.endswith(b"\xff\x00") else data[:-1]
    return data


#: markers without a length after them (ISO 10918-1 B.1.1.3): TEM, RST0-7, SOI, EOI
_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})
_SOS = 0xDA
#: the sample precisions each start-of-frame marker allows (ISO 10918-1 B.2.2, Table B.2): baseline 8, extended and
#: progressive 8 or 12, lossless 2 to 16.  GDCM's IJG library crashed the process (SIGSEGV) on a JPEG Lossless frame
#: header saying 0 or 17 bits, and decoded one saying 239 into samples 32768 HU off (round 39)
_PRECISIONS = {0xC0: (8,), 0xC1: (8, 12), 0xC2: (8, 12), 0xC3: range(2, 17), 0xC5: (8, 12), 0xC6: (8, 12),
               0xC7: range(2, 17), 0xC9: (8, 12), 0xCA: (8, 12), 0xCB: range(2, 17), 0xCD: (8, 12), 0xCE: (8, 12),
               0xCF: range(2, 17), 0xF7: range(2, 17)}      # JPEG-LS's SOF55: 2 to 16 bits (ISO 14495-1 C.2.2)


def header_damage(stream: bytes) -> str | None:
    """Why a JPEG stream's marker segments before its scan are damaged, or None when they are laid out as ISO 10918-1
    B.1.1 says: SOI, then segments each starting with FF (fill bytes FF allowed), its marker and a length of at least
    2 that ends before the stream does, up to the SOS segment; a JFIF APP0 segment says version 1; a frame header
    says a sample precision its process allows (:data:`_PRECISIONS`).

    The IJG libraries read such damage (bytes where a marker should start, a JFIF version other than 1) with a
    warning only, and GDCM's JPEG codec, which accepts no warning while it reads the header, then throws a C++
    exception nothing catches: the process is ended (SIGABRT, "An invalid logic behavior occurred"; a JPEG
    Lossless slice with its JFIF segment's length zeroed, round 39).  So it is asked before any decoder sees the
    stream.  A stream that does not start with SOI is left to the decoders (they refuse it outright).
    """
    if not stream.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at < len(stream):
        if stream[at] != 0xFF:
            return (f"the JPEG stream's header is damaged: byte {at} is {stream[at]:02X} where a marker (FF) should "
                    "start (bytes changed or lost before its image data)")
        while at + 1 < len(stream) and stream[at + 1] == 0xFF:        # fill bytes
            at += 1
        if at + 1 >= len(stream):
            break
        marker = stream[at + 1]
        if marker == 0x00:
            return (f"the JPEG stream's header is damaged: byte {at} is FF00 where a marker should start (bytes "
                    "changed or lost before its image data)")
        if marker in _STANDALONE:
            if marker == 0xD9:
                return None                                           # EOI before a scan: the decoders refuse it
            at += 2
            continue
        length = int.from_bytes(stream[at + 2:at + 4], "big")
        if length < 2 or at + 2 + length > len(stream):
            return (f"the JPEG stream's header is damaged: marker FF{marker:02X} at byte {at} has a length of "
                    f"{length} bytes; expected 2 to {len(stream) - at - 2} (bytes changed or lost before its "
                    "image data)")
        segment = stream[at + 4:at + 2 + length]
        if marker == 0xE0 and len(segment) >= 14 and segment.startswith(b"JFIF\x00") and segment[5] != 1:
            return (f"the JPEG stream's JFIF segment says version {segment[5]}.{segment[6]:02d}; expected 1.xx "
                    "(bytes changed before its image data)")
        if marker in _PRECISIONS and segment and segment[0] not in _PRECISIONS[marker]:
            allowed = _PRECISIONS[marker]
            return (f"the JPEG stream's frame header (FF{marker:02X} at byte {at}) says {segment[0]}-bit samples; "
                    f"expected {min(allowed)} to {max(allowed)} for its process (bytes changed before its image data)")
        if marker in _PRECISIONS and len(segment) >= 5 and segment[3:5] == b"\x00\x00":
            # X, the samples per line, is 1 to 65535 (B.2.2; ISO 14495-1 C.2.2): GDCM's CharLS ended the process on
            # a real JPEG-LS slice saying 0 (round 39; the reader's size check refuses it first when it reads a series)
            return (f"the JPEG stream's frame header (FF{marker:02X} at byte {at}) says 0 samples per line; expected 1 "
                    "to 65535 (bytes changed before its image data)")
        if marker == _SOS:
            return None
        at += 2 + length
    return None


def jpegls_damage(stream: bytes) -> str | None:
    """Why a JPEG-LS stream is damaged where it can be told from outside, or None.

    Its marker segments before the scan are JPEG's (ISO 14495-1 annex C: SOI, SOF55, LSE, SOS), checked as
    :func:`header_damage` checks JPEG's, and it must end with its EOI marker.  Inside the scan, JPEG-LS has no
    tables to fall out of step with: CharLS (inside GDCM, which decodes JPEG-LS here) refuses most damage itself,
    and reads the rest (realct-log pass 195 has the counts)."""
    body = bytes(stream).rstrip(b"\x00")
    damaged = header_damage(body)
    if damaged:
        return damaged.replace("JPEG stream", "JPEG-LS stream")
    if body.startswith(b"\xff\xd8") and not body.endswith(_EOI):
        return "the JPEG-LS stream does not end with its EOI marker (FFD9): cut short"
    return None


def decoded_before(stream: bytes) -> np.ndarray | None:
    """libjpeg-turbo's image of ``stream`` when it is the stream :func:`scan_damage` last kept in this thread (the
    fragment's padding byte aside), handed over once; None otherwise (then decode it).  The 12-bit JPEG Extended
    plugin (:mod:`.dicom_jpeg12`) takes it instead of decoding the slice a second time (round 38); pydicom's
    runner then treats the samples as it treats the plugin's own (the sign of a signed sample, the rescale)."""
    kept = getattr(_KEPT, "stream", None)
    if kept is None or kept != bytes(stream).rstrip(b"\x00"):
        return None
    image = _KEPT.image
    _KEPT.stream = _KEPT.image = None
    return image


def _last_bytes(tail: bytes) -> list[bytes]:
    """What the *left over* probe puts in place of the last data byte (``tail``: the last two bytes of the data):
    its inverse and three fixed patterns, each unlike it, as coded bytes (a byte FF stuffed as FF00).  Their first
    bits differ between them, so an intact scan, whose last byte's first bit is read as part of a code, decodes
    into another image for at least one of them (a changed code is another symbol, another sample value); a
    stuffed FF00 at the end is taken as the byte FF."""
    last = 0xFF if tail == b"\xff\x00" else tail[-1]
    values = [last ^ 0xFF, 0x00, 0x5A, 0xA5]
    return [b"\xff\x00" if v == 0xFF else bytes([v]) for v in dict.fromkeys(values) if v != last]


def check_jpeg_scans(ds: Dataset) -> None:
    """Raise ValueError naming the damage when a frame of a JPEG-compressed data set is damaged inside its
    entropy-coded data (:func:`scan_damage`), a JPEG-LS frame's header or end (:func:`jpegls_damage`) or a JPEG 2000
    frame's codestream layout (:func:`.dicom_j2k.codestream_damage`) is; nothing for other transfer syntaxes.

    Parameters
    ----------
    ds : Dataset
        A slice or an Enhanced CT (each frame is checked).

    Raises
    ------
    ValueError
        The reason, with the frame's number when there are several; the reader makes it its one-line error
        (:func:`.dicom_codecs.decode_failure`).
    """
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax not in CHECKED_SYNTAXES and syntax not in _JPEG_LS and syntax not in _JPEG_2000:
        return
    n = int(ds.get("NumberOfFrames", 1) or 1)
    try:
        frames = list(generate_frames(ds.PixelData, number_of_frames=n))
    except Exception:  # noqa: BLE001 - not encapsulated as expected: the decoder names it
        return
    _KEPT.stream = _KEPT.image = None
    for k, frame in enumerate(frames, 1):
        if syntax in _JPEG_LS:
            why = jpegls_damage(frame)
        elif syntax in _JPEG_2000:
            why = codestream_damage(frame)
        else:
            # the image kept for the 12-bit plugin (the last frame's only: an Enhanced CT's frames all checked first)
            why = scan_damage(frame, lossless=syntax in _LOSSLESS, keep=syntax == JPEGExtended12Bit)
        if why:
            raise ValueError(why if n == 1 else f"frame {k} of {n}: {why}")


def _decoded_by_a_library(ds: Dataset) -> bool:
    """Whether ``ds``'s pixel data is compressed, so that a C library may decode it (GDCM first for every syntax but
    12-bit JPEG Extended, and after imagecodecs for that one should it fail); False for native pixel data."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    try:
        return bool(syntax is not None and syntax.is_compressed)
    except (AttributeError, ValueError):          # an unknown UID: pydicom's decoders say what they make of it
        return True


def decoded_pixels(ds: Dataset) -> np.ndarray:
    """``ds.pixel_array``, JPEG scans checked first (:func:`check_jpeg_scans`) and GDCM's printed words heard.

    While a compressed slice is decoded the process's file descriptor 2 goes to a temporary file (for the decode
    only, under a lock, put back even when the decode raises).  When the decode succeeds, a libjpeg warning of
    damage there (:data:`_LIBJPEG_DAMAGE`) refuses the slice, and anything else printed meanwhile (another
    thread's stderr) is written to the real stderr after.  When it fails, what was printed is the decoders' reason
    (GDCM's IJG library prints "Bogus marker length", its OpenJPEG "A marker ID was expected ...", then pydicom
    raises "gdcm: 'NoneType' object has no attribute 'encode'"): it becomes the refusal's reason and is logged at
    debug level, never written raw above the one-line error (round 39).  A process without a file descriptor 2
    decodes without hearing them.

    Raises
    ------
    ValueError
        The damage the scan check found, the warning GDCM printed, or what GDCM printed when it refused the stream
        (the reader makes it its one-line error, :func:`.dicom_codecs.decode_failure`); what pydicom raises for
        pixel data it cannot decode when nothing was printed.
    """
    check_jpeg_scans(ds)
    if not _decoded_by_a_library(ds):
        return ds.pixel_array
    px = _heard(ds)
    check_decoded_frames(ds, px)
    return px


def check_decoded_frames(ds: Dataset, px: np.ndarray) -> None:
    """Raise ValueError when a JPEG 2000 or HTJ2K frame of ``ds``, decoded into ``px`` (one frame, or an Enhanced
    CT's frames along the first axis), is one value (:func:`.dicom_j2k.one_value_damage`: a changed precision byte
    or quantisation segment, round 42); nothing for other transfer syntaxes.

    Parameters
    ----------
    ds : Dataset
        The slice or Enhanced CT.
    px : ndarray
        Its decoded samples (rows x columns, or frames x rows x columns).

    Raises
    ------
    ValueError
        The reason, with the frame's number when there are several (the reader makes it its one-line error).
    """
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax not in _JPEG_2000:
        return
    try:
        bits_stored = int(ds.get("BitsStored", 0) or 0)
        n = int(ds.get("NumberOfFrames", 1) or 1)
        frames = list(generate_frames(ds.PixelData, number_of_frames=n))
    except Exception:  # noqa: BLE001 - the header checks and the decoder named what is wrong
        return
    stack = px.reshape((-1, *px.shape[-2:]))
    for k, (frame, samples) in enumerate(zip(frames, stack), 1):
        why = one_value_damage(bytes(frame), bits_stored, int(samples.min()), int(samples.max()), samples.size)
        if why:
            raise ValueError(why if n == 1 else f"frame {k} of {n}: {why}")


def _heard(ds: Dataset) -> np.ndarray:
    """:func:`decoded_pixels`' decode of compressed pixel data, GDCM's printed words heard."""
    failed: Exception | None = None
    with _STDERR_LOCK, tempfile.TemporaryFile() as held:
        sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:                             # no stderr (a windowed process): nothing to hear
            return ds.pixel_array
        try:
            os.dup2(held.fileno(), 2)
            try:
                px = ds.pixel_array
            except Exception as exc:  # noqa: BLE001 - pydicom raises several types; re-raised below
                failed = exc
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            printed = held.read().decode("utf-8", "replace").splitlines(keepends=True)
            if failed is None:
                others = "".join(line for line in printed if not line.startswith(_LIBJPEG_DAMAGE))
                if others:
                    os.write(2, others.encode("utf-8", "replace"))
    if failed is not None:
        said = list(dict.fromkeys(line.strip() for line in printed if line.strip()))
        if not said:
            raise failed
        _log.debug("the decoders printed while refusing the pixel data (%s): %s", failed, " | ".join(said))
        raise ValueError(f"GDCM's decoder said '{'; '.join(said)}'") from failed
    warned = [line.strip() for line in printed if line.startswith(_LIBJPEG_DAMAGE)]
    if warned:
        raise ValueError(f"GDCM's JPEG decoder warned '{warned[0]}' (damaged inside: bytes lost, inserted or changed)")
    return px
