"""Enhanced CT Image Storage (one multi-frame file per series) read as the slices it holds.

Scanners and PACS that export "enhanced" objects (Siemens syngo.via, Philips, GE with the
option on) write the whole series as one file of SOP class 1.2.840.10008.5.1.4.1.1.2.1, and
converters that merge a classic series into one object (highdicom, dcm4che, PACS archives that
store "legacy converted" objects) write class 1.2.840.10008.5.1.4.1.1.2.2, with the same
functional groups (PS3.3 A.70, the Legacy Converted Enhanced CT Image IOD): the
pixels of every frame in one PixelData, the geometry and rescale in functional groups (each
macro either in SharedFunctionalGroupsSequence, for all frames, or in each item of
PerFrameFunctionalGroupsSequence).  :func:`frames_of` turns such a file into one
single-frame dataset per frame, holding the attributes the CT reader
(:func:`trainer.core.anatomy.dicom_io.read_ct_series`) checks and reads for a slice, so
that an enhanced series goes through the same checks (sizes, spacing, positions, gaps,
tilt, rescale, padding) and the same reading as a classic one.  Compressed (encapsulated)
multi-frame pixel data is decoded whole (pydicom's decoders, GDCM among them: RLE, JPEG Lossless,
JPEG-LS, JPEG 2000; round 34, refused before) and handed on as native frames; what cannot be decoded is
refused in one line naming the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from trainer.core.anatomy.dicom_codecs import check_stream_sign, check_stream_size, decode_failure, is_compressed, is_lossy
from trainer.core.anatomy.dicom_jpeg_scan import decoded_pixels
from trainer.core.anatomy.dicom_sanity import check_series_size, frame_count
from trainer.core.errors import DicomError

__all__ = ["ENHANCED_CT_CLASSES", "ENHANCED_CT_STORAGE", "LEGACY_CONVERTED_CT_STORAGE", "frames_of"]

ENHANCED_CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1"
#: Legacy Converted Enhanced CT Image Storage: a classic series merged into one multi-frame object
LEGACY_CONVERTED_CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2.2"
#: the multi-frame CT classes read frame by frame by :func:`frames_of`
ENHANCED_CT_CLASSES = (ENHANCED_CT_STORAGE, LEGACY_CONVERTED_CT_STORAGE)

#: attributes of the whole object that every frame's dataset carries over
_COPIED = ("SOPClassUID", "SOPInstanceUID", "Modality", "PatientID", "PatientName", "StudyInstanceUID",
           "SeriesInstanceUID", "SeriesDescription", "FrameOfReferenceUID", "ImageType", "Rows", "Columns",
           "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation", "SamplesPerPixel",
           "PhotometricInterpretation", "PixelPaddingValue", "PixelPaddingRangeLimit", "GantryDetectorTilt",
           "LossyImageCompression", "LossyImageCompressionRatio")
#: (functional group macro, attribute in it, required)
_GROUPS = (("PlanePositionSequence", "ImagePositionPatient", True),
           ("PlaneOrientationSequence", "ImageOrientationPatient", True),
           ("PixelMeasuresSequence", "PixelSpacing", True),
           ("PixelMeasuresSequence", "SliceThickness", False),
           ("PixelValueTransformationSequence", "RescaleSlope", False),
           ("PixelValueTransformationSequence", "RescaleIntercept", False))


def _macro(per_frame: Dataset | None, shared: Dataset | None, name: str) -> Dataset | None:
    """The frame's item of functional group ``name``: its own, else the shared one."""
    for group in (per_frame, shared):
        if group is not None and group.get(name):
            return group.get(name)[0]
    return None


