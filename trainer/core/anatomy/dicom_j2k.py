"""A JPEG 2000 codestream's marker and tile-part structure, checked before a decoder sees it (round 39).

OpenJPEG (inside GDCM, which decodes JPEG 2000 here) reads a codestream whose data lost or gained bytes without a
word when its markers still parse: the tile-part's length (Psot) then no longer ends where the next tile-part or
the end-of-codestream marker starts, and OpenJPEG decodes the packets it finds (a chest slice with 16 bytes lost
read up to thousands of HU off, realct-log pass 195).  ISO 15444-1 Annex A lays the codestream out so that this is
told from outside: SOC, SIZ, then marker segments (FF, a marker, a length of at least 2) up to the first SOT; each
tile-part is an SOT segment (length 10, the tile's index below the SIZ's tile count, Psot the tile-part's length from
its SOT, 0 only for the last one, which then runs to EOC), its header segments and SOD, then Psot's worth of data,
after which comes the next SOT or the EOC marker that ends the codestream.  :func:`codestream_damage` checks that
layout, and the SIZ segment's component table (a sample precision over 16 bits ended the process inside GDCM's
OpenJPEG; one under 8 is refused too, round 40).  Damage that keeps it (bytes zeroed or changed inside the packet
data, the length right) is not told: OpenJPEG decodes it into other pixels, as every decoder would; telling it
needs a reference.

The SIZ segment's sample signedness is checked against the data set's PixelRepresentation too
(:func:`sign_mismatch`, round 40): a codestream of signed samples under PixelRepresentation 0 is decoded into
negative samples that every reader then takes as unsigned (2 ** precision off through pydicom, 65536 through GDCM's
own reader; a slice GDCM encoded, its Ssiz sign bit then set, read 32768 HU off at every pixel by both), and
an unsigned one of fewer than 16 bits under PixelRepresentation 1 is read two ways, GDCM keeping its samples and
pydicom sign-extending them from their top bit (2 ** precision apart).  A precision other than BitsStored with the
signedness agreeing is not refused: GDCM and pydicom both read the codestream's samples, and they are right.
Unless the frame then decodes to a single value (:func:`one_value_damage`, round 42): GDCM's 16-bit codestream of a
real abdominal slice with its precision byte saying 9 to 15 bits decodes to all zeros (-1024 HU at every pixel,
79 % of the slice over 50 HU off) where the same slice encoded at 12 bits under BitsStored 16 reads right.
A frame of one value whose codestream is a blank frame's few hundred bytes is read (pass 219: a padding slice).
"""

from __future__ import annotations

__all__ = ["codestream_damage", "one_value_damage", "sign_mismatch"]

_SOC_SIZ = b"\xff\x4f\xff\x51"
_SOT, _SOD, _EOC = 0x90, 0x93, 0xD9
#: markers without a length (ISO 15444-1 A.1: FF30 to FF3F are reserved without one)
_NO_LENGTH = frozenset(range(0x30, 0x40))


