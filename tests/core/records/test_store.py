"""Trainee store: round trip, no duplicates, migration from the first schema, WAL, two processes at once."""

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from core.records.records_helpers import attempt

from trainer.core.records.migrations import LATEST_VERSION
from trainer.core.records.store import StoreError, TraineeStore, open_store

ROOT = Path(__file__).resolve().parents[3]


def test_round_trip_keeps_every_field_and_metric(tmp_path):
    a = attempt("alice", "s1", passed=False, score=61.25, dap=3.4)
    with open_store(tmp_path / "r.sqlite3") as st:
        aid, created = st.record_attempt(a)
    with open_store(tmp_path / "r.sqlite3") as st:
        (b,) = st.attempts(with_report=True)
    assert created and b.id == aid
    for f in ("trainee", "scenario_id", "scenario_sha256", "started_at", "session_path", "session_sha256",
              "seal_status", "complete", "passed", "score", "software_version", "report", "uuid"):
        assert getattr(b, f) == getattr(a, f), f
    assert b.metric("dap") == {"id": "dap", "value": 3.4, "unit": "Gy.cm2", "status": "warn"}
    assert b.metric("candidacy")["value"] == "proceed"
    assert b.metric("shots")["value"] == 20


def test_the_same_session_twice_is_one_attempt_updated(tmp_path):
    with open_store(tmp_path / "r.sqlite3") as st:
        first = st.record_attempt(attempt("alice", "s1", score=80.0))
        again = st.record_attempt(attempt("alice", "s1", score=82.0))
        other = st.record_attempt(attempt("alice", "s2"))
        assert first == (1, True) and again == (1, False) and other[1] is True
        assert st.count_attempts() == 2
        assert [a.score for a in st.attempts()] == [82.0, 90.0]
        n_metrics = st.conn.execute("SELECT COUNT(*) FROM metric_values").fetchone()[0]
        assert n_metrics == 6


def test_wal_mode_and_schema_version(tmp_path):
    with open_store(tmp_path / "r.sqlite3") as st:
        assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert st.version == 2
        names = [r[0] for r in st.conn.execute("SELECT name FROM schema_migrations ORDER BY version")]
        assert len(names) == 2


def test_migration_from_the_first_schema_keeps_every_row(tmp_path):
    db = tmp_path / "v1.sqlite3"
    TraineeStore(db, migrate_to=1).close()
    # fill it as version 1 knew it (plain SQL: the v1 columns only)
    c = sqlite3.connect(db)
    c.execute("INSERT INTO trainees (name, created_at) VALUES ('bea', '2025-01-01')")
    for i in range(3):
        c.execute("INSERT INTO attempts (trainee_id, scenario_id, scenario_sha256, started_at, session_path, "
                  "session_sha256, seal_status, complete, passed, score, software_version, assessed_at, report_json) "
                  "VALUES (1, 'l2-discitis', 'cd', ?, ?, ?, 'unsealed', 1, ?, ?, '0.0.9', '2025-01-02', '{}')",
                  (f"2025-01-0{i + 1}", f"/s/{i}.jsonl", f"{i:064x}", i % 2, 50.0 + i))
        c.execute("INSERT INTO metric_values VALUES (?, 'dap', ?, 'Gy.cm2', 'pass')", (i + 1, 0.1 * i))
    c.commit()
    assert [r[0] for r in c.execute("PRAGMA table_info(attempts)")][-1] == 13   # no v2 columns yet
    c.close()
    with open_store(db) as st:
        assert st.version == 2
        rows = st.attempts()
        assert [a.score for a in rows] == [50.0, 51.0, 52.0]
        assert [a.passed for a in rows] == [False, True, False]
        assert [a.metric("dap")["value"] for a in rows] == pytest.approx([0.0, 0.1, 0.2])
        assert all(a.origin == "local" for a in rows)
        ns = uuid.uuid5(uuid.NAMESPACE_URL, "urn:vptrainer:attempt")
        assert [a.uuid for a in rows] == [str(uuid.uuid5(ns, f"{i:064x}")) for i in range(3)]
        st.record_attempt(attempt("bea", "new"))           # and the migrated store takes new attempts
        assert st.count_attempts() == 4


def test_not_a_store_is_one_clear_error(tmp_path):
    p = tmp_path / "notes.sqlite3"
    p.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="not a vptrainer trainee store"):
        open_store(p)
    assert p.read_text().startswith("this is not a database")


