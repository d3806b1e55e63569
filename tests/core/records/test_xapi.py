"""xAPI statements of an attempt and the store's outbox (no network: see tests/cli/test_lrs_ralph.py)."""

import uuid
from dataclasses import replace

from core.records.records_helpers import attempt

from trainer.core.records.store import open_store
from trainer.core.records.xapi import EXT, VERBS, attempt_fields_from_statement, statements_for, tip_zone


def test_two_statements_with_stable_ids_score_and_extensions():
    a = attempt("lea", "x1", passed=True, score=87.5, started="2026-01-02T10:00:00+00:00")
    a = replace(a, report={**a.report, "total_time_s": 754.5})
    done, verdict = statements_for(a, {"standard": "not yet competent"})
    ns = uuid.uuid5(uuid.NAMESPACE_URL, "https://vptrainer.org/xapi/profile")
    assert done["id"] == str(uuid.uuid5(ns, f"{a.uuid}/completed"))
    assert verdict["id"] == str(uuid.uuid5(ns, f"{a.uuid}/passed"))
    assert statements_for(a)[1]["id"] == verdict["id"]                     # the same attempt, the same ids
    assert done["verb"]["id"] == VERBS["completed"] and verdict["verb"]["id"] == VERBS["passed"]
    assert verdict["result"]["score"] == {"scaled": 0.875, "raw": 87.5, "min": 0, "max": 100}
    assert verdict["result"]["success"] is True and verdict["result"]["duration"] == "PT754.50S"
    assert verdict["timestamp"] == "2026-01-02T10:12:34.500Z"               # start + 754.5 s
    assert verdict["context"]["registration"] == a.uuid == done["context"]["registration"]
    ext = verdict["result"]["extensions"]
    assert ext[EXT["tip-zone"]] == "anterior third (target zone)"          # depth 0.75
    assert ext[EXT["dose"]] == {"shots": 20, "dap_gycm2": 0.5}
    assert ext[EXT["cusum"]] == {"standard": "not yet competent"}
    assert [m["id"] for m in ext[EXT["metrics"]]] == ["candidacy", "dap", "shots"]
    back = attempt_fields_from_statement(verdict)
    assert (back["trainee"], back["score"], back["passed"], back["session_sha256"]) == ("lea", 87.5, True,
                                                                                       a.session_sha256)
    assert attempt_fields_from_statement(done) is None


def test_tip_zone_words():
    # depth fraction: 0 posterior wall, 1 anterior wall; target zone 0.67-0.90 (FACTS.md 2)
    assert [tip_zone(x) for x in (None, 0.2, 0.5, 0.7, 0.95, 1.1)] == [
        "none", "posterior third", "middle third", "anterior third (target zone)", "anterior third",
        "beyond the anterior wall"]


def test_outbox_queues_once_and_follows_a_reassessment(tmp_path):
    with open_store(tmp_path / "r.sqlite3") as st:
        st.record_attempt(attempt("lea", "x1", passed=True))
        st.record_attempt(attempt("lea", "x1", passed=True))
        pend = st.pending_statements()
        assert len(pend) == 2 and {p["verb"]["display"]["en-US"] for p in pend} == {"completed", "passed"}
        st.record_attempt(attempt("lea", "x1", passed=False, score=40.0))   # re-assessed before sending
        pend = st.pending_statements()
        assert {p["verb"]["display"]["en-US"] for p in pend} == {"completed", "failed"}
        st.mark_sent([p["id"] for p in pend])
        st.record_attempt(attempt("lea", "x1", passed=False, score=41.0))   # after sending: nothing new
        assert st.pending_statements() == [] and st.outbox_counts() == {"sent": 2, "pending": 0}
        # the CUSUM state in the second attempt's statement counts both attempts
        st.record_attempt(attempt("lea", "x2", passed=True, started="2026-01-03T00:00:00+00:00"))
        verdict = [p for p in st.pending_statements() if p["verb"]["display"]["en-US"] == "passed"][0]
        assert verdict["result"]["extensions"][EXT["cusum"]]["attempt_number"] == 2
