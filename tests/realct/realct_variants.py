"""Valid DICOM variants of a real CT series, as real scanners and PACS exports write them.

Each function rewrites the files of a plain series (written by
:func:`realct_sources.write_dicom`: HFS, ImageOrientationPatient ``1,0,0,0,1,0``, slices
ascending, unsigned pixels with RescaleIntercept -1024) in place, keeping every voxel at the
same patient position (LPS) with the same CT number.  tests/realct/test_realct_dicom_variants.py
reads each variant and compares it with the plain series.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import UID

#: in-plane orientations as (row direction, column direction) of ImageOrientationPatient: each an
#: (LPS axis 0 = x / 1 = y, sign) pair
ORIENTATIONS = {
    "HFS": ((0, 1), (1, 1)),            # 1,0,0,0,1,0: rows posterior, columns to the patient's left
    "HFP": ((0, -1), (1, -1)),          # -1,0,0,0,-1,0: the prone patient seen from the gantry
    "FFS": ((0, -1), (1, 1)),           # -1,0,0,0,1,0
    "FFP": ((0, 1), (1, -1)),           # 1,0,0,0,-1,0
    "transposed": ((1, 1), (0, 1)),     # 0,1,0,1,0,0: columns run posterior, rows to the patient's left
}


def slice_files(folder: Path) -> list[Path]:
    """The series' files in the plain writer's order (inferior slice first)."""
    return sorted(folder.iterdir())


def _lps_slice(ds) -> np.ndarray:
    """HU [y, x] of one plain slice (rows +y, columns +x)."""
    return ds.pixel_array.astype(np.int32) * int(float(ds.RescaleSlope)) + int(float(ds.RescaleIntercept))


def reorient(folder: Path, name: str) -> None:
    """Store every slice with the in-plane orientation ``name`` (a key of :data:`ORIENTATIONS`);
    PatientPosition says the same (``transposed`` keeps HFS)."""
    (r_axis, r_sign), (c_axis, c_sign) = ORIENTATIONS[name]
    for f in slice_files(folder):
        ds = pydicom.dcmread(f)
        hu = _lps_slice(ds)
        dy, dx = (float(v) for v in ds.PixelSpacing)
        x0, y0, z = (float(v) for v in ds.ImagePositionPatient)
        ny, nx = hu.shape
        img = hu if c_axis == 1 else hu.T               # rows along y, or along x when transposed
        if c_sign < 0:
            img = img[::-1]
        if r_sign < 0:
            img = img[:, ::-1]
        first = [x0, y0]
        if (r_axis == 0 and r_sign < 0) or (c_axis == 0 and c_sign < 0):
            first[0] = x0 + (nx - 1) * dx
        if (r_axis == 1 and r_sign < 0) or (c_axis == 1 and c_sign < 0):
            first[1] = y0 + (ny - 1) * dy
        row_dir = [0, 0, 0]
        col_dir = [0, 0, 0]
        row_dir[r_axis], col_dir[c_axis] = r_sign, c_sign
        ds.ImageOrientationPatient = [str(v) for v in row_dir + col_dir]
        ds.ImagePositionPatient = [f"{first[0]:.10g}", f"{first[1]:.10g}", f"{z:.10g}"]
        spacing = {0: dx, 1: dy}
        ds.PixelSpacing = [f"{spacing[c_axis]:.6g}", f"{spacing[r_axis]:.6g}"]
        ds.Rows, ds.Columns = img.shape
        ds.PixelData = np.ascontiguousarray(img - int(float(ds.RescaleIntercept))).astype("<u2").tobytes()
        if name != "transposed":
            ds.PatientPosition = name
        ds.save_as(f, enforce_file_format=True)


def renumber(folder: Path, how: str, seed: int = 12) -> None:
    """Rename (and renumber) the files: ``descending`` (file 1 and InstanceNumber 1 the most superior
    slice, as feet-first scanners number them) or ``random`` (random names, random InstanceNumbers)."""
    files = slice_files(folder)
    rng = random.Random(seed)
    order = list(range(len(files)))
    if how == "descending":
        order.reverse()
    else:
        rng.shuffle(order)
    tmp = []
    for n, i in enumerate(order):
        ds = pydicom.dcmread(files[i])
        ds.InstanceNumber = n + 1
        t = folder / f"tmp{n:05d}.part"
        ds.save_as(t, enforce_file_format=True)
        files[i].unlink()
        tmp.append(t)
    for n, t in enumerate(tmp):
        name = f"CT{n + 1:04d}.dcm" if how == "descending" else f"{rng.getrandbits(64):016x}"
        os.replace(t, folder / name)


def edit_each(folder: Path, fn) -> None:
    """``fn(k, ds)`` on every slice (k: 0 = inferior), saved in place."""
    for k, f in enumerate(slice_files(folder)):
        ds = pydicom.dcmread(f)
        fn(k, ds)
        ds.save_as(f, enforce_file_format=True)


def rescale_per_slice(folder: Path) -> None:
    """Every slice its own RescaleSlope / RescaleIntercept (the HU kept; slope 2 rounds odd HU down
    to the even number below: the only loss, as a PACS re-windowing slices would make)."""
    slopes = (1.0, 0.5, 2.0, 1.0, 0.25)
    icpts = (-1024.0, -1100.0, -2048.0, -3000.5, -1024.0)

    def fn(k, ds):
        hu = _lps_slice(ds)
        m, b = slopes[k % 5], icpts[k % 5]
        stored = np.floor((hu - b) / m).astype(np.int64)
        assert stored.min() >= 0 and stored.max() <= 65535
        ds.RescaleSlope, ds.RescaleIntercept = f"{m:g}", f"{b:g}"
        ds.PixelData = stored.astype("<u2").tobytes()

    edit_each(folder, fn)


def signed(folder: Path, intercept: float = 0.0) -> None:
    """PixelRepresentation 1 (signed pixels) with RescaleIntercept ``intercept``."""
    def fn(k, ds):
        hu = _lps_slice(ds)
        ds.PixelRepresentation = 1
        ds.RescaleIntercept = f"{intercept:g}"
        ds.PixelData = (hu - int(intercept)).astype("<i2").tobytes()

    edit_each(folder, fn)


def outside_fov(folder: Path, fov: np.ndarray, value_hu: int, padding: int | None = None,
                intercept: float = 0.0) -> None:
    """Signed pixels (RescaleIntercept ``intercept``) with the voxels outside the scanner's field of view
    (``fov`` False, [z, y, x] in the plain writer's order) at ``value_hu``; with ``padding`` they are stored as
    that value instead and PixelPaddingValue says so (PACS exports of Siemens and GE series)."""
    def fn(k, ds):
        hu = _lps_slice(ds)
        stored = (hu - int(intercept)).astype(np.int32)
        stored[~fov[k]] = (value_hu - int(intercept)) if padding is None else padding
        ds.PixelRepresentation = 1
        ds.RescaleIntercept = f"{intercept:g}"
        if padding is not None:
            ds.add_new("PixelPaddingValue", "SS", padding)
        ds.PixelData = stored.astype("<i2").tobytes()

    edit_each(folder, fn)


def bits_stored_12(folder: Path, overlay: bool) -> None:
    """BitsStored 12, HighBit 11 (most scanners' CT); with ``overlay`` the four unused high bits carry
    a pattern (the retired overlay-in-pixel-data of older exports), which a reader must mask off."""
    def fn(k, ds):
        stored = ds.pixel_array.astype(np.uint16)
        assert int(stored.max()) < 4096
        if overlay:
            stored = stored | np.uint16(0xA000)
        ds.BitsStored, ds.HighBit = 12, 11
        ds.PixelData = stored.astype("<u2").tobytes()

    edit_each(folder, fn)


def enhanced(folder: Path, descending: bool = False) -> Path:
    """Replace the slices by one Enhanced CT Image Storage file (SOP 1.2.840.10008.5.1.4.1.1.2.1) holding
    them as frames: pixel measures, orientation and rescale shared, each frame's position per frame (as
    Siemens and Philips exports write it); ``descending``: frames from the head down."""
    files = slice_files(folder)
    slices = [pydicom.dcmread(f) for f in files]
    if descending:
        slices.reverse()
    first = slices[0]
    ds = Dataset()
    ds.file_meta = first.file_meta
    ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.2.1")
    for key in ("SpecificCharacterSet", "StudyDate", "StudyTime", "Modality", "Manufacturer", "PatientName",
                "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "StudyID", "SeriesNumber",
                "FrameOfReferenceUID", "SamplesPerPixel", "PhotometricInterpretation", "Rows", "Columns",
                "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation", "SeriesDescription"):
        setattr(ds, key, first.get(key))
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
    ds.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["enhanced", str(first.SeriesInstanceUID)])
    ds.file_meta.MediaStorageSOPInstanceUID = UID(ds.SOPInstanceUID)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.InstanceNumber = 1
    ds.NumberOfFrames = len(slices)
    measures = Dataset()
    measures.PixelSpacing = first.PixelSpacing
    measures.SliceThickness = first.SliceThickness
    orientation = Dataset()
    orientation.ImageOrientationPatient = first.ImageOrientationPatient
    rescale = Dataset()
    rescale.RescaleIntercept, rescale.RescaleSlope, rescale.RescaleType = first.RescaleIntercept, first.RescaleSlope, "HU"
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([measures])
    shared.PlaneOrientationSequence = Sequence([orientation])
    shared.PixelValueTransformationSequence = Sequence([rescale])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per = []
    for n, s in enumerate(slices):
        pos = Dataset()
        pos.ImagePositionPatient = s.ImagePositionPatient
        content = Dataset()
        content.InStackPositionNumber = n + 1
        item = Dataset()
        item.PlanePositionSequence = Sequence([pos])
        item.FrameContentSequence = Sequence([content])
        per.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    ds.PixelData = b"".join(s.PixelData for s in slices)
    for f in files:
        f.unlink()
    out = folder / "ENHANCED.dcm"
    ds.save_as(out, enforce_file_format=True)
    return out


def legacy_converted(folder: Path) -> Path:
    """Replace the slices by one Legacy Converted Enhanced CT file (SOP 1.2.840.10008.5.1.4.1.1.2.2) made by
    highdicom (another library, as PACS archives and converters merge a classic series)."""
    import highdicom

    files = slice_files(folder)
    slices = [pydicom.dcmread(f) for f in files]
    merged = highdicom.legacy.LegacyConvertedEnhancedCTImage(
        slices, series_instance_uid=highdicom.UID(), series_number=99, sop_instance_uid=highdicom.UID(),
        instance_number=1)
    for f in files:
        f.unlink()
    out = folder / "LEGACY.dcm"
    merged.save_as(out)
    return out


def bare(folder: Path, implicit: bool, little: bool, keep_names: bool = False) -> None:
    """Rewrite every slice as a bare data set: no 128-byte preamble, no ``DICM``, no file meta (older
    exports and PACS caches), in the given VR encoding and byte order, named ``IM0``, ``IM1``, ... with
    no suffix (``keep_names``: under its own name)."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    for k, f in enumerate(slice_files(folder)):
        ds = pydicom.dcmread(f)
        if not little:
            ds.PixelData = ds.pixel_array.byteswap().tobytes()
        del ds.file_meta
        buf = DicomBytesIO()
        buf.is_implicit_VR, buf.is_little_endian = implicit, little
        write_dataset(buf, ds)
        f.unlink()
        (f if keep_names else folder / f"IM{k}").write_bytes(buf.getvalue())
