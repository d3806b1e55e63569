"""A flat folder of three series, as Horos's "Export to DICOM files" or a PACS zip gives them (round 35, mixed35).

From a real CT (``realct_sources``): a scout (one coronal LOCALIZER image, the CT's mean along y, series 1), the
CT itself (series 2: the same SOPInstanceUIDs and pixels as its own folder's files, so the oracle of an import
from the mixed folder is the import from that folder) and a second reconstruction of it in ``slice_mm`` slabs
(``realct_sources.slabs``, series 3, the same study and frame of reference), their file names interleaved.
The edited headers are checked with dciodvfy by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import realct_sources as sources
from pydicom.uid import generate_uid


@dataclass(frozen=True)
class Mixed:
    """The flat folder and what it holds.

    Attributes
    ----------
    folder : Path
        The mixed folder.
    scout, ct_files, slab_files : list of Path
        Its files of series 1, 2 and 3.
    slabs : sources.RealCT
        The slab reconstruction written as series 3.
    uids : dict
        SeriesNumber -> SeriesInstanceUID.
    """

    folder: Path
    scout: list
    ct_files: list
    slab_files: list
    slabs: sources.RealCT
    uids: dict


def _scout(template: Path, ct: sources.RealCT, out: Path, study_uid: str, for_uid: str) -> str:
    """One coronal scout: the CT's mean HU along y, rows from head to feet, columns along +x."""
    ds = pydicom.dcmread(template)
    g = ct.grid
    proj = ct.hu.astype(np.float32).mean(axis=1)[::-1]          # [z from the top, x]
    stored = np.clip(np.rint(proj) + 1024, 0, 65535).astype("<u2")
    uid = generate_uid(entropy_srcs=[ct.name, "scout-series"])
    sop = generate_uid(entropy_srcs=[ct.name, "scout-sop"])
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    ds.SeriesInstanceUID, ds.SeriesNumber, ds.InstanceNumber = uid, 1, 1
    ds.StudyInstanceUID, ds.FrameOfReferenceUID = study_uid, for_uid
    ds.SeriesDescription = "Topogram 0.6 T20f"
    del ds.RescaleType                              # not HU on a localizer (dciodvfy)
    x0, y0, z0 = g.origin_mm
    ztop = z0 + (g.shape[0] - 1) * g.spacing_xyz_mm[2]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "0", "-1"]
    ds.ImagePositionPatient = [f"{x0:.6g}", f"{y0 + 0.5 * (g.shape[1] - 1) * g.spacing_xyz_mm[1]:.6g}", f"{ztop:.6g}"]
    ds.SliceLocation = f"{ztop:.6g}"
    ds.PixelSpacing = [f"{g.spacing_xyz_mm[2]:.6g}", f"{g.spacing_xyz_mm[0]:.6g}"]
    ds.Rows, ds.Columns = stored.shape
    ds.PixelData = stored.tobytes()
    ds.save_as(out, enforce_file_format=True)
    return uid


def build(ct: sources.RealCT, root: Path, slice_mm: float = 5.0) -> Mixed:
    """Write ``ct``'s flat mixed folder ``root / "series"`` (see the module docstring)."""
    own = root / "own"
    files = sources.write_dicom(ct, own)
    slabs = sources.slabs(ct, slice_mm)
    slab_own = sources.write_dicom(slabs, root / "slabs-own")
    folder = root / "series"
    folder.mkdir(parents=True)
    first = pydicom.dcmread(files[0], stop_before_pixels=True)
    study, frame = str(first.StudyInstanceUID), str(first.FrameOfReferenceUID)
    ct_files, slab_files = [], []
    for k, p in enumerate(files):                    # odd numbers: the CT, renumbered 2
        ds = pydicom.dcmread(p)
        ds.SeriesNumber = 2
        out = folder / f"IM{2 * k + 1:05d}.dcm"
        ds.save_as(out, enforce_file_format=True)
        ct_files.append(out)
    slab_uid = generate_uid(entropy_srcs=[slabs.name, "slab-series"])
    for j, p in enumerate(slab_own):                 # 2, 6, 10 ...: the slabs, series 3 of the same study
        ds = pydicom.dcmread(p)
        ds.SeriesNumber, ds.SeriesInstanceUID = 3, slab_uid
        ds.StudyInstanceUID, ds.FrameOfReferenceUID = study, frame
        ds.SeriesDescription = f"chest {slice_mm:g} mm slabs"
        out = folder / f"IM{4 * j + 2:05d}.dcm"
        ds.save_as(out, enforce_file_format=True)
        slab_files.append(out)
    scout = folder / "IM00000.dcm"
    scout_uid = _scout(files[len(files) // 2], ct, scout, study, frame)
    return Mixed(folder, [scout], ct_files, slab_files, slabs,
                 {1: scout_uid, 2: str(first.SeriesInstanceUID), 3: slab_uid})
