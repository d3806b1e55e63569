"""DICOM CT headers checked before any pixel is allocated or decoded (issue 18).

A hostile or damaged header can ask for a 65535 x 65535 image (an 856 GiB stack), carry
NaN or zero spacing, non-numeric rescale values or 8-bit pixels, or a slice file can be a
symlink to anything on disk.  :func:`check_series_files` (the folder listing) and
:func:`check_series_headers` (the parsed headers) refuse all of these with a
:class:`~trainer.core.errors.DicomError` naming the file, the attribute, the value and the
documented limit; the CT reader calls them before it reads or allocates pixels.

Limits (docs/bad-input.md, "DICOM CT series"):

=========================  ================================================
image size                 1 to :data:`MAX_SIDE_PX` pixels a side
slices                     1 to :data:`MAX_SLICES`
whole series               at most :data:`MAX_SERIES_VOXELS` voxels (2 bytes each)
pixel spacing              finite, :data:`SPACING_RANGE_MM`
positions                  finite, within +/- :data:`MAX_POSITION_MM`
orientation                six finite numbers
orientation (round 24)     two unit vectors (length 1 within :data:`ORIENTATION_TOLERANCE`),
                           orthogonal (cosine within the same tolerance)
pixels                     BitsAllocated 16, BitsStored 8..16 (present), HighBit
                           BitsStored - 1 (when present), one sample, PixelRepresentation
                           0 or 1 (absent: 0), PhotometricInterpretation MONOCHROME1 or
                           MONOCHROME2 (when present)
rescale                    both present (type 1: an absent intercept read stored values
                           as HU, 1024 HU too high), finite slope in :data:`SLOPE_RANGE`,
                           finite intercept within +/- :data:`MAX_INTERCEPT`
pixel data                 at most twice Rows x Columns (x frames) 16-bit pixels + 4 kB
                           (:func:`check_pixel_bytes`, called on each file as the reader reads it,
                           before the next); a compressed stream's own size equal to
                           Rows x Columns (:func:`~.dicom_codecs.check_stream_size`); a JPEG 2000
                           codestream's signedness agreeing with PixelRepresentation
                           (:func:`~.dicom_codecs.check_stream_sign`)
one slice                  a SliceThickness (the only spacing it has)
files                      regular files, no symbolic links
=========================  ================================================
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from trainer.core.anatomy.dicom_codecs import check_stream_sign, check_stream_size
from trainer.core.errors import DicomError

__all__ = ["MAX_INTERCEPT", "MAX_POSITION_MM", "MAX_SERIES_VOXELS", "MAX_SIDE_PX", "MAX_SLICES", "SLOPE_RANGE",
           "ORIENTATION_TOLERANCE",
           "SPACING_RANGE_MM", "check_pixel_bytes", "check_series_files", "check_series_headers", "check_series_size",
           "decode_all",
           "frame_count",
           "header_numbers"]

MAX_SIDE_PX = 4096
MAX_SLICES = 5000
#: 2000 slices of 512 x 512 (1 GiB of int16 HU): the load of such a series to a labelled patient peaked at 1.71 GB RSS
#: against DESIGN.md's 2 GB, 3000 slices at 2.49 GB (benchmarks/ct_load.py, issue 12, round 34); a chest-abdomen-pelvis
#: at 0.625 mm is 700 to 1100 slices.  It was 1.5e9 (3 GB of int16, 6 GB as float32), never measured.
MAX_SERIES_VOXELS = 2000 * 512 * 512
SPACING_RANGE_MM = (0.05, 20.0)
MAX_POSITION_MM = 100_000.0
SLOPE_RANGE = (1e-4, 1e3)
MAX_INTERCEPT = 1e5
ORIENTATION_TOLERANCE = 1e-3             #: the reader's axis-alignment tolerance (dicom_io._near_axis)


def check_series_files(root: Path, files: list[Path]) -> None:
    """Refuse symbolic links (files or the folder's entries) in a CT folder."""
    for p in files:
        if os.path.islink(p):
            raise DicomError(f"{p}: is a symbolic link (to {os.readlink(p)}); a CT folder must hold the slice "
                             "files themselves (links are refused: they can point anywhere on disk)")


def header_numbers(ds, key: str, n: int, path: Path) -> list[float]:
    """``n`` finite numbers of a multi-valued attribute, or DicomError naming it."""
    try:
        raw = ds.get(key)
        vals = list(raw) if n > 1 and raw is not None and not isinstance(raw, (str, bytes)) else [raw]
        out = [float(v) for v in vals]
    except (TypeError, ValueError, OverflowError) as exc:
        raise DicomError(f"{path}: {key} = {_short(ds, key)} is not allowed; expected {n} number(s) "
                         f"({exc.__class__.__name__})") from None
    except Exception as exc:  # noqa: BLE001 (pydicom raises its own types for malformed values)
        raise DicomError(f"{path}: {key} cannot be read ({exc.__class__.__name__}: {str(exc)[:80]})") from None
    if len(out) != n or not all(math.isfinite(v) for v in out):
        raise DicomError(f"{path}: {key} = {_short(ds, key)} is not allowed; expected {n} finite number(s)")
    return out


def _short(ds, key) -> str:
    try:
        r = repr(ds.get(key))
    except Exception:  # noqa: BLE001
        r = "<unreadable>"
    return r if len(r) <= 60 else r[:57] + "..."


def _int(ds, key: str, path: Path, default=None) -> int:
    try:
        v = ds.get(key, default)
        if v is None:
            raise ValueError("missing")
        f = float(v)
        if not math.isfinite(f) or f != int(f):
            raise ValueError("not an integer")
        return int(f)
    except Exception as exc:  # noqa: BLE001 (pydicom value errors)
        raise DicomError(f"{path}: {key} = {_short(ds, key)} is not allowed; expected an integer "
                         f"({exc.__class__.__name__})") from None


def _check_one(p: Path, ds) -> tuple[int, int, int]:
    rows, cols = _int(ds, "Rows", p), _int(ds, "Columns", p)
    for key, v in (("Rows", rows), ("Columns", cols)):
        if not 1 <= v <= MAX_SIDE_PX:
            raise DicomError(f"{p}: {key} = {v} is not allowed; expected 1 to {MAX_SIDE_PX} pixels")
    spacing = header_numbers(ds, "PixelSpacing", 2, p)
    for step_mm in spacing:
        if not SPACING_RANGE_MM[0] <= step_mm <= SPACING_RANGE_MM[1]:
            raise DicomError(f"{p}: PixelSpacing = {spacing} is not allowed; expected two numbers from "
                             f"{SPACING_RANGE_MM[0]:g} to {SPACING_RANGE_MM[1]:g} mm")
    pos = header_numbers(ds, "ImagePositionPatient", 3, p)
    if max(abs(x) for x in pos) > MAX_POSITION_MM:
        raise DicomError(f"{p}: ImagePositionPatient = {pos} is not allowed; expected positions within "
                         f"+/-{MAX_POSITION_MM:g} mm")
    _check_orientation(p, header_numbers(ds, "ImageOrientationPatient", 6, p))
    bits = _int(ds, "BitsAllocated", p)
    if ds.get("BitsStored") in (None, ""):
        raise DicomError(f"{p}: BitsStored is missing or empty; expected 8 to 16 (the pixels' significant bits)")
    stored = _int(ds, "BitsStored", p)
    samples = _int(ds, "SamplesPerPixel", p, default=1)
    if bits != 16 or not 8 <= stored <= 16 or samples != 1:
        raise DicomError(f"{p}: BitsAllocated = {bits}, BitsStored = {stored}, SamplesPerPixel = {samples} is not "
                         "allowed; expected 16-bit greyscale CT pixels (BitsAllocated 16, BitsStored 8 to 16, "
                         "SamplesPerPixel 1)")
    if ds.get("HighBit") not in (None, ""):
        high = _int(ds, "HighBit", p)
        if high != stored - 1:
            raise DicomError(f"{p}: HighBit = {high} is not allowed with BitsStored = {stored}; expected "
                             f"{stored - 1} (BitsStored - 1)")
    rep = _int(ds, "PixelRepresentation", p, default=0)
    if rep not in (0, 1):
        raise DicomError(f"{p}: PixelRepresentation = {rep} is not allowed; expected 0 (unsigned) or 1 (signed)")
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip()
    if photometric and photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise DicomError(f"{p}: PhotometricInterpretation = {photometric!r} is not allowed; expected MONOCHROME2 "
                         "or MONOCHROME1 (greyscale CT numbers)")
    for key, lo, hi in (("RescaleSlope", SLOPE_RANGE[0], SLOPE_RANGE[1]),
                        ("RescaleIntercept", -MAX_INTERCEPT, MAX_INTERCEPT)):
        if ds.get(key) is None or ds.get(key) == "":
            raise DicomError(f"{p}: {key} is missing or empty; expected a number (CT numbers are stored value x "
                             "RescaleSlope + RescaleIntercept: without it they would be read 1024 HU off for the "
                             "usual unsigned pixels)")
        (value,) = header_numbers(ds, key, 1, p)
        if not (lo <= abs(value) <= hi if key == "RescaleSlope" else lo <= value <= hi):
            raise DicomError(f"{p}: {key} = {value:g} is not allowed; expected a finite number "
                             + (f"with magnitude {lo:g} to {hi:g}" if key == "RescaleSlope" else f"from {lo:g} to {hi:g}"))
    syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", ""))
    data = ds.get("PixelData")
    if not data:
        raise DicomError(f"{p}: PixelData is missing or empty; expected the slice's pixels")
    if syntax in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1"):
        need = rows * cols * 2
        have = len(data)
        if have < need:
            raise DicomError(f"{p}: pixel data is truncated ({have} bytes; {rows} x {cols} 16-bit pixels need {need})")
    check_stream_size(p, ds)                # the pixel bytes' bound: checked as each file is read (read_ct_series)
    check_stream_sign(p, ds)                # a JPEG 2000 codestream's signedness against PixelRepresentation
    return rows, cols, bits


#: bytes a slice's pixel data may hold beyond twice its Rows x Columns 16-bit pixels (a compressed stream of noise
#: is at most a little over the raw size; padding is a byte)
_PIXEL_SLACK = 4096


def check_pixel_bytes(p: Path, ds) -> None:
    """Refuse a slice whose pixel data holds more than twice what its Rows x Columns (x NumberOfFrames) 16-bit pixels
    need, uncompressed or compressed: the header lies about the image's size (hostile34: Rows 16 over 32 MB of pixels
    was read as the first 512 bytes, and 40 such files held 1.3 GB before any check).  Rows or Columns out of range
    are left to :func:`check_series_headers`."""
    try:
        rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
        frames = max(int(ds.get("NumberOfFrames", 1) or 1), 1)
    except (TypeError, ValueError):
        return
    if not (1 <= rows <= MAX_SIDE_PX and 1 <= cols <= MAX_SIDE_PX):
        return
    have = len(ds.get("PixelData") or b"")
    need = frames * rows * cols * 2
    if have > 2 * need + _PIXEL_SLACK:
        many = f"{frames} frames of " if frames > 1 else ""
        raise DicomError(f"{p}: pixel data holds {have} bytes, more than twice the {need} that {many}Rows x Columns = "
                         f"{rows} x {cols} 16-bit pixels need; expected one slice's pixels (the header's image size "
                         "is wrong: copy the slice again, or export the series again)")


def _check_orientation(p: Path, iop: list[float]) -> None:
    """Two unit, orthogonal direction cosines (an oblique but valid orientation is the reader's to refuse)."""
    row, col = iop[:3], iop[3:]
    lengths = [math.sqrt(sum(v * v for v in vec)) for vec in (row, col)]
    cosine = sum(a * b for a, b in zip(row, col))
    if max(abs(n - 1.0) for n in lengths) > ORIENTATION_TOLERANCE or abs(cosine) > ORIENTATION_TOLERANCE:
        shown = "\\".join(f"{v:g}" for v in iop)
        raise DicomError(f"{p}: ImageOrientationPatient = {shown} is not allowed (row and column lengths "
                         f"{lengths[0]:.3g} and {lengths[1]:.3g}, cosine between them {cosine:.3g}); expected two "
                         f"orthogonal unit vectors (lengths 1 and cosine 0, within {ORIENTATION_TOLERANCE:g})")


def decode_all(ds) -> None:
    """Convert every element's raw value now, the file meta information's too (pydicom does it lazily, so damage
    would surface later: a file meta element whose VR byte was damaged, "UI" read as "TI", raised
    pydicom's unknown-VR error (a traceback) when the reader then asked for MediaStorageSOPClassUID; found by the
    hostile fuzz test in round 37's CI)."""
    meta = getattr(ds, "file_meta", None)
    for part in (ds,) if meta is None else (meta, ds):
        for elem in part.iterall():
            elem.value  # noqa: B018 (the access is the conversion)


def frame_count(ds, path: Path) -> int:
    """NumberOfFrames (1 when absent) as an integer, or DicomError naming it."""
    if ds.get("NumberOfFrames") in (None, ""):
        return 1
    return _int(ds, "NumberOfFrames", path)


def check_series_size(folder: Path, slices: int, rows: int, cols: int) -> None:
    """Refuse a series of more than :data:`MAX_SERIES_VOXELS` voxels: one line naming the folder, the count, the
    bound and what to do (the reader calls it from the first file's size and the file count, before the other
    files' pixels are read, and again on the slices read)."""
    voxels = slices * rows * cols
    if voxels > MAX_SERIES_VOXELS:
        most = MAX_SERIES_VOXELS // max(rows * cols, 1)
        raise DicomError(f"{folder}: {slices} slices of {rows} x {cols} pixels = {voxels:.3g} voxels "
                         f"({voxels * 2 / 2**30:.1f} GiB of CT numbers) is too large for the trainer's 2 GB memory "
                         f"budget; allowed up to {MAX_SERIES_VOXELS:.3g} voxels ({most} slices of {rows} x {cols}): "
                         "export the levels to be taught (a shorter range of slices) or a thicker reconstruction "
                         "(1 to 1.25 mm)")


def check_series_headers(sets: list) -> None:
    """Check every ``(path, dataset)`` of a series against the limits above, before pixels are used.

    Raises
    ------
    DicomError
        Naming the file, the attribute, its value and the limit.
    """
    if len(sets) > MAX_SLICES:
        raise DicomError(f"{sets[0][0].parent}: {len(sets)} slice files; expected at most {MAX_SLICES}")
    rows = cols = 0
    for p, ds in sets:
        r, c, _ = _check_one(p, ds)
        rows, cols = max(rows, r), max(cols, c)
    check_series_size(sets[0][0].parent, len(sets), rows, cols)
    if len(sets) == 1:
        p, ds = sets[0]
        if ds.get("SliceThickness") in (None, ""):
            raise DicomError(f"{p}: the series is this one slice and its SliceThickness is missing or empty, so its "
                             f"slice spacing is unknown; expected a series of several slices (or one with "
                             f"SliceThickness {SPACING_RANGE_MM[0]:g} to {SPACING_RANGE_MM[1]:g} mm)")
        (t,) = header_numbers(ds, "SliceThickness", 1, p)
        if not SPACING_RANGE_MM[0] <= t <= SPACING_RANGE_MM[1]:
            raise DicomError(f"{p}: SliceThickness = {t:g} is not allowed; expected {SPACING_RANGE_MM[0]:g} "
                             f"to {SPACING_RANGE_MM[1]:g} mm")
