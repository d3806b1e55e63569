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


LANDMARKS = {"body_centre_mm": (0.0, 0.0, 0.0), "pedicle_left_centre_mm": (-12.0, -22.0, 0.0),
             "pedicle_right_centre_mm": (12.0, -22.0, 0.0), "superior_endplate_z_mm": 13.0,
             "inferior_endplate_z_mm": -13.0}


def fingerprint(patient: str) -> dict:
    """A CT series fingerprint as a session header records it, its SHA-256 that of ``patient``."""
    return {"sha256": hashlib.sha256(patient.encode()).hexdigest(), "files": 120, "first_file": "IM0001.dcm",
            "last_file": "IM0120.dcm", "series_uid": f"1.2.826.0.1.{len(patient)}"}


def _case(root, folder: str, name: str, title: str):
    from trainer.core.scenario.ct_import import scenario_toml
    from trainer.core.scenario.loader import parse_scenario

    case_dir = root / folder
    (case_dir / "series").mkdir(parents=True)
    path = case_dir / f"{name}.toml"
    path.write_text(scenario_toml("series", "L2", LANDMARKS, title=title), encoding="utf-8")
    return parse_scenario(path.read_text(encoding="utf-8"), path)


def copies_store(root):
    """``root/records.sqlite3``: dan on anna's and ben's copies of ct-l2 (same text, same series) and on two
    patients' l2.toml (same default title, different series: ``fingerprint("patient-2")``, ``-3``); eve on
    anna's copy.  Sessions (header only, the product's own writer) in ``root/sessions``."""
    from trainer.core.records.attempts import file_sha256
    from trainer.core.records.store import open_store
    from trainer.core.session.log import SessionWriter, make_header

    cases = {"anna": (_case(root, "anna", "ct-l2", "L2 patient CT"), "patient-1"),
             "ben": (_case(root, "ben", "ct-l2", "L2 patient CT"), "patient-1"),
             "p2": (_case(root, "p2", "l2", "L2 patient CT"), "patient-2"),
             "p3": (_case(root, "p3", "l2", "L2 patient CT"), "patient-3")}
    sessions = root / "sessions"
    sessions.mkdir()
    db = root / "records.sqlite3"
    runs = [("dan", "anna", True), ("dan", "ben", False), ("dan", "p2", True), ("dan", "p3", True),
            ("eve", "anna", False)]
    with open_store(db) as st:
        for i, (trainee, key, passed) in enumerate(runs):
            scenario, patient = cases[key]
            header = make_header(scenario, 1, trainee, f"2026-12-0{i + 1}T09:00:00+00:00",
                                 ct_series=fingerprint(patient))
            path = sessions / f"{trainee}-{key}.jsonl"
            SessionWriter(path, header=header).close()
            rep = {**report(passed, 90.0 if passed else 40.0), "scenario": {"id": scenario.id,
                                                                           "sha256": scenario.sha256}}
            st.record_attempt(AttemptRecord.from_report(rep, header, path, file_sha256(path)))
    return db
