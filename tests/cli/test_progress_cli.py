"""``assess --store`` records attempts (no duplicates); ``progress`` reads them headless."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from core.records.records_helpers import attempt, copies_store, fingerprint

from trainer.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    out = tmp_path_factory.mktemp("progress") / "expert.jsonl"
    assert main(["play", "--actions", str(ROOT / "tests/data/expert_l1_left.jsonl"), "--out", str(out),
                 "--pixels", "64", "--trainee", "carla"]) == 0
    return out


def test_assess_store_records_once_and_matches_assess_json(session, tmp_path, capsys):
    db = tmp_path / "r.sqlite3"
    assert main(["assess", str(session), "--json", "--store", str(db)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["store"]["created"] is True
    assert main(["assess", str(session), "--json", "--store", str(db)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["store"] == {**first["store"], "created": False}
    from trainer.core.records.store import open_store

    with open_store(db) as st:
        (a,) = st.attempts(with_report=True)
    assert a.trainee == "carla" and a.passed is first["passed"] and a.score == first["score"]
    assert len(a.metrics) == len(first["metrics"])
    for m in first["metrics"]:
        assert a.metric(m["id"])["status"] == m["status"]
    import hashlib

    assert a.session_sha256 == hashlib.sha256(session.read_bytes()).hexdigest()


def test_progress_json_csv_and_refusals(tmp_path, capsys):
    from trainer.core.records.store import open_store

    db = tmp_path / "r.sqlite3"
    with open_store(db) as st:
        for i in range(19):
            st.record_attempt(attempt("dan", f"d{i}", started=f"2026-02-{i + 1:02d}T09:00:00+00:00"))
        st.record_attempt(attempt("eve", "e0", passed=False, score=40.0))
    assert main(["progress", "dan", "--store", str(db), "--json"]) == 0
    prog = json.loads(capsys.readouterr().out)
    assert prog["attempts"] == 19 and prog["lc_cusum"]["competent_at"] == 19   # 19 s = 2.76 >= h1 = 2.71
    assert prog["cusum"]["competent_at"] == 19
    out_csv = tmp_path / "cohort.csv"
    assert main(["progress", "--store", str(db), "--csv", str(out_csv)]) == 0
    rows = list(csv.DictReader(out_csv.open()))
    assert [(r["trainee"], r["attempts"], r["cusum_state"]) for r in rows] == [
        ("dan", "19", "competent"), ("eve", "1", "not yet competent")]
    before = out_csv.read_bytes()
    r = subprocess.run([sys.executable, "-m", "trainer.cli", "progress", "--store", str(db), "--csv", str(out_csv)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "does not exist yet" in r.stderr and "Traceback" not in r.stderr
    assert out_csv.read_bytes() == before
    capsys.readouterr()
    assert main(["progress", "eve", "--store", str(db)]) == 0       # one attempt: "1 attempts" until round 24
    assert capsys.readouterr().out.startswith("eve: 1 attempt, 0 passed (0 %)\n")
    assert main(["progress", "nobody", "--store", str(db)]) == 2
    assert main(["progress", "--store", str(tmp_path / "missing.sqlite3")]) == 2
    assert not (tmp_path / "missing.sqlite3").exists()


def test_the_store_keeps_the_seal_state(tmp_path, monkeypatch, capsys):
    from trainer.core.anatomy.cache import cached_patient
    from trainer.core.records.store import open_store
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.session.live import LiveSession
    from trainer.core.session.seal import ENV_VAR, generate_hmac_key, load_key

    monkeypatch.delenv(ENV_VAR, raising=False)
    key = tmp_path / "exam.key"
    generate_hmac_key(key)
    sc = load_scenario("l1-wedge-default")
    path = tmp_path / "sealed.jsonl"
    with LiveSession(sc, path, seed=1, trainee="mia", render=False, patient=cached_patient(sc.anatomy),
                     started_at="2026-01-01T00:00:00Z", sealer=load_key(key)) as live:
        for item, gate in sc.decisions.gates.items():
            live.apply({"type": "decide", "item": item, "answer": gate["expected"]})
        live.apply({"type": "finish"})
    db = tmp_path / "r.sqlite3"
    assert main(["assess", str(path), "--store", str(db)]) == 0                       # no key: sealed, unverified
    with open_store(db) as st:
        assert [a.seal_status for a in st.attempts()] == ["unverified"]
    assert main(["assess", str(path), "--store", str(db), "--seal-key", str(key)]) == 0
    with open_store(db) as st:
        (a,) = st.attempts()                                                          # updated, not added
        assert a.seal_status == "verified"


def test_progress_and_the_cohort_csv_name_each_case_by_title_folder_and_series(tmp_path, capsys):
    """Two colleagues' copies of ct-l2 and two patients' l2.toml: ``progress`` and both CSVs named them by
    scenario id only ("ct-l2", "l2"; the GUI's cohort names them by title, folder and series since pass 92).
    Oracle: the folders and series the fixture put each case in (records_helpers.copies_store)."""
    db = copies_store(tmp_path)
    s1, s2, s3 = (fingerprint(p)["sha256"][:8] for p in ("patient-1", "patient-2", "patient-3"))
    anna, ben = (f"L2 patient CT (ct-l2 in {tmp_path / who}, series {s1})" for who in ("anna", "ben"))
    p2, p3 = (f"L2 patient CT (l2 in {tmp_path / p}, series {s})" for p, s in (("p2", s2), ("p3", s3)))
    cohort = tmp_path / "cohort.csv"
    assert main(["progress", "--store", str(db), "--csv", str(cohort)]) == 0
    rows = {r["trainee"]: r["cases"] for r in csv.DictReader(cohort.open())}
    assert rows == {"dan": "; ".join(sorted([anna, ben, p2, p3])), "eve": anna}, rows
    dan = tmp_path / "dan.csv"
    capsys.readouterr()
    assert main(["progress", "dan", "--store", str(db), "--csv", str(dan)]) == 0
    text = capsys.readouterr().out
    assert [r["case"] for r in csv.DictReader(dan.open())] == [anna, ben, p2, p3]
    lines = [ln for ln in text.splitlines() if "CUSUM +" in ln or "CUSUM -" in ln]
    assert [ln.endswith(case) for ln, case in zip(lines, (anna, ben, p2, p3), strict=True)] == [True] * 4, lines
