"""Save docs/screenshots/12-my-progress.png and 13-cohort.png over a synthetic cohort.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_records.py [--out DIR]

The trainee store is written to a temporary folder: four residents, 12-30 attempts each on
L1 and L2 cases, whose chance of passing rises along a learning curve (1 - 0.7 exp(-n/8),
seeded) while shots and DAP fall.  Every fifth attempt is on an imported CT case, "ct-l2", of which
two colleagues keep copies (~/cases/anna and ~/cases/ben, in the temporary folder, which stands for
the home folder while the windows are drawn); resident-b's 11th attempt is unfinished.  Each attempt has a
session file with the header the trainer writes (how the cohort names its case); the scores are synthetic (not
assessed sessions); the windows, charts and numbers are the real ones.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

from trainer import REPO_ROOT
from trainer.core.records.store import AttemptRecord, open_store
from trainer.core.scenario.ct_import import scenario_toml
from trainer.core.scenario.loader import load_scenario, parse_scenario
from trainer.core.session.log import SessionWriter, make_header
from trainer.core.session.notes import UNFINISHED_TEXT
from trainer.ui.app import apply_theme

LANDMARKS = {"body_centre_mm": (0.0, 0.0, 0.0), "pedicle_left_centre_mm": (-12.0, -22.0, 0.0),
             "pedicle_right_centre_mm": (12.0, -22.0, 0.0), "superior_endplate_z_mm": 13.0,
             "inferior_endplate_z_mm": -13.0}


def _cases(home: Path) -> dict:
    """Two built-in cases and two colleagues' copies of one imported CT case (its series folder empty:
    the cohort reads only the session headers)."""
    cases = {sid: (load_scenario(sid), None) for sid in ("l1-wedge-default", "l2-posterior-wall-defect")}
    for who in ("anna", "ben"):
        folder = home / "cases" / who
        (folder / "series").mkdir(parents=True)
        path = folder / "ct-l2.toml"
        path.write_text(scenario_toml("series", "L2", LANDMARKS), encoding="utf-8")
        series = {"sha256": hashlib.sha256(b"patient-1").hexdigest(), "files": 120, "first_file": "IM0001.dcm",
                  "last_file": "IM0120.dcm", "series_uid": "1.2.826.0.1.3680043.2"}
        cases[who] = (parse_scenario(path.read_text(encoding="utf-8"), path), series)
    return cases


def _attempt(rng, trainee: str, n: int, day: int, cases: dict, sessions: Path) -> AttemptRecord:
    p_pass = 1 - 0.7 * math.exp(-n / 8)
    passed = bool(rng.random() < p_pass)
    score = float(np.clip(rng.normal(82 if passed else 58, 8), 20, 100))
    shots = int(max(8, rng.normal(60 * math.exp(-n / 12) + 18, 4)))
    dap = float(max(0.05, rng.normal(0.004 * shots * (1 + 0.5 * (not passed)), 0.01)))
    depth = float(np.clip(rng.normal(0.78 if passed else 0.55, 0.08), 0.1, 1.05))
    key = ("anna", "ben")[n % 2] if n % 5 == 0 else "l1-wedge-default" if n % 3 else "l2-posterior-wall-defect"
    scen, series = cases[key]
    scenario = scen.id
    metrics = [{"id": "shots", "value": shots, "unit": "shots", "status": "pass" if shots <= 40 else "warn"},
               {"id": "dap", "value": round(dap, 4), "unit": "Gy.cm2", "status": "pass" if dap <= 2.9 else "warn"},
               {"id": "tip_depth", "value": round(depth, 3), "unit": "fraction",
                "status": "pass" if 0.67 <= depth <= 0.9 else "warn"},
               {"id": "fluoro_time", "value": round(shots * 0.35, 2), "unit": "s", "status": "pass"}]
    sha = hashlib.sha256(f"{trainee}-{n}".encode()).hexdigest()
    report = {"passed": passed, "score": round(score, 1), "metrics": [{**m, "target": "", "source": ""} for m in metrics],
              "critical_errors": [] if passed else ["synthetic: below the pass score"], "cement_injected_ml": 3.0,
              "leaks": [], "radiation": {"shots": shots, "dap_gycm2": dap}, "tip": {"depth_fraction": depth},
              "global_rating": {}, "total_time_s": 900.0, "pass_score": 70.0, "timeline": [],
              "scenario": {"id": scenario, "sha256": "0" * 64}, "assessment_notes": []}
    path = sessions / f"{trainee}-{n:03d}.jsonl"
    # a few attempts with what assess says of their files (the attempts table's Notes column, round 39): a CR LF
    # copy, and a session on a colleague's copy of the CT case edited since
    if n % 9 == 4:
        report["assessment_notes"].append({"label": "note", "text": (
            f"{path}: its lines end in CR LF (Windows line ends, from an editor, a mail program or git on the way), "
            "not the LF it was written with: the content was verified without the CR")})
    if key == "anna" and n % 4 == 0:
        report["assessment_notes"].insert(0, {"label": "WARNING", "text": (
            f"the scenario file {scen.path} has changed since {path} was recorded on it; it was scored against the "
            "copy the session recorded, not the edited file (vptrainer offers no way to score a session against "
            "another version of its case)")})
    # one attempt stopped before its finish, as assess --store records it (the cohort's Unfinished column, round 40)
    complete = (trainee, n) != ("resident-b", 11)
    if not complete:
        report.update(passed=False, unfinished=True)
        report["assessment_notes"].append({"label": "UNFINISHED", "text": UNFINISHED_TEXT})
    started = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T09:{n % 60:02d}:00+00:00"
    header = make_header(scen, 1, trainee, started, ct_series=series)
    SessionWriter(path, header=header).close()
    return AttemptRecord.from_report(report, header, path, sha, complete=complete)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO_ROOT / "docs" / "screenshots"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app)
    rng = np.random.default_rng(17)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["HOME"] = str(home)           # paths under it are shown as ~/... (trainer/core/shown_path.py)
        cases, sessions = _cases(home), home / "sessions"
        sessions.mkdir()
        db = home / "records.sqlite3"
        with open_store(db) as st:
            for trainee, count in (("resident-a", 40), ("resident-b", 24), ("resident-c", 12), ("resident-d", 28)):
                st.record_attempts([_attempt(rng, trainee, n, n * 2, cases, sessions) for n in range(1, count + 1)])
        from trainer.ui.cohort_window import CohortWindow
        from trainer.ui.progress_window import ProgressWindow

        prog = ProgressWindow(db, "resident-a")
        prog.metric_box.setCurrentText("shots")
        prog.resize(1000, 800)
        prog.show()
        cohort = CohortWindow(db)
        cohort.select_trainee("resident-a")
        cohort.resize(1300, 650)
        cohort.show()
        for _ in range(20):
            app.processEvents()
        for win, name in ((prog, "12-my-progress.png"), (cohort, "13-cohort.png")):
            pix = win.grab()
            if not pix.save(str(out / name)):
                raise SystemExit(f"screenshots: cannot write {out / name}")
            print(f"saved {out / name} ({pix.width()}x{pix.height()})")
        print(prog.summary.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
