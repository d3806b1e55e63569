"""An unfinished session in the trainee store (round 39, assessor2): a batch's ``assess --store`` keeps what single
``assess --store`` keeps for the same file (until then the batch's stored report had no ``unfinished`` mark), and
the progress view counts it as not passed and never draws or trends its score as a finished one.

The unfinished session is the expert plan of ``tests/data/expert_l1_left.jsonl`` without its ``finish``: every
rule passes, its replayed score is high (progress only), and it is not passed.
Oracle: single ``assess --store`` of the same file (for the batch), the finished session's own score (for the
progress view).
"""

import csv
import json
from pathlib import Path

import pytest

from trainer.cli import main
from trainer.core.records.store import open_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def two_sessions(tmp_path_factory):
    """carla's finished expert session, then the same plan without its finish (recorded after it)."""
    d = tmp_path_factory.mktemp("unfinished")
    plan = (ROOT / "tests/data/expert_l1_left.jsonl").read_text().splitlines(keepends=True)
    assert '"finish"' in plan[-1]
    (d / "no-finish.actions").write_text("".join(plan[:-1]))
    out = []
    for name, actions in (("finished", ROOT / "tests/data/expert_l1_left.jsonl"), ("unfinished", d / "no-finish.actions")):
        sess = d / "sessions" / f"{name}.jsonl"
        sess.parent.mkdir(exist_ok=True)
        assert main(["play", "--actions", str(actions), "--out", str(sess), "--pixels", "64", "--trainee", "carla"]) == 0
        out.append(sess)
    return out


def _stored(db) -> dict:
    with open_store(db) as st:
        (a,) = st.attempts(with_report=True)
    return {"passed": a.passed, "complete": a.complete, "score": a.score, "report": a.report}


def test_a_batch_stores_an_unfinished_session_as_single_assess_does(two_sessions, tmp_path, capsys):
    _, unfinished = two_sessions
    one, batch = tmp_path / "one.sqlite3", tmp_path / "batch.sqlite3"
    assert main(["assess", str(unfinished), "--store", str(one)]) == 3
    assert main(["assess", str(unfinished), "--jobs", "1", "--store", str(batch)]) == 3
    capsys.readouterr()
    single = _stored(one)
    assert single["passed"] is False and single["complete"] is False and single["report"]["unfinished"] is True
    assert single["score"] > 70                 # a pass's score, were it finished: the case this is about
    assert _stored(batch) == single             # failed before: the batch's report had no "unfinished": True


def test_progress_counts_an_unfinished_attempt_as_not_passed_and_never_as_a_finished_score(two_sessions, tmp_path,
                                                                                           capsys):
    finished, unfinished = two_sessions
    db = tmp_path / "r.sqlite3"
    assert main(["assess", str(finished), str(unfinished), "--jobs", "1", "--store", str(db)]) == 3
    with open_store(db) as st:
        by_path = {Path(a.session_path).name: a for a in st.attempts()}
    done_score = by_path["finished.jsonl"].score
    assert by_path["finished.jsonl"].passed and not by_path["unfinished.jsonl"].passed
    capsys.readouterr()
    assert main(["progress", "carla", "--store", str(db), "--json"]) == 0
    prog = json.loads(capsys.readouterr().out)
    assert prog["attempts"] == 2 and prog["passed"] == 1
    assert prog["finished"] == [True, False]
    assert prog["scores"] == [done_score, None]          # failed before: the unfinished 99 was a score to plot
    assert prog["score_trend_per_attempt"] is None       # one finished score: no trend (before: 0.0 from 2 scores)
    assert main(["progress", "carla", "--store", str(db)]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "CUSUM +" in ln or "CUSUM -" in ln]
    assert " PASS " in lines[0] and " unfinished " in lines[1], lines
    cohort = tmp_path / "cohort.csv"
    assert main(["progress", "--store", str(db), "--csv", str(cohort)]) == 0
    (row,) = csv.DictReader(cohort.open(newline=""))
    assert (row["attempts"], row["passed"], row["unfinished"]) == ("2", "1", "1")
    assert float(row["last_score"]) == done_score        # the last finished attempt's score
    per = tmp_path / "carla.csv"
    assert main(["progress", "carla", "--store", str(db), "--csv", str(per)]) == 0
    rows = list(csv.DictReader(per.open(newline="")))
    assert [(r["passed"], r["finished"]) for r in rows] == [("1", "1"), ("0", "0")]


def test_an_unfinished_session_resumed_in_its_file_and_assessed_again_is_one_attempt(two_sessions, tmp_path, capsys):
    """An assessor's nightly ``assess FOLDER --store`` caught a session before its finish (a crash, or the trainee
    still at it); the trainee resumed it in the trainer, which appends to the same file, and finished.  Assessed
    again, the grown file (a new hash) was a second attempt: the procedure counted twice, once as an unfinished
    failure on the learning curve.  Oracle: the finished session assessed alone into an empty store."""
    from trainer.core.anatomy.cache import cached_patient
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.session.live import LiveSession

    _, unfinished = two_sessions
    sess = tmp_path / "sessions" / "carla.jsonl"
    sess.parent.mkdir()
    sess.write_bytes(unfinished.read_bytes())
    db, alone = tmp_path / "r.sqlite3", tmp_path / "alone.sqlite3"
    assert main(["assess", str(sess.parent), "--jobs", "1", "--store", str(db)]) == 3
    with LiveSession.resume(sess, patient=cached_patient(load_scenario(None).anatomy), render=False) as live:
        assert live.apply({"type": "finish"}).accepted
    assert main(["assess", str(sess.parent), "--jobs", "1", "--store", str(db)]) == 0
    assert "1 attempt(s) recorded" in capsys.readouterr().err
    assert main(["assess", str(sess), "--store", str(alone)]) == 0
    with open_store(db) as st, open_store(alone) as want:
        got, (one,) = st.attempts(), want.attempts()
        assert len(got) == 1                                 # failed before: 2, the first unfinished
        (a,) = got
        assert (a.complete, a.passed, a.score, a.session_sha256, a.uuid) == \
            (one.complete, one.passed, one.score, one.session_sha256, one.uuid)
        assert a.complete and a.passed
        assert st.outbox_counts() == want.outbox_counts()    # its statements queued as for any finished attempt
    capsys.readouterr()
    assert main(["progress", "carla", "--store", str(db), "--json"]) == 0
    prog = json.loads(capsys.readouterr().out)
    assert (prog["attempts"], prog["passed"]) == (1, 1)
