"""Hypothesis fuzzing of the four readers of untrusted input (issue 18): the scenario parser,
the session reader, the action interpreter and the DICOM reader.  Whatever the mutation, each
either succeeds or raises vptrainer's own error (one line, naming the input); it never raises
anything else.  Finds are pinned as regression cases in the hostile-input tables
(test_hostile_*.py) and listed in docs/bad-input.md."""

import math
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer import SCENARIOS_DIR
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import ActionRefused, DicomError, ScenarioError, SessionError, VPTrainerError
from trainer.core.procedure.actions import ACTION_FIELDS, validate
from trainer.core.scenario.loader import parse_scenario
from trainer.core.session.reader import read_session

BASE = (SCENARIOS_DIR / "l1-wedge-default.toml").read_text(encoding="utf-8")
HOSTILE_TOKENS = ["nan", "inf", "-inf", "1e400", "9" * 5000, "[[[[[[", "{a={b={c=", '"', "\\", "\x00", "=",
                  "[patient.labs]", "true", "-0", "0x10", "1979-05-27", "\ud7ff", "'''", "#", "\n"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


def _one_line(exc):
    assert "Traceback" not in str(exc)


@st.composite
def mutated(draw, text: str):
    """``text`` with 1-4 random edits: delete a span, insert a hostile token, or replace a number."""
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "number"]))
        i = draw(st.integers(0, len(text)))
        if kind == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 40)):]
        elif kind == "insert":
            text = text[:i] + draw(st.sampled_from(HOSTILE_TOKENS)) + text[i:]
        else:
            import re

            nums = list(re.finditer(r"(?<=\= )-?\d+(\.\d+)?", text))
            if nums:
                m = draw(st.sampled_from(nums))
                text = text[:m.start()] + draw(st.sampled_from(["nan", "inf", "-1e308", "1e400", "9" * 400,
                                                                 "\"x\"", "[]", "{}", "-0.0"])) + text[m.end():]
    return text


@SETTINGS
@given(mutated(BASE))
def test_fuzz_scenario_parser(text):
    try:
        s = parse_scenario(text, Path("fuzz.toml"))
    except ScenarioError as exc:
        assert all(p.startswith("fuzz.toml") for p in exc.problems), exc.problems
        return
    # accepted: every number that reached the scenario is finite
    for v in (s.carm.kvp_ap, s.carm.kvp_lateral, s.carm.patient_roll_deg, s.anatomy.trabecular_hu):
        assert math.isfinite(v)
    assert all(math.isfinite(v) for v in s.cement_overrides.values())


# ------------------------------------------------------------------ session reader
@pytest.fixture(scope="module")
def session_bytes(tmp_path_factory):
    from trainer.cli import main

    d = tmp_path_factory.mktemp("fz")
    (d / "a.jsonl").write_text('{"type": "carm", "preset": "ap"}\n{"type": "wait", "s": 2}\n{"type": "mix"}\n')
    assert main(["play", "--actions", str(d / "a.jsonl"), "--out", str(d / "s.jsonl"), "--pixels", "64"]) == 0
    return (d / "s.jsonl").read_bytes()


@SETTINGS
@given(data=st.data())
def test_fuzz_session_reader(session_bytes, tmp_path_factory, data):
    raw = bytearray(session_bytes)
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert", "dup_line"]))
        i = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[i] ^= data.draw(st.integers(1, 255))
        elif op == "cut":
            del raw[i:]
            if not raw:
                break
        elif op == "insert":
            raw[i:i] = data.draw(st.sampled_from([b"NaN", b"1e400", b"9" * 5000, b"[" * 2000, b'"a":1,', b"\n",
                                                  b"\xff\xfe", b"\x00", b"{", b'"seed":-1,']))
        else:
            lines = bytes(raw).split(b"\n")
            k = data.draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            raw = bytearray(b"\n".join(lines))
    p = tmp_path_factory.mktemp("m") / "s.jsonl"
    p.write_bytes(bytes(raw))
    try:
        rec = read_session(p)
    except (SessionError, DicomError, ScenarioError) as exc:    # TamperError is a SessionError
        assert str(p) in str(exc)
        return
    # accepted: an unchanged prefix of the original (a cut at a line end, or a cut-off last line)
    assert session_bytes.startswith(bytes(raw[: rec.good_bytes]))


# ------------------------------------------------------------------ action interpreter
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c,
                                                                                            max_size=4), max_leaves=12)
FIELD_NAMES = sorted({f for req, opt in ACTION_FIELDS.values() for f in (*req, *opt)})


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([*ACTION_FIELDS, "bogus", ""]),
       st.dictionaries(st.sampled_from(FIELD_NAMES + ["x"]), json_values, max_size=4))
