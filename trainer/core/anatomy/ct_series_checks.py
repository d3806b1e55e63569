"""Clinical-series checks of a CT folder (issue 12): what real scanners put next to the slices.

Each check is one small function raising :class:`~trainer.core.errors.DicomError` with one
line naming the file, the attribute, the value and what is allowed; the CT reader
(:func:`trainer.core.anatomy.dicom_io.read_ct_series`) calls them after the headers are read
and before any pixel is decoded.

* :func:`refuse_localizer` - a scout/localizer image (ImageType holds LOCALIZER) in the folder;
* :func:`refuse_mixed_patients` - slices of two patients (PatientID differs);
* :func:`refuse_gantry_tilt` - a tilted gantry (GantryDetectorTilt other than 0, or slice
  positions that move in the image plane from slice to slice, or across the series): the voxels are sheared.

Compressed transfer syntaxes are decoded by pydicom where it can (RLE Lossless and
Deflated natively; JPEG needs pylibjpeg or GDCM); where it cannot, the reader's
"pixel data cannot be decoded" error names the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trainer.core.errors import DicomError

__all__ = ["refuse_localizer", "refuse_mixed_patients", "refuse_gantry_tilt", "TILT_SLOPE", "TILT_TOLERANCE_MM"]

TILT_TOLERANCE_MM = 0.05     #: in-plane shift of the slice origin per slice that still counts as untilted
#: in-plane shift of a slice's origin from the first slice's, per mm along the normal, that still counts as
#: untilted (0.002: 0.11 deg), beyond TILT_TOLERANCE_MM: an orientation read as the axes within the reader's
#: 0.001 (dicom_sanity.ORIENTATION_TOLERANCE) in the row and in the column leaves positions along the true normal
#: up to about 0.0014 per mm off the axis' normal (hostile33: 0.625 mm slices tilted 3.7 deg moved 0.04 mm a slice,
#: under the neighbours' 0.05 mm, and were read sheared by 8 mm over 200 slices)
TILT_SLOPE = 0.002


def refuse_localizer(path: Path, ds) -> None:
    """A scout (ImageType ... LOCALIZER) is not a slice of the series."""
    kinds = [str(v).upper() for v in (ds.get("ImageType", []) or [])]
    if "LOCALIZER" in kinds:
        shown = "\\".join(kinds)
        raise DicomError(f"{path}: ImageType = {shown} is a scout/localizer image, not an axial slice; "
                         "remove it from the series folder")


def refuse_mixed_patients(sets: list) -> None:
    """All slices must belong to one patient (PatientID)."""
    p0, ds0 = sets[0]
    pid0 = str(ds0.get("PatientID", ""))
    for p, ds in sets[1:]:
        pid = str(ds.get("PatientID", ""))
        if pid != pid0:
            raise DicomError(f"{p}: PatientID = {pid!r} differs from {p0.name} ({pid0!r}); "
                             "a series folder holds one patient's slices")


def refuse_gantry_tilt(sets: list, order, normal) -> None:
    """Slices must be stacked along their normal: no GantryDetectorTilt, no in-plane drift of positions from a
    slice to the next (:data:`TILT_TOLERANCE_MM`) or across the series (:data:`TILT_SLOPE`)."""
    for p, ds in sets:
        tilt = ds.get("GantryDetectorTilt", 0) or 0
        try:
            tilt = float(tilt)
        except (TypeError, ValueError):
            tilt = 0.0
        if abs(tilt) > 0.01:
            raise DicomError(f"{p}: GantryDetectorTilt = {tilt:g} deg; allowed 0 (a tilted-gantry series is sheared: "
                             "reconstruct or resample it without tilt)")
    if len(order) < 2:
        return
    pos = np.array([[float(v) for v in sets[i][1].ImagePositionPatient] for i in order])
    step = np.diff(pos, axis=0)
    inplane = step - np.outer(step @ normal, normal)
    drift = np.linalg.norm(inplane, axis=1)
    bad = np.flatnonzero(drift > TILT_TOLERANCE_MM)
    if bad.size:
        i = int(bad[0])
        a, b = sets[order[i]][0], sets[order[i + 1]][0]
        ang = float(np.degrees(np.arctan2(drift[i], abs(step[i] @ normal))))
        raise DicomError(f"{b}: ImagePositionPatient moves {drift[i]:.2f} mm in the image plane from {a.name} "
                         f"(about {ang:.1f} deg of gantry tilt); allowed {TILT_TOLERANCE_MM} mm: resample the series "
                         "without tilt")
    # a small shift a slice adds up: 0.04 mm a slice over 200 thin slices is a sheared series 8 mm off at its end
    rel = pos - pos[0]
    along = np.abs(rel @ normal)
    off = np.linalg.norm(rel - np.outer(rel @ normal, normal), axis=1)
    excess = off - (TILT_TOLERANCE_MM + TILT_SLOPE * along)
    k = int(np.argmax(excess))
    if excess[k] > 0:
        a, b = sets[order[0]][0], sets[order[k]][0]
        ang = float(np.degrees(np.arctan2(off[k], along[k])))
        raise DicomError(f"{b}: ImagePositionPatient lies {off[k]:.2f} mm in the image plane from {a.name}'s, "
                         f"{along[k]:.1f} mm along the slice normal ({k} slices on; about {ang:.2f} deg of gantry "
                         f"tilt); allowed {TILT_TOLERANCE_MM} mm + {TILT_SLOPE} x the distance along the normal "
                         f"({np.degrees(np.arctan(TILT_SLOPE)):.2f} deg): resample the series without tilt")
