"""Synthetic attempts for the records tests (a score report as ``assess --json`` writes it)."""

import hashlib

from trainer.core.records.store import AttemptRecord


def report(passed: bool, score: float, dap: float = 0.5, scenario: str = "l1-wedge-default") -> dict:
    return {"passed": passed, "score": score, "pass_score": 70.0, "critical_errors": [],
            "metrics": [{"id": "candidacy", "value": "proceed", "unit": "", "status": "pass"},
                        {"id": "dap", "value": dap, "unit": "Gy.cm2", "status": "pass" if dap < 2.9 else "warn"},
                        {"id": "shots", "value": 20, "unit": "shots", "status": "pass"}],
            "cement_injected_ml": 3.0, "leaks": [], "radiation": {"shots": 20, "dap_gycm2": dap},
            "tip": {"depth_fraction": 0.75}, "scenario": {"id": scenario, "sha256": "ab" * 32}}


def attempt(trainee: str, key: str, passed: bool = True, score: float = 90.0,
            started: str = "2026-01-01T00:00:00+00:00",
            dap: float = 0.5, scenario: str = "l1-wedge-default") -> AttemptRecord:
    sha = hashlib.sha256(key.encode()).hexdigest()
    header = {"trainee": trainee, "scenario_id": scenario, "scenario_sha256": "ab" * 32, "started_at": started}
    return AttemptRecord.from_report(report(passed, score, dap, scenario), header, f"/sessions/{key}.jsonl", sha)