def _tiles(stream: bytes) -> int:
    """How many tiles the SIZ segment says (A.5.1: ceil((Xsiz - XTOsiz) / XTsiz) x the same in y); 0 when unusable."""
    x, y, _x0, _y0, xt, yt, xt0, yt0 = (int.from_bytes(stream[8 + 4 * k:12 + 4 * k], "big") for k in range(8))
    if xt == 0 or yt == 0 or x <= xt0 or y <= yt0:
        return 0
    return -(-(x - xt0) // xt) * -(-(y - yt0) // yt)


def _siz_damage(stream: bytes) -> str | None:
    """Why the SIZ segment's component table is damaged, or None: Lsiz must be 38 + 3 x Csiz (A.5.1), each
    component's sample precision (Ssiz's low 7 bits + 1) 8 to 16 bits (the standard allows 1 to 38; a CT's pixel is
    16 bits at most, and GDCM's OpenJPEG ended the process on a real slice whose 16-bit precision byte was
    inverted, 113 bits, and read one saying 17 bits 32768 HU off: round 39; and 8 at least, as the header checks
    ask of BitsStored: GDCM's 16-bit codestream with the byte zeroed, 1 bit, or saying up to 7 was read 3023 HU off
    at 99 % of its pixels: round 40), its subsampling XRsiz and YRsiz 1 to 255."""
    lsiz, csiz = int.from_bytes(stream[4:6], "big"), int.from_bytes(stream[40:42], "big")
    if csiz < 1 or lsiz != 38 + 3 * csiz or len(stream) < 4 + lsiz:
        return (f"the JPEG 2000 codestream's SIZ segment is damaged: length {lsiz} for {csiz} components; expected "
                "38 + 3 x the components (bytes changed in its header)")
    for c in range(csiz):
        ssiz, xr, yr = stream[42 + 3 * c:45 + 3 * c]
        bits = (ssiz & 0x7F) + 1
        if not 8 <= bits <= 16 or xr == 0 or yr == 0:
            # 17 to 38 bits is a precision the standard allows: a writer's wide samples, or a changed byte (hostile40:
            # OpenJPH's real 32-bit stream was told "bytes changed")
            why = "samples wider than a CT's, or bytes changed in its header" if 16 < bits <= 38 and xr and yr else \
                "bytes changed in its header"
            return (f"the JPEG 2000 codestream's SIZ segment says component {c} has {bits}-bit samples subsampled "
                    f"{xr} x {yr}; expected 8 to 16 bits, subsampled 1 to 255 ({why})")
    return None


def _segments(stream: bytes, at: int, end: int, until: int) -> tuple[int, str | None]:
    """Walk marker segments from ``at`` up to the marker ``until`` (not past ``end``): (its position, None), or
    (-1, why the layout is damaged)."""
    while at + 2 <= end:         # SOD is 2 bytes, and may end a tile-part of 1 data byte (round 40, hostile40)
        if stream[at] != 0xFF:
            return -1, (f"byte {at} is {stream[at]:02X} where a marker (FF) should start (bytes changed or lost in its "
                        "header)")
        marker = stream[at + 1]
        if marker == until:
            return at, None
        if marker in _NO_LENGTH:
            at += 2
            continue
        if at + 4 > end:
            break
        length = int.from_bytes(stream[at + 2:at + 4], "big")
        if length < 2 or at + 2 + length > end:
            return -1, (f"marker FF{marker:02X} at byte {at} has a length of {length} bytes; expected 2 to "
                        f"{end - at - 2} (bytes changed or lost in its header)")
        at += 2 + length
    return -1, f"no FF{until:02X} marker where its header should end (bytes lost or the codestream cut short)"


def codestream_damage(stream: bytes) -> str | None:
    """Why a JPEG 2000 codestream's layout is damaged, or None when it is laid out as ISO 15444-1 Annex A says.

    Parameters
    ----------
    stream : bytes
        One frame's codestream (SOC to EOC, possibly followed by the fragment's padding byte 00).  A stream that
        does not start with SOC and SIZ (a JP2 file's boxes, or no JPEG 2000 at all) is left to the decoders.

    Returns
    -------
    str or None
        A reason for the one-line error ("the JPEG 2000 codestream's tile-part at byte N says it is M bytes long
        (Psot) ..."); None when the layout holds.
    """
    body = bytes(stream)
    if not body.startswith(_SOC_SIZ) or len(body) < 44:
        return None
    body = body.rstrip(b"\x00")                                     # the fragment's padding
    if not body.endswith(b"\xff\xd9"):
        return "the JPEG 2000 codestream does not end with its EOC marker (FFD9): cut short"
    why = _siz_damage(body)
    if why:
        return why
    tiles = _tiles(body)
    at, why = _segments(body, 2, len(body), _SOT)
    if why:
        return f"the JPEG 2000 codestream's main header is damaged: {why}"
    while True:
        lsot = int.from_bytes(body[at + 2:at + 4], "big")
        isot = int.from_bytes(body[at + 4:at + 6], "big")
        psot = int.from_bytes(body[at + 6:at + 10], "big")
        if lsot != 10 or (tiles and isot >= tiles):
            return (f"the JPEG 2000 codestream's tile-part header at byte {at} is damaged (SOT length {lsot}, tile "
                    f"{isot} of {tiles}; expected length 10 and a tile below {tiles})")
        end = len(body) - 2 if psot == 0 else at + psot
        if end > len(body) - 2 or 0 < psot < 14:
            return (f"the JPEG 2000 codestream's tile-part at byte {at} says it is {psot} bytes long (Psot); expected "
                    f"14 to {len(body) - 2 - at} (the bytes before its EOC marker): bytes lost, or its length damaged")
        _sod, why = _segments(body, at + 12, end, _SOD)
        if why:
            return f"the JPEG 2000 codestream's tile-part header at byte {at} is damaged: {why}"
        nxt = body[end:end + 2]
        if nxt == b"\xff\xd9" and end == len(body) - 2:
            return None
        if nxt != b"\xff\x90" or psot == 0:
            return (f"the JPEG 2000 codestream's tile-part at byte {at} says it is {psot} bytes long (Psot), ending at "
                    f"byte {end}, where neither the next tile-part (FF90) nor the end of the codestream (FFD9, at byte "
                    f"{len(body) - 2}) starts: bytes lost or inserted inside its data")
        at = end


def sign_mismatch(head: bytes, pixel_representation: int) -> str | None:
    """Why a JPEG 2000 (or HTJ2K) codestream's sample signedness disagrees with the data set's, or None.

    Parameters
    ----------
    head : bytes
        The start of the frame's pixel data, holding its main header (SOC, SIZ); the first SOC-SIZ pair found is
        read, its first component's Ssiz byte (ISO 15444-1 A.5.1: bit 7 the sign, the low 7 bits the precision
        less 1).
    pixel_representation : int
        The data set's PixelRepresentation (0 unsigned, 1 signed two's complement).

    Returns
    -------
    str or None
        The mismatch in words, for the one-line error: signed samples under PixelRepresentation 0, or unsigned
        samples of fewer than 16 bits under PixelRepresentation 1 (16-bit unsigned samples under 1 are the signed
        values' own bits, as encoders that write unsigned codestreams store them, and every reader takes them so);
        None when they agree, when the precision is not 8 to 16 bits (damaged: :func:`codestream_damage` says so) or
        when no SIZ segment is found (the decoder then says what is wrong).
    """
    at = head.find(_SOC_SIZ)
    if at < 0 or at + 43 > len(head):
        return None
    ssiz = head[at + 42]
    signed, bits = bool(ssiz & 0x80), (ssiz & 0x7F) + 1
    if not 8 <= bits <= 16:
        return None                 # a damaged precision: :func:`codestream_damage` names it
    said = f"the JPEG 2000 codestream's SIZ segment says {'signed' if signed else 'unsigned'} {bits}-bit samples " \
           f"(Ssiz {ssiz:#04x})"
    if signed and pixel_representation == 0:
        return (f"PixelRepresentation = 0 (unsigned) is not allowed here: {said}; expected 1 (signed), as the "
                f"codestream says (read as unsigned, its negative samples come out {2 ** bits} too high or more)")
    if not signed and pixel_representation == 1 and bits < 16:
        return (f"PixelRepresentation = 1 (signed) is not allowed here: {said}; expected 0 (unsigned), as the "
                f"codestream says (readers disagree on such a slice: GDCM keeps the samples, pydicom sign-extends "
                f"them from bit {bits}, {2 ** bits} apart)")
    return None


#: a frame of one value coded into at most this many bytes, plus :data:`_BLANK_BYTES_PER_TILE` per tile and one byte per
#: :data:`_BLANK_PIXELS_PER_BYTE` pixels, is a blank slice, not a damaged one (round 42, pass 219): OpenJPEG's
#: lossless codestream of a 512 x 512 frame of one value is 141-182 bytes (1024 x 1024: up to 189), OpenJPH's
#: HTJ2K 137-727 (1024 x 1024: 2463; 2048 x 2048: 9390; in 64 x 64 tiles with tile parts 9147); the damaged
#: codestreams that decode to one value keep their slice's packets (the real chest crop's: over 100 000 bytes).
#: Plus :data:`_BLANK_BYTES_PER_BAND_SAMPLE` per sample of the lowest resolution's band (:func:`_low_band_samples`):
#: a constant frame, its unsigned samples shifted by half their range before coding (ISO 15444-1 G.1.2), fills that
#: band with one value that is not 0, which HTJ2K codes sample by sample (OpenJPH at 512 x 512: 148 151 bytes with one
#: decomposition level, 37 134 with two, 9382 with three, 727 with five, the default; 1.7 to 2.8 bytes per band
#: sample; until round 43 the first two were refused as damaged, realct-log pass 221)
_BLANK_BYTES = 1024
_BLANK_BYTES_PER_TILE = 256
_BLANK_PIXELS_PER_BYTE = 64
_BLANK_BYTES_PER_BAND_SAMPLE = 3
#: the COD marker (A.6.1): its segment's eighth byte after the length is the number of decomposition levels
_COD = 0x52


def _low_band_samples(stream: bytes) -> int:
    """Samples of the lowest resolution's band (the image over 2 ** the main header COD's decomposition levels, each
    side rounded up); 0 when the main header holds no COD segment before the first tile-part."""
    at = 2 + 2 + int.from_bytes(stream[4:6], "big")               # past SOC and SIZ
    while at + 10 <= len(stream) and stream[at] == 0xFF and stream[at + 1] not in (_SOT, _SOD):
        if stream[at + 1] == _COD:
            levels = min(stream[at + 9], 32)
            x, y, x0, y0 = (int.from_bytes(stream[8 + 4 * k:12 + 4 * k], "big") for k in range(4))
            side = 1 << levels
            return -(-max(x - x0, 0) // side) * -(-max(y - y0, 0) // side)
        at += 2 + int.from_bytes(stream[at + 2:at + 4], "big")
    return 0


def _blank_bytes(stream: bytes, pixels: int) -> int:
    """The most bytes a codestream of ``pixels`` samples of one value takes (see :data:`_BLANK_BYTES`)."""
    at = stream.find(_SOC_SIZ)
    usable = at >= 0 and at + 44 <= len(stream)
    tiles = _tiles(stream[at:]) if usable else 1
    band = _low_band_samples(stream[at:]) if usable else 0
    return (_BLANK_BYTES + _BLANK_BYTES_PER_TILE * max(tiles, 1) + pixels // _BLANK_PIXELS_PER_BYTE
            + _BLANK_BYTES_PER_BAND_SAMPLE * band)


def one_value_damage(stream: bytes, bits_stored: int, lowest: int, highest: int, pixels: int) -> str | None:
    """Why a decoded JPEG 2000 (or HTJ2K) frame of one value is damaged, or None when it holds more than one or is
    a blank slice.

    No CT slice of a patient is one value (its noise alone varies), and a changed header byte makes OpenJPEG decode
    a frame into one, without a word from GDCM or imagecodecs (round 42, realct-log pass 218): a 16-bit codestream's
    precision byte saying 8 to 15 bits (zeros: -1024 HU at every pixel of a real abdominal slice; the same slice
    encoded at 12 bits under BitsStored 16 reads right, so the header alone cannot tell), or the guard bits of its
    quantisation segment changed.  A slice that is one value in the writer's hands (a padding slice a scanner or
    converter writes) is read, as it is uncompressed: its codestream is a few hundred bytes (pass 219), where the
    damaged ones keep the slice's packets.

    Parameters
    ----------
    stream : bytes
        The frame's whole codestream (its main header: SOC, SIZ; the first component's Ssiz byte and the tiles are
        read, and its length is weighed).
    bits_stored : int
        The data set's BitsStored.
    lowest, highest : int
        The decoded frame's smallest and largest sample.
    pixels : int
        The frame's samples (rows x columns).

    Returns
    -------
    str or None
        The reason, for the one-line error (naming the codestream's precision when it is not BitsStored); None when
        the frame holds more than one value, or its codestream is no longer than a frame of one value needs.
    """
    if lowest != highest:
        return None
    most = _blank_bytes(stream, pixels)
    if len(stream) <= most:
        return None                 # a blank slice: one value coded in a few hundred bytes
    held = f"though it holds {len(stream)} bytes (a blank frame of one value needs at most {most})"
    at = stream.find(_SOC_SIZ)
    ssiz = stream[at + 42] if at >= 0 and at + 43 <= len(stream) else None
    if ssiz is not None and (ssiz & 0x7F) + 1 != bits_stored:
        return (f"the JPEG 2000 codestream's SIZ segment says {(ssiz & 0x7F) + 1}-bit samples (Ssiz {ssiz:#04x}) "
                f"under BitsStored {bits_stored}, and the frame decodes to one value ({lowest}) at every pixel, "
                f"{held}: its precision byte was changed (bytes changed in its header)")
    return (f"the JPEG 2000 codestream decodes to one value ({lowest}) at every pixel, which no CT slice of a patient "
            f"is, {held}: bytes changed in its header")
