"""A pydicom decoding plugin for JPEG Extended (process 2 and 4, ``1.2.840.10008.1.2.4.51``) through imagecodecs.

A CT stored lossy by an older PACS or CD writer is often JPEG extended with 12-bit samples (DCMTK's ``dcmcjpeg
+ee``).  pydicom's plugins for it, GDCM and Pillow, refuse 12-bit samples (python-gdcm is built without the 12-bit
IJG library), so such a series was refused.  imagecodecs (BSD-3-Clause; its ``jpeg8`` codec is libjpeg-turbo 3,
which decodes 8- and 12-bit DCT streams) decodes it.  :func:`register` puts this plugin first for the syntax,
pydicom's own after it (they would refuse a 12-bit frame with an error logged per slice).  The stream must end in
its EOI marker: libjpeg-turbo decodes a stream cut short with a warning only, the missing part grey, and this
plugin refuses it instead.

The module has what pydicom's plugin guide asks of a decoding plugin: :func:`is_available`,
:data:`DECODER_DEPENDENCIES` and the decoding function :func:`decode_frame`.
"""

from __future__ import annotations

import numpy as np
from imagecodecs import jpeg8_decode
from pydicom.pixels.decoders import JPEGExtended12BitDecoder
from pydicom.pixels.decoders.base import DecodeRunner
from pydicom.uid import UID, JPEGExtended12Bit

from trainer.core.anatomy.dicom_jpeg_scan import decoded_before

__all__ = ["DECODER_DEPENDENCIES", "LABEL", "decode_frame", "is_available", "register"]

#: the plugin's name in pydicom's list (``JPEGExtended12BitDecoder.available_plugins``)
LABEL = "imagecodecs"
#: what the plugin needs, by transfer syntax (pydicom shows it when the plugin is unavailable)
DECODER_DEPENDENCIES = {JPEGExtended12Bit: ("numpy", "imagecodecs>=2024.1.1")}
#: pydicom's own plugins for the syntax, in pydicom's order, tried after this one
_PYDICOM_PLUGINS = ("gdcm", "pylibjpeg", "pillow")


def is_available(uid: UID) -> bool:
    """Whether this plugin decodes the transfer syntax ``uid``: JPEG Extended only (imagecodecs is a dependency)."""
    return uid == JPEGExtended12Bit


def decode_frame(src: bytes, runner: DecodeRunner) -> bytes:
    """Decode one JPEG extended frame into little-endian samples, as pydicom's runner reads them.

    Parameters
    ----------
    src : bytes
        The frame's JPEG stream (possibly followed by the fragment's one padding byte 00).
    runner : DecodeRunner
        pydicom's decoding run: its bits allocated is set to 8 for a stream of 8-bit samples, 16 for 12-bit
        ones.

    Returns
    -------
    bytes
        Rows x Columns samples, 1 or 2 bytes each (stored values, before RescaleSlope and RescaleIntercept).

    Raises
    ------
    ValueError
        When the stream does not start with SOI and end with EOI (cut short), or holds more than one sample per
        pixel (colour; a CT is greyscale).
    imagecodecs.Jpeg8Error
        When libjpeg-turbo cannot decode it.
    """
    if not src.startswith(b"\xff\xd8"):
        raise ValueError("the JPEG stream does not start with its SOI marker (FFD8)")
    if not src.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ValueError("the JPEG stream does not end with its EOI marker (FFD9): cut short")
    arr = decoded_before(src)               # the scan check's decoding of the same stream (dicom_jpeg_scan), once
    if arr is None:
        arr = jpeg8_decode(src)
    if arr.ndim != 2:
        raise ValueError(f"the JPEG stream holds {arr.shape[-1]} samples per pixel; a CT has 1")
    if arr.dtype == np.uint8:
        runner.set_option("bits_allocated", 8)
        return arr.tobytes()
    # a signed sample (PixelRepresentation 1) comes as its Bits Stored two's-complement bits: pydicom's runner
    # extends the sign (its unused-bits correction)
    runner.set_option("bits_allocated", 16)
    return arr.astype("<u2").tobytes()


def register() -> None:
    """Put this plugin first among pydicom's JPEG extended decoders (once; later calls do nothing).

    pydicom's own plugins for the syntax are taken out and added again after it, through the decoder's public
    ``add_plugin`` and ``remove_plugin``, so they still decode what they can should this one fail.
    """
    decoder = JPEGExtended12BitDecoder
    if LABEL in decoder.available_plugins:
        return
    removed = []
    for label in _PYDICOM_PLUGINS:
        try:
            decoder.remove_plugin(label)
        except ValueError:          # not among this pydicom's plugins
            continue
        removed.append(label)
    decoder.add_plugin(LABEL, (__name__, "decode_frame"))
    for label in removed:
        decoder.add_plugin(label, (f"pydicom.pixels.decoders.{label}", "_decode_frame"))
