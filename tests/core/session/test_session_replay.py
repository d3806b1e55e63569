"""Recorded sessions: header, hash chain, flushing, exact replay, tampering, crash recovery, resume."""

import json

import numpy as np
import pytest

from trainer.core.errors import SessionError, TamperError
from trainer.core.procedure.expert_plan import expert_actions
from trainer.core.session.live import LiveSession
from trainer.core.session.log import (
    FORMAT,
    GENESIS,
    VERSION,
    canonical_json,
    encode_line,
)
from trainer.core.session.reader import read_session
from trainer.core.session.replay import replay

PIXELS = 128
EXTRA = [{"type": "inject", "ml": 0.5}, {"type": "teleport"}, {"type": "advance", "mm": 500}]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, scenario, patient):
    """A live expert session (with a few refused actions) and what it produced."""
    path = tmp_path_factory.mktemp("s") / "expert.jsonl"
    acts = expert_actions(scenario, patient, "left", 2.0)
    acts = acts[:3] + EXTRA + acts[3:]
    images, results = [], []
    with LiveSession(scenario, path, seed=11, trainee="tester", patient=patient, pixels=PIXELS,
                     started_at="2026-01-01T00:00:00+00:00") as live:
        for a in acts:
            r = live.apply(a)
            results.append(r)
            if r.image is not None:
                images.append(r.image.sha256)
        proc = live.procedure
    return {"path": path, "acts": acts, "proc": proc, "images": images, "results": results,
            "snapshot": proc.snapshot(), "events": [e.to_json() for e in proc.events]}


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def _write(path, lines):
    """Write lines as they are; chained ones (from _rechain) keep their exact encoded bytes."""
    path.write_text("".join((x.pop("_text", None) or canonical_json(x)) + "\n" for x in lines))


def _rechain(lines):
    """Re-chain edited lines as a forger would (the format's own encoder)."""
    prev = GENESIS
    version = lines[0].get("version", VERSION)
    for ln in lines:
        text, h = encode_line(prev, ln, version)
        ln["prev"], ln["hash"], ln["_text"] = prev, h, text
        prev = h
    return lines


def test_header_and_lines_follow_the_format(recorded, scenario):
    lines = _lines(recorded["path"])
    h = lines[0]
    assert h["format"] == FORMAT and h["version"] == VERSION and h["kind"] == "header"
    assert h["scenario_toml"] == scenario.text and h["scenario_sha256"] == scenario.sha256
    assert h["seed"] == 11 and h["trainee"] == "tester" and h["app_version"]
    assert h["started_at"] == "2026-01-01T00:00:00+00:00" and h["options"] == {"pixels": PIXELS}
    assert len(lines) == 1 + len(recorded["acts"])
    for i, (ln, a) in enumerate(zip(lines[1:], recorded["acts"]), 1):
        assert ln["seq"] == i and ln["action"] == a
        assert isinstance(ln["t_s"], float) and ln["accepted"] in (True, False)
    refused = [ln for ln in lines[1:] if not ln["accepted"]]
    assert [r["action"] for r in refused] == EXTRA
    assert all(r["reason"] for r in refused)
    shots = [ln["summary"] for ln in lines[1:] if ln["action"]["type"] == "shot"]
    assert all(s["dap_gycm2"] > 0 and len(s["image_sha256"]) == 64 for s in shots)
    places = [ln["summary"] for ln in lines[1:] if ln["action"]["type"] == "place"]
    assert places[0]["tissue"] == "skin" and len(places[0]["tip_mm"]) == 3
    ts = [ln["t_s"] for ln in lines[1:]]
    assert ts == sorted(ts)


def test_replay_reproduces_state_images_and_events_exactly(recorded, patient):
    rec = read_session(recorded["path"])
    assert rec.complete and not rec.truncated
    results = []
    proc = replay(rec, patient=patient, results=results)
    assert proc.snapshot() == recorded["snapshot"]
    assert [e.to_json() for e in proc.events] == recorded["events"]
    assert [r.image.sha256 for r in results if r.image is not None] == recorded["images"]
    assert len(recorded["images"]) == recorded["snapshot"]["dose"]["shots"] > 10
    live_last = recorded["proc"].last_images
    for view, img in proc.last_images.items():
        assert np.array_equal(img.pixels, live_last[view].pixels)


def test_replay_without_rendering_gives_the_same_dose_and_events(recorded, patient):
    proc = replay(read_session(recorded["path"]), render=False, patient=patient)
    snap = proc.snapshot()
    assert snap["dose"] == recorded["snapshot"]["dose"]
    assert snap["trocar"] == recorded["snapshot"]["trocar"] and snap["cement"] == recorded["snapshot"]["cement"]
    def strip(evs):
        return [{k: v for k, v in e.items() if k != "image_sha256"} for e in evs]

    assert strip([e.to_json() for e in proc.events]) == strip(recorded["events"])


