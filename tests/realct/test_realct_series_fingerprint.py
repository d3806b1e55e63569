"""A session records the CT series it was played on; assess refuses a changed series (issue 12, round 9, C).

Round 8: after deleting 2 end slices from the CT folder, ``assess`` replayed the session on the
changed volume and printed the same score.  Oracles: the slices this test deletes or edits by hand
(the file count 112 -> 110, the first and last file names, one pixel changed), and the hash chain
re-computed by hand (docs/session-format.md) for a session written before the fingerprint existed.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pydicom
import pytest
import realct_sources as sources
from realct_cases import scenario_at_reference

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.procedure.expert_plan import expert_actions
from trainer.core.session.log import GENESIS, encode_line

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def played(totalseg_ct, tmp_path_factory):
    """(root, session, series folder, the series' files in slice order): the expert plan at the abdominal
    L3, played with ``vptrainer play`` into root (where assess looks for the series)."""
    root = tmp_path_factory.mktemp("fingerprint")
    sources.write_dicom(totalseg_ct, root / "series")
    vol = read_ct_series(root / "series")
    bone_hu = sources.column(totalseg_ct).thresholds.bone_hu
    sc, patient, _ = scenario_at_reference(totalseg_ct, vol, root, "L3", bone_hu)
    toml = root / "L3.toml"
    acts = root / "expert.jsonl"
    acts.write_text("".join(json.dumps(a) + "\n" for a in expert_actions(sc, patient, "left")),
                    encoding="utf-8")
    session = root / "session.jsonl"
    assert main(["play", str(toml), "--actions", str(acts), "--out", str(session)]) == 0
    files = sorted((root / "series").iterdir(), key=lambda p: float(pydicom.dcmread(p).ImagePositionPatient[2]))
    return root, session, root / "series", files


def _assess(session, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["assess", str(session), "--json"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_session_header_holds_the_series_fingerprint(played, capsys):
    _, session, _, files = played
    header = json.loads(session.read_text(encoding="utf-8").splitlines()[0])
    ct = header["ct_series"]
    assert ct["files"] == len(files) == 112
    assert {ct["first_file"], ct["last_file"]} == {files[0].name, files[-1].name}
    code, out, err = _assess(session, capsys)
    assert code == 0, err
    assert json.loads(out)["session"]["ct_series_checked"] is True


def test_assess_refuses_the_series_with_two_end_slices_deleted(played, capsys, tmp_path):
    root, session, series, files = played
    keep = tmp_path / "kept"
    keep.mkdir()
    for f in (files[0], files[-1]):
        shutil.move(str(f), keep / f.name)
    try:
        code, out, err = _assess(session, capsys)
    finally:
        for f in keep.iterdir():
            shutil.move(str(f), series / f.name)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(session) in lines[0] and "files 110 (recorded 112)" in lines[0]
    assert files[0].name in lines[0] or files[-1].name in lines[0]


def test_assess_refuses_a_series_with_one_pixel_changed(played, capsys, tmp_path):
    _, session, _, files = played
    f = files[len(files) // 2]
    backup = tmp_path / f.name
    shutil.copy2(f, backup)
    ds = pydicom.dcmread(f)
    px = ds.pixel_array.copy()
    px[0, 0] = px[0, 0] + 1                      # one HU in a corner of one slice
    ds.PixelData = px.astype(px.dtype).tobytes()
    ds.save_as(f)
    try:
        code, _, err = _assess(session, capsys)
    finally:
        shutil.copy2(backup, f)
    assert code == 2
    assert "SHA-256" in err and "differs from the one the session was recorded on" in err
    assert len(err.strip().splitlines()) == 1


def test_a_session_recorded_before_the_fingerprint_still_assesses_and_says_so(played, capsys):
    root, session, _, _ = played
    lines = [json.loads(t) for t in session.read_text(encoding="utf-8").splitlines()]
    header = {k: v for k, v in lines[0].items() if k not in ("ct_series", "prev", "hash")}
    prev, out = GENESIS, []
    for line in [header] + [{k: v for k, v in e.items() if k not in ("prev", "hash")} for e in lines[1:]]:
        text, prev = encode_line(prev, line, version=header["version"])
        out.append(text)
    old = root / "old-session.jsonl"
    old.write_text("\n".join(out) + "\n", encoding="utf-8")
    code, report, err = _assess(old, capsys)
    assert code == 0, err
    assert "without a CT series fingerprint" in err and "unchecked" in err
    assert json.loads(report)["session"]["ct_series_checked"] is False
    assert np.isclose(json.loads(report)["score"], json.loads(_assess(session, capsys)[1])["score"])