def _native(path: Path, ds: Dataset, n: int) -> tuple[FileMetaDataset, bytes | memoryview]:
    """(file meta, pixel bytes) of the frames, native: as stored when uncompressed; decoded whole when compressed,
    the file meta then saying Explicit VR Little Endian and the frames marked LossyImageCompression 01 when the
    syntax was lossy (the reader's note, :mod:`.dicom_codecs`)."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if not is_compressed(syntax):       # an unknown syntax UID: pydicom's is_compressed raised ValueError (hostile34)
        return ds.file_meta, ds.get("PixelData") or b""
    check_stream_size(path, ds, f"Enhanced CT ({n} frames) pixel data")
    check_stream_sign(path, ds)
    try:
        frames = np.asarray(decoded_pixels(ds))     # damage the decoders pass over refused (dicom_jpeg_scan)
    except Exception as exc:  # noqa: BLE001 - pydicom raises several types for undecodable pixel data
        raise decode_failure(path, ds, exc, f"Enhanced CT ({n} frames) pixel data") from None
    if is_lossy(ds):
        ds.LossyImageCompression = "01"
    meta = FileMetaDataset(ds.file_meta)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    dtype = np.dtype("<i2" if signed else "<u2") if int(ds.get("BitsAllocated", 16) or 16) == 16 else frames.dtype
    # the decoded frames' own buffer, sliced frame by frame below (a whole copy as bytes first held the series thrice)
    return meta, np.ascontiguousarray(frames, dtype=dtype).data.cast("B")


def _first_item(ds: Dataset, key: str) -> Dataset | None:
    seq = ds.get(key)
    return seq[0] if seq else None


def frames_of(path: Path, ds: Dataset) -> list[Dataset]:
    """One single-frame dataset per frame of the Enhanced CT ``ds`` (read from ``path``).

    Parameters
    ----------
    path : Path
        The file, for the error messages.
    ds : Dataset
        An Enhanced CT or Legacy Converted Enhanced CT dataset (its values already decoded).

    Returns
    -------
    list of Dataset
        In frame order, each with ImagePositionPatient, ImageOrientationPatient, PixelSpacing,
        RescaleSlope / RescaleIntercept (when the object has them), the pixel module's attributes,
        the UIDs and that frame's PixelData (native bytes), and the object's ``file_meta``.

    Raises
    ------
    DicomError
        Compressed pixel data that cannot be decoded, fewer PerFrameFunctionalGroupsSequence items than frames, a frame
        without its position, orientation or pixel spacing, or pixel data shorter than the frames.
    """
    n = frame_count(ds, path)
    per = ds.get("PerFrameFunctionalGroupsSequence") or []
    if len(per) < n:
        raise DicomError(f"{path}: PerFrameFunctionalGroupsSequence holds {len(per)} item(s) for NumberOfFrames = "
                         f"{n}; expected one per frame (export the series as one file per slice)")
    shared = _first_item(ds, "SharedFunctionalGroupsSequence")
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    frame_bytes = rows * cols * max(int(ds.get("BitsAllocated", 16) or 16) // 8, 1)
    # before the frames are decoded: a compressed file of 2100 frames of 512 x 512 was decoded whole (4.4 GB RSS,
    # 8.7 s) and then refused by the series' bound (hostile34)
    check_series_size(path.parent, n, rows, cols)
    file_meta, data = _native(path, ds, n)
    if len(data) < n * frame_bytes:
        raise DicomError(f"{path}: pixel data is truncated ({len(data)} bytes; {n} frames of {rows} x {cols} pixels "
                         f"need {n * frame_bytes})")
    frames = []
    for i in range(n):
        f = Dataset()
        f.file_meta = file_meta
        for key in _COPIED:
            if key in ds:
                f[key] = ds[key]
        for name, key, required in _GROUPS:
            item = _macro(per[i], shared, name)
            if item is not None and key in item:
                f[key] = item[key]
            elif required:
                raise DicomError(f"{path}: frame {i + 1} has no {key} (in {name}, per frame or shared); expected "
                                 "every frame's position, orientation and pixel spacing")
        f.InstanceNumber = i + 1
        f.PixelData = bytes(data[i * frame_bytes:(i + 1) * frame_bytes])
        frames.append(f)
    return frames
