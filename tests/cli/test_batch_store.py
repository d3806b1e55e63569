"""50 recorded sessions into the trainee store: two processes at once (a batch) give exactly the
attempts, scores and metric values that assessing them one by one gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trainer.cli import main
from trainer.core.anatomy.cache import cached_patient
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.records.store import open_store
from trainer.core.scenario.checklist import allowed_answers
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring.context import expected_from_scenario
from trainer.core.session.live import LiveSession

ROOT = Path(__file__).resolve().parents[2]

N = 50
N_EXPERT = 6          # whole procedures (passes and a breach); the rest stop after the checklist and a few shots


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    """50 finished sessions by 5 trainees (no images): 6 whole expert-plan procedures with varied depth
    and aim error, 44 that answer the checklist (some answers wrong), take 1-3 shots and finish."""
    folder = tmp_path_factory.mktemp("batch")
    sc = load_scenario(None)
    expected, _ = expected_from_scenario(sc)
    patient = cached_patient(sc.anatomy)
    paths = []
    for i in range(N):
        p = folder / f"s{i:02d}.jsonl"
        with LiveSession(sc, p, seed=100 + i, trainee=f"trainee-{i % 5}", render=False, patient=patient,
                         started_at=f"2026-06-{1 + i // 5:02d}T{8 + i % 5:02d}:00:00+00:00") as live:
            if i < N_EXPERT:
                play_expert(live, ExpertPlan(answers=expected, target_depth=0.6 + 0.05 * i,
                                             medial_error_deg=8.0 * (i == N_EXPERT - 1)))
                paths.append(p)
                continue
            for k, (item, gate) in enumerate(sc.decisions.gates.items()):
                others = [c for c in allowed_answers(item) if c != gate["expected"]]
                answer = others[0] if (i + k) % 4 == 0 and others else gate["expected"]
                live.apply({"type": "decide", "item": item, "answer": answer})
            for _ in range(1 + i % 3):
                live.apply({"type": "shot"})
            live.apply({"type": "finish"})
            paths.append(p)
    return paths


def _snapshot(db):
    with open_store(db) as st:
        return {a.session_sha256: (a.trainee, a.started_at, a.passed, a.score,
                                   tuple((m["id"], m["value"], m["status"]) for m in a.metrics))
                for a in st.attempts()}


@pytest.mark.slow
def test_batch_into_the_store_equals_one_by_one(sessions, tmp_path, capsys):
    one = tmp_path / "one-by-one.sqlite3"
    for p in sessions:
        assert main(["assess", str(p), "--store", str(one)]) == 0
    batch = tmp_path / "batch.sqlite3"
    # the batch: two worker processes, one CSV, every attempt recorded in one transaction
    assert main(["assess", *map(str, sessions), "--jobs", "2", "--csv", str(tmp_path / "batch.csv"),
                 "--store", str(batch)]) == 0
    assert f"{N} attempt(s) recorded in {batch}" in capsys.readouterr().err
    a, b = _snapshot(one), _snapshot(batch)
    assert len(a) == N and a == b
    passed = sum(v[2] for v in a.values())
    assert 0 < passed < N                     # the set holds passes and failures
    with open_store(batch) as st:
        assert {x.seal_status for x in st.attempts()} == {"unsealed"}
    # the same batch again adds nothing
    assert main(["assess", *map(str, sessions[:5]), "--jobs", "2", "--csv", str(tmp_path / "again.csv"),
                 "--store", str(batch)]) == 0
    assert len(_snapshot(batch)) == N


def test_two_processes_assessing_into_one_store_lose_nothing(sessions, tmp_path):
    db = tmp_path / "shared.sqlite3"
    code = ("import sys\nfrom trainer.cli import main\n"
            "sys.exit(max(main(['assess', p, '--store', sys.argv[1]]) for p in sys.argv[2:]))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db), *map(str, sessions[k:10:2])], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for k in (0, 1)]
    errs = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    assert len(_snapshot(db)) == 10
