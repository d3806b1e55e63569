"""A whole session as DICOM for assessors: every shot as an XA image and an X-Ray Radiation Dose SR.

The session is read, verified and replayed with rendering (nothing stored in the file is
trusted); each accepted shot becomes one XA image (:func:`trainer.core.xray.dicom_export.write_xa`)
in one series, and the attempt gets one study.  The study, series and instance UIDs derive
from the session file's SHA-256, so exporting the same session twice gives the same UIDs.
Acquisition times are the session's start plus each shot's simulated time.

The dose report follows TID 10001 (Projection X-Ray Radiation Dose) with TID 10002
(accumulated dose, TID 10004 projection totals) and one TID 10003 irradiation event per
shot (X-ray source data TID 10003A: kVp, pulses, pulse rate, duration; mechanical
configuration TID 10003B: positioner angles, source-detector and source-isocentre
distances).  Units: dose-area product in Gy.m2, dose at the reference point in Gy, as the
template requires (the session's Gy.cm2 / 1e4 and mGy / 1000).  Content items are built
with ``highdicom``'s SR content-item classes; the SOP class is the X-Ray Radiation Dose SR
(1.2.840.10008.5.1.4.1.1.88.67).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from trainer import __version__
from trainer.core.anatomy.cache import cached_patient
from trainer.core.records.attempts import file_sha256
from trainer.core.session.reader import read_session
from trainer.core.session.replay import replay
from trainer.core.xray.dicom_export import UID_ROOT, new_dataset, positioner_angles_deg, write_xa
from trainer.core.xray.display import present, to_display
from trainer.core.xray.dose import ShotDose

__all__ = ["RDSR_STORAGE", "ExportedShot", "session_uids", "export_session", "write_rdsr"]

RDSR_STORAGE = "1.2.840.10008.5.1.4.1.1.88.67"


@dataclass(frozen=True)
class ExportedShot:
    """One shot of the session as exported."""

    index: int
    view: str
    sop_uid: str
    path: Path
    acquired: datetime
    kvp: float
    pulses: int
    fluoro_s: float
    dap_gycm2: float
    entrance_kerma_mgy: float
    primary_deg: float
    secondary_deg: float
    sid_mm: float
    sod_mm: float


def _person(name: str) -> str:
    """A DICOM person name (family^given) from a trainee name."""
    name = name.strip()
    if not name:
        return ""
    return name[:63] if "^" in name else f"{name[:62]}^"


def session_uids(session_sha256: str) -> dict:
    """Study (one per attempt), image series, dose-report series and device UIDs of a session."""
    return {k: generate_uid(UID_ROOT, entropy_srcs=[session_sha256, k])
            for k in ("study", "series", "sr_series", "sr_sop", "device")}


def _start_time(header: dict) -> datetime:
    text = str(header.get("started_at") or "")
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        t = datetime(1970, 1, 1, tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).replace(tzinfo=None) if t.tzinfo else t


def export_session(session_path, out_dir, ct_root=None) -> tuple[list[ExportedShot], Path]:
    """Replay ``session_path`` and write its shots and dose report into ``out_dir`` (must exist).

    A patient-CT scenario's folder is looked up inside ``ct_root`` (default: the session
    file's folder), as ``vptrainer assess`` does.

    Returns
    -------
    (shots, rdsr_path)

    Raises
    ------
    TamperError, SessionError
        As :func:`trainer.core.session.reader.read_session` and replay do.
    """
    out = Path(out_dir)
    sha = file_sha256(session_path)
    record = read_session(session_path)
    scenario = record.scenario(ct_root=ct_root)
    patient = None
    if getattr(scenario, "ct", None) is None:
        patient = cached_patient(scenario.anatomy)
    results: list = []
    proc = replay(record, render=True, patient=patient, results=results, scenario=scenario)
    uids = session_uids(sha)
    start = _start_time(record.header)
    trainee = str(record.header.get("trainee") or "")
    geometry = proc.imager.geometry
    shots: list[ExportedShot] = []
    for res in results:
        if not res.accepted or res.image is None:
            continue
        img = res.image
        ev = next(e for e in res.events if e.kind == "shot")
        d = ev.data
        dose = ShotDose(entrance_kerma_mgy=float(d["entrance_kerma_mgy"]), dap_gycm2=float(d["dap_gycm2"]),
                        fluoro_s=float(d["fluoro_s"]), pulses=int(d["pulses"]))
        frame = proc.imager.renderer.frame(img.pose)
        kvp = proc.imager.kvp_for(img.pose)
        shown, window, level = present(img.pixels, None, pixel_mm=geometry.pixel_mm)
        grey = to_display(shown, window, level)
        acquired = start + timedelta(seconds=float(ev.t_s))
        sop = generate_uid(UID_ROOT, entropy_srcs=[sha, "sop", str(img.index)])
        path = out / f"XA_{img.index:04d}_{img.view}.dcm"
        write_xa(path, grey, frame, kvp, dose, patient_name=f"SIMULATED^{scenario.id}"[:64],
                 patient_id=scenario.id[:64], description=f"{scenario.id} session shots",
                 when=start, uids={"study": uids["study"], "series": uids["series"], "sop": sop},
                 instance_number=img.index, acquired=acquired, operator=_person(trainee),
                 study_description=f"Vertebroplasty training: {scenario.title}")
        primary, secondary = positioner_angles_deg(frame)
        shots.append(ExportedShot(img.index, img.view, sop, path, acquired, kvp, dose.pulses, dose.fluoro_s,
                                  dose.dap_gycm2, dose.entrance_kerma_mgy, primary, secondary,
                                  float(geometry.sid_mm), float(geometry.sod_mm)))
    rdsr = write_rdsr(out / "RDSR.dcm", shots, uids, start=start, scenario_id=scenario.id,
                      scenario_title=scenario.title, trainee=trainee)
    return shots, rdsr


# ---------------------------------------------------------------------- the dose report
def _code(value: str, scheme: str, meaning: str):
    from highdicom.sr import CodedConcept

    return CodedConcept(value, scheme, meaning)


def _num(name, value: float, unit):
    from highdicom.sr import NumContentItem

    return NumContentItem(name=name, value=float(value), unit=unit, relationship_type="CONTAINS")


def _container(name, items: list, relationship_type: str | None = "CONTAINS", template_id: str | None = None):
    from highdicom.sr import ContainerContentItem, ContentSequence

    box = ContainerContentItem(name=name, relationship_type=relationship_type, template_id=template_id,
                               is_content_continuous=False)
    box.ContentSequence = ContentSequence(items, is_root=False)
    return box


def _dt(value: datetime) -> str:
    return value.strftime("%Y%m%d%H%M%S.%f")


def write_rdsr(path, shots: list[ExportedShot], uids: dict, *, start: datetime, scenario_id: str,
               scenario_title: str, trainee: str = "") -> Path:
    """Write the X-Ray Radiation Dose SR (TID 10001) of ``shots`` to ``path``."""
    from highdicom.sr import CodeContentItem, DateTimeContentItem, TextContentItem, UIDRefContentItem

    c = _code
    gym2 = c("Gy.m2", "UCUM", "Gy.m2")
    gy = c("Gy", "UCUM", "Gy")
    sec = c("s", "UCUM", "s")
    single_plane = c("113622", "DCM", "Single Plane")
    acq_plane = c("113764", "DCM", "Acquisition Plane")
    end = max((s.acquired + timedelta(seconds=s.fluoro_s) for s in shots), default=start)
    items = [
        CodeContentItem(name=c("121058", "DCM", "Procedure reported"), value=c("113704", "DCM", "Projection X-Ray"),
                        relationship_type="HAS CONCEPT MOD"),
        CodeContentItem(name=c("121005", "DCM", "Observer Type"), value=c("121007", "DCM", "Device"),
                        relationship_type="HAS OBS CONTEXT"),
        UIDRefContentItem(name=c("121012", "DCM", "Device Observer UID"), value=uids["device"],
                          relationship_type="HAS OBS CONTEXT"),
        TextContentItem(name=c("121013", "DCM", "Device Observer Name"), value="vptrainer",
                        relationship_type="HAS OBS CONTEXT"),
        TextContentItem(name=c("121014", "DCM", "Device Observer Manufacturer"), value="vptrainer (simulation)",
                        relationship_type="HAS OBS CONTEXT"),
        TextContentItem(name=c("121015", "DCM", "Device Observer Model Name"), value="simulated mobile C-arm",
                        relationship_type="HAS OBS CONTEXT"),
        TextContentItem(name=c("121016", "DCM", "Device Observer Serial Number"), value="SIMULATED",
                        relationship_type="HAS OBS CONTEXT"),
        DateTimeContentItem(name=c("113809", "DCM", "Start of X-Ray Irradiation"), value=_dt(start),
                            relationship_type="CONTAINS"),
        DateTimeContentItem(name=c("113810", "DCM", "End of X-Ray Irradiation"), value=_dt(end),
                            relationship_type="CONTAINS"),
    ]
    scope = CodeContentItem(name=c("113705", "DCM", "Scope of Accumulation"), value=c("113014", "DCM", "Study"),
                            relationship_type="CONTAINS")
    from highdicom.sr import ContentSequence

    scope.ContentSequence = ContentSequence([UIDRefContentItem(name=c("110180", "DCM", "Study Instance UID"), value=uids["study"],
                                               relationship_type="HAS PROPERTIES")], is_root=False)
    items.append(scope)
    dap_total = sum(s.dap_gycm2 for s in shots) / 1e4
    rp_total = sum(s.entrance_kerma_mgy for s in shots) / 1e3
    fluoro_total = sum(s.fluoro_s for s in shots)
    rp_def = CodeContentItem(name=c("113780", "DCM", "Reference Point Definition"),
                             value=c("113860", "DCM", "15cm from Isocenter toward Source"),
                             relationship_type="CONTAINS")
    accumulated = _container(
        c("113702", "DCM", "Accumulated X-Ray Dose Data"),
        [CodeContentItem(name=acq_plane, value=single_plane, relationship_type="HAS CONCEPT MOD"),
               _num(c("113722", "DCM", "Dose Area Product Total"), dap_total, gym2),
               _num(c("113725", "DCM", "Dose (RP) Total"), rp_total, gy),
               _num(c("113726", "DCM", "Fluoro Dose Area Product Total"), dap_total, gym2),
               _num(c("113728", "DCM", "Fluoro Dose (RP) Total"), rp_total, gy),
               _num(c("113730", "DCM", "Total Fluoro Time"), fluoro_total, sec),
               _num(c("113727", "DCM", "Acquisition Dose Area Product Total"), 0.0, gym2),
               _num(c("113729", "DCM", "Acquisition Dose (RP) Total"), 0.0, gy),
               _num(c("113855", "DCM", "Total Acquisition Time"), 0.0, sec),
               _num(c("113731", "DCM", "Total Number of Radiographic Frames"), 0, c("1", "UCUM", "no units")),
               rp_def])
    items.append(accumulated)
    for s in shots:
        ev_items = [
            CodeContentItem(name=acq_plane, value=single_plane, relationship_type="HAS CONCEPT MOD"),
            UIDRefContentItem(name=c("113769", "DCM", "Irradiation Event UID"),
                              value=generate_uid(UID_ROOT, entropy_srcs=[s.sop_uid, "event"]), relationship_type="CONTAINS"),
            DateTimeContentItem(name=c("111526", "DCM", "DateTime Started"), value=_dt(s.acquired),
                                relationship_type="CONTAINS"),
            CodeContentItem(name=c("113721", "DCM", "Irradiation Event Type"), value=c("44491008", "SCT", "Fluoroscopy"),
                            relationship_type="CONTAINS"),
            TextContentItem(name=c("125203", "DCM", "Acquisition Protocol"), value=f"shot {s.index} {s.view.upper()}",
                            relationship_type="CONTAINS"),
            _num(c("112011", "DCM", "Positioner Primary Angle"), s.primary_deg, c("deg", "UCUM", "deg")),
            _num(c("112012", "DCM", "Positioner Secondary Angle"), s.secondary_deg, c("deg", "UCUM", "deg")),
            _num(c("122130", "DCM", "Dose Area Product"), s.dap_gycm2 / 1e4, gym2),
            _num(c("113738", "DCM", "Dose (RP)"), s.entrance_kerma_mgy / 1e3, gy),
            CodeContentItem(name=c("113780", "DCM", "Reference Point Definition"),
                            value=c("113860", "DCM", "15cm from Isocenter toward Source"), relationship_type="CONTAINS"),
            _num(c("113793", "DCM", "Pulse Rate"), s.pulses / s.fluoro_s if s.fluoro_s else 0.0,
                 c("{pulse}/s", "UCUM", "pulse/s")),
            _num(c("113768", "DCM", "Number of Pulses"), s.pulses, c("{pulses}", "UCUM", "pulses")),
            _num(c("113742", "DCM", "Irradiation Duration"), s.fluoro_s, sec),
            _num(c("113733", "DCM", "KVP"), s.kvp, c("kV", "UCUM", "kV")),
            _num(c("113750", "DCM", "Distance Source to Detector"), s.sid_mm, c("mm", "UCUM", "mm")),
            _num(c("113748", "DCM", "Distance Source to Isocenter"), s.sod_mm, c("mm", "UCUM", "mm")),
        ]
        items.append(_container(c("113706", "DCM", "Irradiation Event X-Ray Data"), ev_items))

    ds = new_dataset(RDSR_STORAGE, uids["sr_sop"])
    date, time = start.strftime("%Y%m%d"), start.strftime("%H%M%S")
    ds.PatientName = f"SIMULATED^{scenario_id}"[:64]
    ds.PatientID = scenario_id[:64]
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = uids["study"]
    ds.StudyDate, ds.StudyTime = date, time
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.StudyDescription = f"Vertebroplasty training: {scenario_title}"[:64]
    ds.Modality = "SR"
    ds.SeriesInstanceUID = uids["sr_series"]
    ds.SeriesNumber = 2
    ds.SeriesDescription = "Radiation dose report"
    ds.ReferencedPerformedProcedureStepSequence = Sequence()
    ds.Manufacturer = "vptrainer (simulation)"
    ds.ManufacturerModelName = "simulated mobile C-arm"
    ds.DeviceSerialNumber = "SIMULATED"
    ds.SoftwareVersions = __version__
    ds.InstanceNumber = 1
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.ContentDate, ds.ContentTime = end.strftime("%Y%m%d"), end.strftime("%H%M%S")
    ds.PerformedProcedureCodeSequence = Sequence()
    ref_series = Dataset()
    ref_series.SeriesInstanceUID = uids["series"]
    ref_series.ReferencedSOPSequence = Sequence()
    for s in shots:
        r = Dataset()
        r.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.12.1"
        r.ReferencedSOPInstanceUID = s.sop_uid
        ref_series.ReferencedSOPSequence.append(r)
    if shots:
        ev = Dataset()
        ev.StudyInstanceUID = uids["study"]
        ev.ReferencedSeriesSequence = Sequence([ref_series])
        ds.CurrentRequestedProcedureEvidenceSequence = Sequence([ev])
    root = _container(c("113701", "DCM", "X-Ray Radiation Dose Report"), items, None, "10001")
    for kw in ("ValueType", "ConceptNameCodeSequence", "ContinuityOfContent", "ContentTemplateSequence",
               "ContentSequence"):
        if kw in root:
            setattr(ds, kw, getattr(root, kw))
    p = Path(path)
    ds.save_as(p, enforce_file_format=True)
    return p
