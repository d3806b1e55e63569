"""``vptrainer export-dicom``: every file passes dciodvfy; pixels, geometry and dose read back;
the RDSR totals equal the session's dose as ``assess`` computes it; nothing is overwritten."""

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pydicom
import pytest

from trainer.cli import main

ROOT = Path(__file__).resolve().parents[2]


def dciodvfy_errors(path):
    exe = shutil.which("dciodvfy")
    assert exe, "dciodvfy (dicom3tools) must be installed; tools/setup.sh --test installs it"
    r = subprocess.run([exe, str(path)], capture_output=True, text=True, check=False)
    return [ln for ln in (r.stdout + r.stderr).splitlines() if ln.startswith("Error")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dicom")
    session = tmp / "expert.jsonl"
    assert main(["play", "--actions", str(ROOT / "tests/data/expert_l1_left.jsonl"), "--out", str(session),
                 "--pixels", "64", "--trainee", "fay"]) == 0
    out = tmp / "dicom"
    assert main(["export-dicom", str(session), "--out", str(out)]) == 0
    return session, out


def _walk(items):
    for it in items:
        yield it
        yield from _walk(getattr(it, "ContentSequence", []))


def _num(item):
    return float(item.MeasuredValueSequence[0].NumericValue)


def test_every_file_passes_dciodvfy(exported):
    _session, out = exported
    files = sorted(out.glob("*.dcm"))
    assert len(files) == 20                       # 19 shots + the dose report
    for f in files:
        assert dciodvfy_errors(f) == [], f.name


def test_images_read_back_with_geometry_and_one_study_and_series(exported, capsys):
    session, out = exported
    lines = [json.loads(ln) for ln in session.read_text().splitlines()]
    header, entries = lines[0], lines[1:]
    shots = [e for e in entries if e["action"]["type"] == "shot" and e["accepted"]]
    start = datetime.fromisoformat(header["started_at"]).replace(tzinfo=None)
    images = [pydicom.dcmread(f) for f in sorted(out.glob("XA_*.dcm"))]
    assert len(images) == len(shots) == 19
    assert len({ds.StudyInstanceUID for ds in images}) == 1 and len({ds.SeriesInstanceUID for ds in images}) == 1
    for ds, e in zip(images, shots):
        px = ds.pixel_array
        assert px.shape == (64, 64) and px.dtype == np.uint8 and px.std() > 5      # a real image, not blank
        view = e["summary"]["view"]
        primary = float(ds.PositionerPrimaryAngle)
        # prone patient: AP = detector posterior (180), lateral = detector on the patient's left (+90)
        assert abs(primary - (180.0 if view == "ap" else 90.0)) < 15.0, (view, primary)
        assert float(ds.DistanceSourceToDetector) == 1020 and float(ds.DistanceSourceToPatient) == 530
        assert float(ds.ImageAndFluoroscopyAreaDoseProduct) == pytest.approx(e["summary"]["dap_gycm2"] * 10, rel=1e-4)
        assert float(ds.EntranceDoseInmGy) == pytest.approx(e["summary"]["entrance_kerma_mgy"], rel=1e-4)
        acquired = datetime.strptime(ds.AcquisitionDateTime, "%Y%m%d%H%M%S.%f")
        assert acquired == pytest.approx(start + timedelta(seconds=e["summary"]["t_end_s"]), abs=timedelta(milliseconds=1))
        assert ds.OperatorsName == "fay^"
    assert float(images[0].KVP) > 0


def test_rdsr_totals_equal_the_assessed_dose(exported, capsys):
    session, out = exported
    capsys.readouterr()
    assert main(["assess", str(session), "--json"]) == 0
    rad = json.loads(capsys.readouterr().out)["radiation"]
    sr = pydicom.dcmread(out / "RDSR.dcm")
    assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.67"
    assert sr.ContentTemplateSequence[0].TemplateIdentifier == "10001"
    items = list(_walk(sr.ContentSequence))
    by = {}
    for it in items:
        by.setdefault(it.ConceptNameCodeSequence[0].CodeValue, []).append(it)
    assert _num(by["113722"][0]) * 1e4 == pytest.approx(rad["dap_gycm2"], abs=2e-6)          # Gy.m2 -> Gy.cm2
    assert _num(by["113725"][0]) * 1e3 == pytest.approx(rad["entrance_kerma_mgy"], abs=2e-6)  # Gy -> mGy
    assert _num(by["113730"][0]) == pytest.approx(rad["fluoro_s"], abs=1e-4)
    events = by["113706"]
    assert len(events) == rad["shots"] == 19
    # dciodvfy checks the IOD, not the template: the mandatory rows of TID 10001/10002/10003 by code
    top = {it.ConceptNameCodeSequence[0].CodeValue for it in sr.ContentSequence}
    assert {"121058", "121005", "121012", "113809", "113810", "113705", "113702"} <= top
    for ev in events:
        rows = {it.ConceptNameCodeSequence[0].CodeValue for it in ev.ContentSequence}
        assert {"113764", "113769", "111526", "113721", "122130", "113738", "113733"} <= rows
    assert sum(_num(x) for x in by["122130"]) * 1e4 == pytest.approx(rad["dap_gycm2"], abs=2e-6)
    assert sum(_num(x) for x in by["113768"]) == rad["pulses"]
    study = pydicom.dcmread(next(out.glob("XA_*.dcm"))).StudyInstanceUID
    assert sr.StudyInstanceUID == study
    refs = sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence
    assert len(refs) == 19


def test_refuses_to_overwrite_and_the_same_session_gives_the_same_uids(exported, tmp_path):
    session, out = exported
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    r = subprocess.run([sys.executable, "-m", "trainer.cli",
                        "export-dicom", str(session), "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "use --force" in r.stderr
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before
    assert main(["export-dicom", str(session), "--out", str(out), "--force"]) == 0
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before        # deterministic: same bytes