def test_default_path_is_in_the_user_data_dir(tmp_path):
    code = "from trainer.core.records.store import default_store_path; print(default_store_path())"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env={"XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()) == tmp_path / "xdg" / "vptrainer" / "records.sqlite3"


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from core.records.records_helpers import attempt     # PYTHONPATH: the checkout and tests/
    from trainer.core.records.store import open_store
    db, who, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.01)
    with open_store(db) as st:
        for i in range(40):
            st.record_attempt(attempt(who, f"{who}-{i}", score=float(i)))
            st.record_attempt(attempt("shared", f"shared-{i % 10}"))   # the same 10 sessions from every process
    print("ok")
""")


def test_three_processes_writing_at_once_lose_nothing(tmp_path):
    db = tmp_path / "shared.sqlite3"
    go = tmp_path / "go"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    procs = [subprocess.Popen([sys.executable, str(script), str(db), who, str(go)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("p1", "p2", "p3")]
    time.sleep(0.5)           # let all three import and wait on the start flag (correctness does not depend on it)
    go.write_text("go")
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1][-500:] for o in outs]
    with open_store(db) as st:
        assert st.count_attempts() == 3 * 40 + 10
        for who in ("p1", "p2", "p3"):
            assert sorted(a.score for a in st.attempts(trainee=who)) == [float(i) for i in range(40)]
        assert len(st.attempts(trainee="shared")) == 10
        assert st.conn.execute("SELECT COUNT(*) FROM metric_values").fetchone()[0] == 3 * (3 * 40 + 10)


def test_filters_by_scenario_family_and_date(tmp_path):
    with open_store(tmp_path / "r.sqlite3") as st:
        st.record_attempt(attempt("a", "1", started="2026-01-01T10:00:00+00:00", scenario="l1-wedge-default"))
        st.record_attempt(attempt("a", "2", started="2026-01-05T10:00:00+00:00", scenario="l1-inr-high"))
        st.record_attempt(attempt("a", "3", started="2026-01-09T10:00:00+00:00", scenario="l2-discitis"))
        assert [a.scenario_id for a in st.attempts(scenario="l1-*")] == ["l1-wedge-default", "l1-inr-high"]
        assert [a.scenario_id for a in st.attempts(scenario="l2-discitis")] == ["l2-discitis"]
        assert len(st.attempts(since="2026-01-05", until="2026-01-09")) == 2
        assert len(st.attempts(until="2026-01-04")) == 1
        assert json.loads(json.dumps(st.attempts()[0].metrics))[1]["id"] == "dap"


def _open_new_store(path, barrier, results):
    barrier.wait()
    try:
        TraineeStore(path).close()
        results.put("ok")
    except StoreError as exc:
        results.put(str(exc))


def test_processes_creating_one_new_store_at_once_all_succeed(tmp_path):
    """Three processes open the same not-yet-existing store at the same instant, 25 times over.

    SQLite answers "database is locked" at once (no busy wait) to a second process switching a
    new file to WAL or migrating it; before the retry 6 of 40 such races failed, and the loser
    deleted the winner's -wal/-shm files ("disk I/O error" in a third process)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for trial in range(25):
        path = tmp_path / f"store{trial}.sqlite3"
        barrier, results = ctx.Barrier(3), ctx.Queue()
        procs = [ctx.Process(target=_open_new_store, args=(path, barrier, results)) for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        got = [results.get(timeout=5) for _ in procs]
        assert got == ["ok"] * 3, (trial, got)
        with open_store(path) as s:
            assert s.version == LATEST_VERSION


def test_a_store_path_through_a_file_names_that_file(tmp_path):
    """An assessor's ``--store notes.txt/records.sqlite3`` (a folder on the path that is a file): mkdir's "[Errno 17]
    File exists: ..." said nothing of which part was wrong (round 37).  Oracle: the file made here."""
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(StoreError, match=r"notes\.txt is a file, not a folder"):
        open_store(tmp_path / "notes.txt" / "records.sqlite3")
    assert (tmp_path / "notes.txt").read_text() == "x"


def test_a_store_in_a_folder_that_takes_no_file_says_so(tmp_path):
    """SQLite says only "unable to open database file" where the file cannot be created; the tests run as root, for
    whom a chmod-ed folder is writable, so /proc (which takes no new file) stands for a read-only folder."""
    with pytest.raises(StoreError, match=r"could not be created in /proc \(a read-only folder"):
        open_store(Path("/proc") / f"vptrainer-{uuid.uuid4().hex}.sqlite3")