def test_each_line_is_on_disk_as_soon_as_the_action_is_applied(tmp_path, scenario, patient):
    path = tmp_path / "s.jsonl"
    live = LiveSession(scenario, path, patient=patient, pixels=64)
    assert len(path.read_text().splitlines()) == 1
    live.apply({"type": "wait", "s": 5})
    live.apply({"type": "bogus"})
    rec = read_session(path)                     # file still open: lines were flushed
    assert [e["accepted"] for e in rec.entries] == [True, False] and not rec.complete
    live.close()
    with pytest.raises(SessionError, match="already exists"):
        LiveSession(scenario, path, patient=patient, pixels=64)


def test_an_edited_line_breaks_the_chain_and_names_the_line(recorded, tmp_path):
    raw = recorded["path"].read_text().splitlines()
    obj = json.loads(raw[5])
    obj["summary"]["t_end_s"] = 0.0
    raw[5] = canonical_json(obj)
    bad = tmp_path / "edited.jsonl"
    bad.write_text("\n".join(raw) + "\n")
    with pytest.raises(TamperError, match=r"edited\.jsonl:6: hash chain broken"):
        read_session(bad)


def test_the_chain_covers_the_exact_bytes_of_each_line(recorded, tmp_path):
    """Re-ordering the keys of one line (the same JSON object) breaks the version 2 chain at that line."""
    raw = recorded["path"].read_text().splitlines()
    obj = json.loads(raw[3])
    raw[3] = json.dumps(dict(reversed(list(obj.items()))), separators=(",", ":"), ensure_ascii=False)
    assert json.loads(raw[3]) == obj
    bad = tmp_path / "reordered.jsonl"
    bad.write_text("\n".join(raw) + "\n")
    with pytest.raises(TamperError, match=r"reordered\.jsonl:4: hash chain broken"):
        read_session(bad)


def test_a_removed_line_breaks_the_chain(recorded, tmp_path):
    raw = recorded["path"].read_text().splitlines()
    del raw[4]
    bad = tmp_path / "removed.jsonl"
    bad.write_text("\n".join(raw) + "\n")
    with pytest.raises(TamperError, match=r":5: hash chain broken"):
        read_session(bad)


def test_a_swapped_scenario_is_detected_even_with_a_recomputed_chain(recorded, tmp_path):
    lines = _lines(recorded["path"])
    lines[0]["scenario_toml"] = lines[0]["scenario_toml"].replace("trabecular_hu = 95", "trabecular_hu = 200")
    bad = tmp_path / "scenario.jsonl"
    _write(bad, _rechain(lines))
    with pytest.raises(TamperError, match="scenario_sha256"):
        read_session(bad)


def test_a_forged_acceptance_is_caught_on_replay(recorded, tmp_path, patient):
    lines = _lines(recorded["path"])
    i = next(k for k, ln in enumerate(lines) if k and not ln["accepted"])
    lines[i]["accepted"] = True
    del lines[i]["reason"]
    bad = tmp_path / "forged.jsonl"
    _write(bad, _rechain(lines))
    rec = read_session(bad)                          # the chain itself is consistent
    with pytest.raises(TamperError, match=f"forged.jsonl:{i + 1}: the action was recorded as accepted"):
        replay(rec, render=False, patient=patient)


def test_a_cut_off_last_line_is_recovered_and_the_session_resumed(recorded, tmp_path, patient):
    raw = recorded["path"].read_bytes()
    lines = raw.split(b"\n")[:-1]
    keep = 20
    cut = b"\n".join(lines[:keep]) + b"\n" + lines[keep][: len(lines[keep]) // 2]
    crashed = tmp_path / "crashed.jsonl"
    crashed.write_bytes(cut)
    rec = read_session(crashed)
    assert rec.truncated and not rec.complete and len(rec.entries) == keep - 1
    live = LiveSession.resume(crashed, patient=patient)
    for a in recorded["acts"][keep - 1:]:
        live.apply(a)
    live.close()
    done = read_session(crashed)
    assert done.complete and not done.truncated
    assert [e["action"] for e in done.entries] == recorded["acts"]
    assert replay(done, patient=patient).snapshot() == recorded["snapshot"]


def test_a_finished_session_cannot_be_resumed(recorded, patient):
    with pytest.raises(SessionError, match="finished"):
        LiveSession.resume(recorded["path"], patient=patient)


def test_unreadable_files_are_reported_with_their_line(tmp_path, recorded):
    p = tmp_path / "x.jsonl"
    p.write_text('{"kind": "header", "format": "vptrainer-session", "version": 99}\n')
    with pytest.raises(SessionError, match="version 99"):
        read_session(p)
    header = recorded["path"].read_text().splitlines()[0]
    p.write_text(header + "\nnot json\n")
    with pytest.raises(SessionError, match=r"x\.jsonl:2: not a JSON line"):
        read_session(p)


def test_a_forged_image_hash_is_caught_on_replay(recorded, tmp_path, patient):
    lines = _lines(recorded["path"])
    i = next(k for k, ln in enumerate(lines) if k and ln["action"].get("type") == "shot")
    lines[i]["summary"]["image_sha256"] = "0" * 64
    bad = tmp_path / "image.jsonl"
    _write(bad, _rechain(lines))
    with pytest.raises(TamperError, match=f"image.jsonl:{i + 1}: shot image differs"):
        replay(read_session(bad), patient=patient)
