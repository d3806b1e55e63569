"""Which way the spine faces in a series' patient frame: a prone patient stored with a supine orientation.

DICOM attaches the patient coordinate system (LPS) to the patient, so in any correctly written series the
spinal canal lies behind (+y of) the vertebral bodies, whatever the PatientPosition (HFS, HFP, FFS, FFP) and
however the pixels are stored: the reader places voxels by ImagePositionPatient and ImageOrientationPatient
(:mod:`.dicom_io`).  A series whose canal lies in FRONT of the bodies has an orientation that does not describe
its pixels: the pixels of a prone acquisition (the patient turned 180 deg about the long axis) written with a
supine patient's ``ImageOrientationPatient`` ``1,0,0,0,1,0``.  Its left and right are swapped as well as its
front and back, so the trainer refuses it (``import-ct``) rather than guess which header field is wrong.

The test: :func:`trainer.core.anatomy.ct_spine.find_canal` counts the slices with a canal in the back half of
the body outline, once as stored and once with the pooled volume turned 180 deg in plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.anatomy.ct_spine import _pooled, body_outline, find_canal, series_thresholds
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError

__all__ = ["Facing", "spine_facing", "refuse_turned"]

#: a series "faces front" when at least this many slices (mm of z) show a canal in front of the bodies ...
MIN_FRONT_MM = 40.0
#: ... and at least this many times as many as show one behind them
FRONT_RATIO = 3.0


@dataclass(frozen=True)
class Facing:
    """Slices' worth (mm of z) with a spinal canal behind the bodies (``back_mm``, as DICOM's LPS puts it)
    and in front of them (``front_mm``, the series turned 180 deg)."""

    back_mm: float
    front_mm: float

    @property
    def turned(self) -> bool:
        """True when the canal lies in front of the bodies: the orientation does not describe the pixels."""
        return self.front_mm >= MIN_FRONT_MM and self.front_mm >= FRONT_RATIO * self.back_mm


def spine_facing(volume: Volume, column=None) -> Facing:
    """Count the z extent (mm) over which a spinal canal is found behind and in front of the bodies.

    Parameters
    ----------
    volume : Volume
        The series (HU, LPS mm).
    column : Column, optional
        :func:`~trainer.core.anatomy.ct_spine.detect_column`'s result on this same ``volume``: its pooled body
        outline, thresholds and canal (found as stored, behind the bodies) are this check's own first half, so
        only the half-turned canal search runs (ignored when its outline is not on ``volume``'s pooled grid).

    Returns
    -------
    Facing
        ``back_mm`` and ``front_mm``, mm of z (pooled slices times their spacing).
    """
    hu, g = _pooled(volume)
    dz_mm = g.spacing_xyz_mm[2]
    counts: list[float] = []
    if _measured_on(column, g):
        body, thr = column.outline.body, column.thresholds
        counts.append(float(np.count_nonzero(~np.isnan(np.asarray(column.canal_xy_mm)[:, 0]))) * dz_mm)
    else:
        body = body_outline(hu, g)
        thr, canal = series_thresholds(hu, g, body)
        counts.append(float(np.count_nonzero(~np.isnan(canal[:, 0]))) * dz_mm)
    for h, b in ((hu, body), (hu[:, ::-1, ::-1], body[:, ::-1, ::-1]))[len(counts):]:
        if counts and FRONT_RATIO * counts[0] > hu.shape[0] * dz_mm:
            # the canal lies behind the bodies over more than a third of the series: no count in front can
            # make it "turned", so the half-turned search (about half of this check's time) is not run
            counts.append(0.0)
            break
        canal = find_canal(np.ascontiguousarray(h), g, np.ascontiguousarray(b), thr)
        counts.append(float(np.count_nonzero(~np.isnan(canal[:, 0]))) * dz_mm)
    return Facing(back_mm=counts[0], front_mm=counts[1])


def _measured_on(column, pooled: Grid) -> bool:
    """True when ``column`` holds the outline, thresholds and per-slice canal of the series pooled to ``pooled``."""
    return (column is not None and column.outline is not None and column.outline.grid == pooled
            and len(column.canal_xy_mm) == pooled.shape[0])


def refuse_turned(volume: Volume, where, column=None) -> None:
    """Raise :class:`DicomError` (one line naming ``where``, the series' ImageOrientationPatient and
    PatientPosition, the two extents and the allowed orientation) when the series faces front
    (:attr:`Facing.turned`): ``import-ct`` and the GUI's import used to end in "no spinal canal ... give
    the pedicle centres by hand", which would build a patient with its left and right swapped.

    Parameters
    ----------
    volume : Volume
        The series as read (``meta`` holds ``orientation`` and ``patient_position``).
    where : path or str
        The series' folder, named in the message.
    column : Column, optional
        The series' detected column (:func:`~trainer.core.anatomy.ct_spine.detect_column`): when its canal,
        found behind the bodies, spans more than a third of the series, no count in front can make the series
        "turned" and nothing is measured again (the check then costs nothing on a series read the right way
        round; without it, 0.5 s CPU on the chest CT's 133 x 512 x 512).
        Otherwise its outline, thresholds and canal are reused and only the half-turned search runs
        (:func:`spine_facing`).
    """
    if column is not None and len(column.canal_z_mm) > 1:
        z = np.asarray(column.canal_z_mm, float)
        back_mm = float(np.count_nonzero(~np.isnan(np.asarray(column.canal_xy_mm)[:, 0]))) * abs(z[1] - z[0])
        if FRONT_RATIO * back_mm > len(z) * abs(z[1] - z[0]):
            return
    facing = spine_facing(volume, column)
    if not facing.turned:
        return
    iop = volume.meta.get("orientation", "")
    pos = volume.meta.get("patient_position", "")
    raise DicomError(
        f"{where}: ImageOrientationPatient {iop} (PatientPosition {pos or 'not given'}) puts the spinal canal in "
        f"front of the vertebral bodies over {facing.front_mm:.0f} mm of z ({facing.back_mm:.0f} mm behind them): "
        "the orientation does not describe the pixels (a prone patient written with a supine patient's "
        "orientation, or the reverse; left and right are swapped too); allowed: the orientation the scanner "
        "wrote (it puts the spine behind the bodies; prone head first is -1,0,0,0,-1,0): export the series "
        "again from the scanner")
