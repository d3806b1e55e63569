"""Write one fluoroscopy frame as a DICOM X-Ray Angiographic (XA) Image.

The file carries the C-arm geometry (positioner primary/secondary angles, source-to-
detector and source-to-patient distances, magnification, pixel spacing), the beam (kVp)
and the dose of the shot (entrance dose and area dose product), and validates with
``dciodvfy``.  UIDs derive from the content, so the same image gives the same file.

Angles follow DICOM PS3.3 C.8.7.5: the primary angle is the detector's position about the
patient's long axis, 0 = towards the patient's chest (anterior), +90 = patient left (LAO);
the secondary angle is positive towards the head (CRA).  Our prone AP (detector above the
patient's back) is therefore primary 180.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from trainer import __version__
from trainer.core.xray.dose import ShotDose
from trainer.core.xray.geometry import Frame

__all__ = ["XA_IMAGE_STORAGE", "positioner_angles_deg", "orientation_letters", "write_xa"]

XA_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.12.1"
UID_ROOT = "1.2.826.0.1.3680043.10.1491."      # UID prefix used for vptrainer output


def new_dataset(sop_class_uid: str, sop_instance_uid: str) -> Dataset:
    """An empty vptrainer DICOM object: file meta (explicit VR little endian, our
    implementation UID and version), character set, SOP class and instance.

    Parameters
    ----------
    sop_class_uid : str
        The SOP class (e.g. X-Ray Angiographic Image Storage, X-Ray Radiation Dose SR).
    sop_instance_uid : str
        This object's instance UID (also the file meta's media storage instance UID).
    """
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID(UID_ROOT + "1")
    meta.ImplementationVersionName = f"VPTRAINER{__version__}"[:16]
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    return ds


def positioner_angles_deg(frame: Frame) -> tuple[float, float]:
    """(primary, secondary) positioner angles (deg) of the detector for ``frame`` (PS3.3 C.8.7.5)."""
    b = frame.beam
    primary = float(np.degrees(np.arctan2(b[0], -b[1])))
    secondary = float(np.degrees(np.arcsin(np.clip(b[2], -1, 1))))
    return round(primary, 2), round(secondary, 2)


def orientation_letters(vec) -> str:
    """DICOM patient-orientation letters of an LPS direction (most significant first)."""
    names = (("L", "R"), ("P", "A"), ("H", "F"))
    v = np.asarray(vec, float)
    order = np.argsort(-np.abs(v))
    out = ""
    for i in order:
        if abs(v[i]) > 1e-3 and (not out or abs(v[i]) > 0.1):
            out += names[i][0] if v[i] > 0 else names[i][1]
    return out[:3] or "A"


def _ds(v: float) -> str:
    """A decimal string of at most 16 characters."""
    s = f"{v:.6g}"
    return s if len(s) <= 16 else f"{v:.4e}"


def write_xa(path, display_u8: np.ndarray, frame: Frame, kvp: float, dose: ShotDose, *,
             patient_name: str = "VPTRAINER^SYNTHETIC", patient_id: str = "VPT0001",
             description: str = "vptrainer fluoroscopy", when: datetime | None = None,
             window: tuple[float, float] | None = None, uids: dict | None = None, instance_number: int = 1,
             acquired: datetime | None = None, operator: str = "", study_description: str | None = None,
             study_id: str = "1") -> Path:
    """Write ``display_u8`` (uint8 (N, N), fluoroscopy grey levels) as a DICOM XA image.

    Parameters
    ----------
    path : path-like
        Output ``.dcm`` file.
    display_u8 : ndarray uint8 (N, N)
        Display-ready grey levels (dense = dark); stored as MONOCHROME2, pixel intensity
        relationship DISP.
    frame : Frame
        The C-arm frame of the shot (geometry and pose).
    kvp : float
    dose : ShotDose
    when : datetime, optional
        Study/content date and time; empty (type 2) when not given, so core stays free of
        the wall clock.
    uids : dict, optional
        ``study``, ``series`` and ``sop`` instance UIDs (a session export shares the study
        and series between its shots); derived from the content when not given.
    instance_number : int
        Position of the image in its series.
    acquired : datetime, optional
        Acquisition date and time of the shot (simulated time after the session start).
    operator : str
        Operator's name (the trainee), DICOM person name.
    """
    img = np.ascontiguousarray(display_u8, np.uint8)
    g = frame.geometry
    digest = hashlib.sha256(img.tobytes() + repr((frame.matrix.round(6).tolist(), kvp, dose)).encode()).hexdigest()
    uids = uids or {}
    study_uid = uids.get("study") or generate_uid(UID_ROOT, entropy_srcs=[digest, "study"])
    series_uid = uids.get("series") or generate_uid(UID_ROOT, entropy_srcs=[digest, "series"])
    sop_uid = uids.get("sop") or generate_uid(UID_ROOT, entropy_srcs=[digest, "sop"])

    ds = new_dataset(XA_IMAGE_STORAGE, sop_uid)
    date = when.strftime("%Y%m%d") if when else ""
    time = when.strftime("%H%M%S") if when else ""
    # Patient, study, series, equipment
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = date
    ds.StudyTime = time
    ds.ReferringPhysicianName = ""
    ds.StudyID = study_id
    ds.AccessionNumber = ""
    ds.StudyDescription = (study_description or "Vertebroplasty training (simulated)")[:64]
    ds.Modality = "XA"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = 1
    ds.SeriesDescription = description[:64]
    ds.BodyPartExamined = "SPINE"
    ds.Manufacturer = "vptrainer (simulation)"
    ds.ManufacturerModelName = "simulated mobile C-arm"
    ds.SoftwareVersions = __version__
    # General image
    if operator:
        ds.OperatorsName = operator
    ds.InstanceNumber = int(instance_number)
    if acquired is not None:
        ds.AcquisitionDateTime = acquired.strftime("%Y%m%d%H%M%S.%f")
        ds.AcquisitionDate = acquired.strftime("%Y%m%d")
        ds.AcquisitionTime = acquired.strftime("%H%M%S.%f")
    ds.PatientOrientation = [orientation_letters(frame.u), orientation_letters(frame.v)]
    ds.ContentDate = date
    ds.ContentTime = time
    ds.ImageType = ["DERIVED", "PRIMARY", "SINGLE PLANE"]
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.ImageComments = "Simulated image - not for diagnosis"
    # Image pixel / X-ray image
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = img.shape
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelIntensityRelationship = "DISP"
    ds.PixelData = img.tobytes()
    if window is not None:
        ds.WindowCenter = _ds(window[1])
        ds.WindowWidth = _ds(window[0])
    # X-ray acquisition
    ds.KVP = _ds(kvp)
    ds.RadiationSetting = "SC"
    ds.ExposureTime = int(round(dose.fluoro_s * 1000))
    ds.XRayTubeCurrent = ""
    ds.Exposure = ""
    ds.ImagerPixelSpacing = [_ds(g.pixel_mm), _ds(g.pixel_mm)]
    ds.FieldOfViewShape = "RECTANGLE"
    ds.FieldOfViewDimensions = [int(round(g.detector_mm)), int(round(g.detector_mm))]
    ds.ImageAndFluoroscopyAreaDoseProduct = _ds(dose.dap_gycm2 * 10.0)   # dGy.cm2
    ds.EntranceDoseInmGy = _ds(dose.entrance_kerma_mgy)
    # XA positioner
    primary, secondary = positioner_angles_deg(frame)
    ds.DistanceSourceToDetector = _ds(g.sid_mm)
    ds.DistanceSourceToPatient = _ds(g.sod_mm)
    ds.EstimatedRadiographicMagnificationFactor = _ds(g.sid_mm / g.sod_mm)
    ds.PositionerPrimaryAngle = _ds(primary)
    ds.PositionerSecondaryAngle = _ds(secondary)
    p = Path(path)
    ds.save_as(p, enforce_file_format=True)
    return p
