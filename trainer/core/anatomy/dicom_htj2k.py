"""A pydicom decoding plugin for High-Throughput JPEG 2000 (HTJ2K, ISO 15444-15) through imagecodecs' OpenJPEG.

DICOM added three HTJ2K transfer syntaxes in 2023 (``1.2.840.10008.1.2.4.201`` lossless, ``.202`` lossless with
RPCL progression, ``.203`` lossless or lossy).  pydicom 3 decodes them through pylibjpeg-openjpeg only, which is
not installed here, so until round 40 such a slice was refused as "no decoder installed" with pydicom's own reason
cut mid-word.  OpenJPEG has decoded HTJ2K codestreams since 2.5.0, and imagecodecs (already a dependency) ships
OpenJPEG 2.5.4 as ``jpeg2k_decode``; :func:`register` makes it the decoder for the three syntaxes.

An HTJ2K codestream is laid out as a JPEG 2000 Part 1 one (SOC, SIZ, a CAP segment among the main header's marker
segments, then tile-parts), so the layout and SIZ checks of :mod:`.dicom_j2k` run on it before it is decoded,
and pydicom's JPEG 2000 handling after it (the codestream's precision and signedness, :func:`decode_frame`) is the
same.  Whether a ``.203`` slice is lossy is told by its COD segment's wavelet, as for JPEG 2000
(:func:`.dicom_codecs.is_lossy`).

The module has what pydicom's plugin guide asks of a decoding plugin: :func:`is_available`,
:data:`DECODER_DEPENDENCIES` and the decoding function :func:`decode_frame`.
"""

from __future__ import annotations

from imagecodecs import jpeg2k_decode
from pydicom.pixels.decoders import HTJ2KDecoder, HTJ2KLosslessDecoder, HTJ2KLosslessRPCLDecoder
from pydicom.pixels.decoders.base import DecodeRunner
from pydicom.uid import HTJ2K, UID, HTJ2KLossless, HTJ2KLosslessRPCL

__all__ = ["DECODER_DEPENDENCIES", "HTJ2K_SYNTAXES", "LABEL", "decode_frame", "is_available", "register"]

#: the plugin's name in pydicom's lists (``HTJ2KDecoder.available_plugins``)
LABEL = "imagecodecs-openjpeg"
#: the three HTJ2K transfer syntaxes (DICOM PS3.5 A.4.11)
HTJ2K_SYNTAXES = frozenset({HTJ2KLossless, HTJ2KLosslessRPCL, HTJ2K})
#: what the plugin needs, by transfer syntax (pydicom shows it when the plugin is unavailable)
DECODER_DEPENDENCIES = dict.fromkeys(HTJ2K_SYNTAXES, ("numpy", "imagecodecs>=2024.1.1"))
_DECODERS = (HTJ2KLosslessDecoder, HTJ2KLosslessRPCLDecoder, HTJ2KDecoder)


def is_available(uid: UID) -> bool:
    """Whether this plugin decodes the transfer syntax ``uid``: the three HTJ2K ones (imagecodecs is a
    dependency)."""
    return uid in HTJ2K_SYNTAXES


def decode_frame(src: bytes, runner: DecodeRunner) -> bytes:
    """Decode one HTJ2K frame into little-endian samples, as pydicom's runner reads them.

    Parameters
    ----------
    src : bytes
        The frame's codestream (SOC to EOC, possibly followed by the fragment's padding byte 00).
    runner : DecodeRunner
        pydicom's decoding run: its bits allocated is set to 8 for samples of 8 bits or fewer, 16 otherwise (the
        codestream's precision, which pydicom reads from its SIZ segment, decides, as for its own JPEG 2000
        plugins).

    Returns
    -------
    bytes
        Rows x Columns samples, 1 or 2 bytes each (stored values, before RescaleSlope and RescaleIntercept); a
        signed codestream's samples as their two's-complement bits.

    Raises
    ------
    ValueError
        When the frame holds more than one sample per pixel (colour; a CT is greyscale) or samples wider than 16
        bits.
    imagecodecs.Jpeg2kError
        When OpenJPEG cannot decode it.
    """
    arr = jpeg2k_decode(src)
    if arr.ndim != 2:
        raise ValueError(f"the HTJ2K codestream holds {arr.shape[-1]} samples per pixel; a CT has 1")
    if arr.dtype.itemsize > 2:
        raise ValueError(f"the HTJ2K codestream holds {arr.dtype.itemsize * 8}-bit samples; a CT's are 16 at most")
    precision = runner.get_option("j2k_precision", runner.bits_stored)
    if arr.dtype.itemsize == 1 and precision <= 8:
        runner.set_option("bits_allocated", 8)
        return arr.tobytes()
    runner.set_option("bits_allocated", 16)
    return arr.astype("<i2" if arr.dtype.kind == "i" else "<u2").tobytes()


def register() -> None:
    """Add this plugin to pydicom's decoders of the three HTJ2K syntaxes (once; later calls do nothing).  pydicom's
    own plugin (pylibjpeg), where installed, is tried before it."""
    for decoder in _DECODERS:
        if LABEL in decoder.available_plugins:
            continue
        decoder.add_plugin(LABEL, (__name__, "decode_frame"))
