"""A session whose line ends became CR LF on the way (Windows: an editor, a mail program, git's autocrlf) is the
same content: it is verified without the CR and assessed as the LF file is, with one note (round 38; until then
it was refused with "restore LF line ends").

Oracles: the LF file the session was written as (its score, its seal verdict, its replayed shot images, its
batch row); the bytes with ``\\r\\n`` put back to ``\\n`` are that file; an edit of the content is refused as the
LF file's same edit is.
"""

import csv
import json

import numpy as np
import pytest
from assess_cases import run_assess

from trainer.cli import main
from trainer.core.anatomy.cache import cached_patient
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring.validity import EXPERT, play
from trainer.core.session.live import LiveSession
from trainer.core.session.reader import read_session
from trainer.core.session.replay import replay
from trainer.core.session.seal import ENV_VAR, load_key

SHORT = ('{"type": "decide", "item": "candidacy", "answer": "proceed"}\n{"type": "carm", "preset": "ap"}\n'
         '{"type": "shot"}\n{"type": "carm", "preset": "lateral"}\n{"type": "shot"}\n{"type": "wait", "s": 5}\n')


@pytest.fixture(autouse=True)
def no_env_key(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """An unfinished session with an AP and a lateral shot (rendered at 64 px)."""
    d = tmp_path_factory.mktemp("shots")
    (d / "a.jsonl").write_text(SHORT)
    p = d / "s.jsonl"
    assert main(["play", "l1-wedge-default", "--actions", str(d / "a.jsonl"), "--out", str(p), "--pixels", "64"]) == 0
    return p


@pytest.fixture(scope="module")
def sealed(tmp_path_factory, hmac_key):
    """A finished expert session, every line sealed with ``hmac_key``."""
    sc = load_scenario("l1-wedge-default")
    p = tmp_path_factory.mktemp("sealed") / "sealed.jsonl"
    with LiveSession(sc, p, seed=0, trainee="resident-b", render=False, patient=cached_patient(sc.anatomy),
                     started_at="2026-01-01T00:00:00Z", sealer=load_key(hmac_key)) as live:
        play(sc, None, 0, EXPERT, live=live)
    return p


def _crlf(src, dest, every=True):
    lines = src.read_bytes().split(b"\n")[:-1]
    dest.write_bytes(b"".join(ln + (b"\r\n" if every or i % 2 else b"\n") for i, ln in enumerate(lines)))
    assert dest.read_bytes().replace(b"\r\n", b"\n") == src.read_bytes()
    return dest


def _notes(err):
    return [ln for ln in err.splitlines() if "CR LF" in ln]


def test_a_sealed_crlf_session_scores_and_verifies_as_its_lf_file(sealed, hmac_key, tmp_path, capsys):
    crlf = _crlf(sealed, tmp_path / "crlf.jsonl")
    rc_l, out_l, err_l = run_assess(capsys, sealed, "--seal-key", hmac_key)
    rc_c, out_c, err_c = run_assess(capsys, crlf, "--seal-key", hmac_key)
    assert rc_l == 0 and "sealed and verified" in out_l and not _notes(err_l)
    assert rc_c == rc_l and out_c.replace(str(crlf), "S") == out_l.replace(str(sealed), "S")
    assert _notes(err_c) == [ln for ln in err_c.splitlines() if ln.strip()], err_c          # the one note, only
    (note,) = _notes(err_c)
    assert str(crlf) in note and "its lines end in CR LF" in note and "verified without the CR" in note
    _, js_l, _ = run_assess(capsys, sealed, "--seal-key", hmac_key, "--json")
    _, js_c, _ = run_assess(capsys, crlf, "--seal-key", hmac_key, "--json")
    a, b = json.loads(js_l), json.loads(js_c)
    assert b["session"].pop("crlf_lines") == len(sealed.read_bytes().splitlines()) and a["session"].pop("crlf_lines") == 0
    a["session"].pop("path"), b["session"].pop("path")
    assert a.pop("assessment_notes") == [] and b.pop("assessment_notes") == [{"label": "note",
                                                                             "text": note.split("note: ", 1)[1]}]
    assert a == b


def test_a_crlf_session_whose_content_was_also_edited_is_refused_as_edited(sealed, hmac_key, tmp_path, capsys):
    for name, src in (("lf", sealed), ("crlf", _crlf(sealed, tmp_path / "crlf.jsonl"))):
        edited = tmp_path / f"edited-{name}.jsonl"
        edited.write_bytes(src.read_bytes().replace(b"resident-b", b"resident-c", 1))
        rc, out, err = run_assess(capsys, edited, "--seal-key", hmac_key)
        assert rc == 2 and out == "" and "TAMPERED" in err and "the session was edited" in err, err
        assert ":1:" in err and "dos2unix" not in err


def test_mixed_line_ends_are_verified_line_by_line_and_the_note_counts_them(sealed, hmac_key, tmp_path, capsys):
    """Some lines CR LF, some LF (a file partly converted, or resumed with LF after a conversion): each line's
    content is verified without its CR, so it is the same session; the note says how many lines."""
    mixed = _crlf(sealed, tmp_path / "mixed.jsonl", every=False)
    total = len(sealed.read_bytes().splitlines())
    rc_l, out_l, _ = run_assess(capsys, sealed, "--seal-key", hmac_key)
    rc, out, err = run_assess(capsys, mixed, "--seal-key", hmac_key)
    assert rc == rc_l and out.replace(str(mixed), "S") == out_l.replace(str(sealed), "S")
    (note,) = _notes(err)
    assert f"{total // 2} of its {total} lines end in CR LF" in note, note


def test_a_crlf_session_replays_to_the_same_shot_images(shots, tmp_path):
    crlf = _crlf(shots, tmp_path / "crlf.jsonl")
    lf_proc = replay(read_session(shots), render=True)
    rec = read_session(crlf, keep_entries=False)
    assert rec.crlf_lines == len(shots.read_bytes().splitlines()) and rec.n_entries == read_session(shots).n_entries
    crlf_proc = replay(rec, render=True)
    assert set(lf_proc.last_images) == {"ap", "lateral"} == set(crlf_proc.last_images)
    for view, img in lf_proc.last_images.items():
        assert np.array_equal(img.pixels, crlf_proc.last_images[view].pixels)


def test_the_batch_scores_a_crlf_session_as_its_lf_file_with_the_note(sealed, hmac_key, tmp_path, capsys):
    d = tmp_path / "batch"
    d.mkdir()
    (d / "a-lf.jsonl").write_bytes(sealed.read_bytes())
    _crlf(sealed, d / "b-crlf.jsonl")
    rc, out, err = run_assess(capsys, d, "--seal-key", hmac_key, "--csv", tmp_path / "out.csv")
    assert rc == 0, err
    lf, cr = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert cr["notes"].startswith("note: " + str(d / "b-crlf.jsonl")) and "CR LF" in cr["notes"]
    assert lf["notes"] == cr["message"] == lf["message"] == ""          # the note in its one column (round 40)
    for k in ("status", "passed", "score", "seal", "actions", "dap_gycm2"):
        assert cr[k] == lf[k], k


def test_an_unfinished_crlf_session_resumes_and_appends(shots, tmp_path):
    """The GUI's resume reads the session as assess does and appends LF lines after the CR LF ones."""
    crlf = _crlf(shots, tmp_path / "crlf.jsonl")
    n = read_session(shots).n_entries
    with LiveSession.resume(crlf, render=False) as live:
        assert live.apply({"type": "wait", "s": 1}).accepted
    rec = read_session(crlf)
    assert rec.n_entries == n + 1 and rec.crlf_lines == n + 1 and rec.entries[-1]["action"] == {"type": "wait", "s": 1}


def test_a_crlf_copy_in_the_store_is_the_attempt_of_its_lf_file(sealed, hmac_key, tmp_path, capsys):
    """The trainee store keys an attempt on the session's SHA-256: the CR LF copy, the same content, updates the LF
    file's attempt rather than adding a second one (the cohort would count the attempt twice)."""
    import hashlib

    from trainer.core.records.attempts import file_sha256
    from trainer.core.records.store import open_store

    store = tmp_path / "store.sqlite3"
    crlf = _crlf(sealed, tmp_path / "crlf.jsonl")
    assert run_assess(capsys, sealed, "--seal-key", hmac_key, "--store", store)[0] == 0
    rc, out, _ = run_assess(capsys, crlf, "--seal-key", hmac_key, "--store", store)
    assert rc == 0 and "updated in" in out, out
    with open_store(store) as st:
        (only,) = st.conn.execute("SELECT session_sha256 FROM attempts").fetchall()
    assert only[0] == hashlib.sha256(sealed.read_bytes()).hexdigest()
    # a CR that ends one of the hash's read blocks (1 MiB) and its LF the next
    big = tmp_path / "big.bin"
    big.write_bytes(b"a" * ((1 << 20) - 1) + b"\r\n" + b"b\r\nc\r\rd\n")
    assert file_sha256(big) == hashlib.sha256(big.read_bytes().replace(b"\r\n", b"\n")).hexdigest()
