"""A minimal PNG writer (8-bit greyscale) so that core never needs Qt or Pillow."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["encode_png", "write_png"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(image: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    """PNG bytes of a 2-D uint8 greyscale image (rows top to bottom).

    ``text`` entries are stored as tEXt chunks (Latin-1 keys and values).
    """
    img = np.asarray(image)
    if img.ndim != 2 or img.dtype != np.uint8:
        raise ValueError(f"encode_png needs a 2-D uint8 array; got {img.dtype} {img.shape}")
    h, w = img.shape
    raw = np.zeros((h, w + 1), np.uint8)      # filter byte 0 (None) per row
    raw[:, 1:] = img
    body = _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    for k, v in (text or {}).items():
        body += _chunk(b"tEXt", k.encode("latin-1") + b"\0" + v.encode("latin-1", "replace"))
    body += _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
    return b"\x89PNG\r\n\x1a\n" + body + _chunk(b"IEND", b"")


def write_png(path, image: np.ndarray, text: dict[str, str] | None = None) -> Path:
    """Write ``image`` (2-D uint8) to ``path`` as PNG; returns the path."""
    p = Path(path)
    p.write_bytes(encode_png(image, text))
    return p