def test_fuzz_action_interpreter(kind, fields):
    action = {"type": kind, **fields}
    try:
        a = validate(action)
    except ActionRefused as exc:
        assert len(str(exc)) < 600
        return
    for v in a.values():                          # accepted: numbers are finite
        for x in (v if isinstance(v, tuple) else (v,)):
            if isinstance(x, float):
                assert math.isfinite(x)


# ------------------------------------------------------------------ DICOM reader
@pytest.fixture(scope="module")
def dicom_series(tmp_path_factory):
    d = tmp_path_factory.mktemp("dcm") / "ct"
    hu = np.zeros((4, 8, 8), np.int16)
    write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((4, 8, 8), (1.0, 1.0, 2.0), (0, 0, 0))),
                    d)
    return d


HEADER_KEYS = ["Rows", "Columns", "PixelSpacing", "ImagePositionPatient", "ImageOrientationPatient", "BitsAllocated",
               "BitsStored", "RescaleSlope", "RescaleIntercept", "SamplesPerPixel", "PixelRepresentation",
               "SliceThickness", "NumberOfFrames", "Modality", "SeriesInstanceUID"]
dicom_values = st.one_of(st.integers(-70000, 70000), st.floats(allow_nan=False, allow_infinity=False, width=32),
                         st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=7), st.sampled_from(["", "CT", "1.2.3"]))


@SETTINGS
@given(data=st.data())
def test_fuzz_dicom_reader(dicom_series, tmp_path_factory, data):
    d = tmp_path_factory.mktemp("dz") / "ct"
    shutil.copytree(dicom_series, d)
    files = sorted(d.iterdir())
    for _ in range(data.draw(st.integers(1, 3))):
        p = data.draw(st.sampled_from(files))
        op = data.draw(st.sampled_from(["header", "truncate_pixels", "truncate_file", "flip"]))
        if op in ("header", "truncate_pixels"):
            try:
                ds = pydicom.dcmread(p)       # an earlier byte-level edit may have made it unreadable
            except Exception:  # noqa: BLE001
                continue
            if op == "header":
                key, value = data.draw(st.sampled_from(HEADER_KEYS)), data.draw(dicom_values)
                try:
                    setattr(ds, key, value)
                    ds.save_as(p)
                except Exception:  # noqa: BLE001 (pydicom refuses to write some values: the file is unchanged)
                    continue
            elif ds.get("PixelData"):
                ds.PixelData = ds.PixelData[: data.draw(st.integers(0, len(ds.PixelData)))]
                try:
                    ds.save_as(p)
                except Exception:  # noqa: BLE001 (an earlier byte flip left a header pydicom will not write, e.g.
                    continue       # a transfer syntax UID 1.2.840.10008.0.2.1: the file stays as the flip left it)
        else:
            raw = bytearray(p.read_bytes())
            if not raw:
                continue
            i = data.draw(st.integers(0, len(raw) - 1))
            if op == "truncate_file":
                del raw[i:]
            else:
                raw[i] ^= data.draw(st.integers(1, 255))
            p.write_bytes(bytes(raw))
    try:
        vol = read_ct_series(d)
    except DicomError as exc:
        assert "\n" not in str(exc)
        return
    except VPTrainerError as exc:            # any other deliberate error is acceptable too
        assert "\n" not in str(exc)
        return
    assert vol.hu.dtype == np.int16 and all(math.isfinite(v) and v > 0 for v in vol.grid.spacing_xyz_mm)
    assert all(math.isfinite(v) for v in vol.grid.origin_mm)


def test_a_damaged_vr_in_the_file_meta_is_one_line(dicom_series, tmp_path):
    """The case hypothesis found in round 37's CI: one byte of a slice's file meta information flipped so that
    MediaStorageSOPClassUID's VR reads "TI" (no such VR): pydicom raised its unknown-VR error when the reader asked
    for the element, a traceback.  Oracle: the file's bytes, the VR found and changed by hand."""
    d = tmp_path / "ct"
    shutil.copytree(dicom_series, d)
    p = sorted(d.iterdir())[0]
    raw = bytearray(p.read_bytes())
    at = raw.index(b"\x02\x00\x02\x00UI")          # (0002,0002) MediaStorageSOPClassUID, explicit VR little endian
    raw[at + 4] = ord("T")
    p.write_bytes(bytes(raw))
    with pytest.raises(DicomError) as err:
        read_ct_series(d)
    assert "\n" not in str(err.value) and p.name in str(err.value)
