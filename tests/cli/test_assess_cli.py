"""``vptrainer assess``: replays a recorded session and scores it; tampering exits 2."""

import json
import subprocess
import sys

import pytest

from trainer.cli import main
from trainer.core.procedure.expert_plan import play_expert
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import score
from trainer.core.scoring.context import expected_from_scenario
from trainer.core.session.live import LiveSession


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A recorded expert session (128-pixel shots keep the debrief render quick) and its live score."""
    path = tmp_path_factory.mktemp("assess") / "expert.jsonl"
    sc = load_scenario(None)
    expected, _ = expected_from_scenario(sc)
    with LiveSession(sc, path, seed=7, trainee="resident-a", render=False, pixels=128,
                     started_at="2026-01-01T00:00:00Z") as live:
        play_expert(live)
        live_report = score(live.procedure).to_json()
    return path, live_report


def test_json_has_the_documented_keys_and_equals_the_live_score(session, capsys):
    path, live = session
    assert main(["assess", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("passed", "score", "critical_errors", "metrics", "cement_injected_ml", "leaks", "radiation", "tip"):
        assert key in out
    for m in out["metrics"]:
        assert {"id", "value", "unit", "target", "status", "source"} <= set(m)
    assert set(out["radiation"]) >= {"shots", "fluoro_s", "dap_gycm2"}
    assert 0.0 <= out["tip"]["depth_fraction"] <= 1.0
    assert all({"type", "volume_ml"} <= set(lk) for lk in out["leaks"])
    assert out["passed"] is True and out["score"] >= 90
    assert out["session"]["complete"] is True and out["session"]["trainee"] == "resident-a"
    out.pop("session")
    assert out.pop("assessment_notes") == []  # a clean session: nothing to note (docs/session-format.md)
    assert out == live                       # the live score and the offline score are identical


def test_a_tampered_session_exits_2_and_says_so(session, tmp_path, capsys):
    path, _ = session
    lines = path.read_text().splitlines()
    i = next(i for i, ln in enumerate(lines) if '"inject"' in ln)
    lines[i] = lines[i].replace('"ml":0.5', '"ml":0.25').replace('"ml": 0.5', '"ml": 0.25')   # the plan pushes 0.5 mL
    assert lines[i] != path.read_text().splitlines()[i]
    bad = tmp_path / "tampered.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    assert main(["assess", str(bad), "--json"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert "TAMPERED" in cap.err and "hash chain broken" in cap.err and f"{bad}:{i + 1}" in cap.err


def test_a_scenario_that_does_not_match_its_hash_exits_2(session, tmp_path):
    path, _ = session
    lines = path.read_text().splitlines()
    head = json.loads(lines[0])
    head["scenario_toml"] = head["scenario_toml"].replace("trabecular_hu = 95", "trabecular_hu = 200")
    bad = tmp_path / "scenario.jsonl"
    bad.write_text("\n".join([json.dumps(head)] + lines[1:]) + "\n")
    r = subprocess.run([sys.executable, "-m", "trainer.cli", "assess", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "TAMPERED" in r.stderr


def test_not_a_session_is_one_line_exit_2(tmp_path, capsys):
    p = tmp_path / "x.jsonl"
    p.write_text("hello\n")
    assert main(["assess", str(p)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "x.jsonl" in err


def test_html_and_pdf_debrief(session, tmp_path, capsys):
    path, _ = session
    html, pdf = tmp_path / "d.html", tmp_path / "d.pdf"
    assert main(["assess", str(path), "--html", str(html), "--pdf", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "Medial-wall rule" in out and f"PDF debrief: {pdf}" in out
    text = html.read_text()
    assert text.count("data:image/png;base64,") == 3          # AP, lateral, timeline
    for needle in ("PASSED", "Medial-wall rule", "seeds/000_10316454a5df9267.txt", "FACTS.md 5.1",
                   "not validated for vertebroplasty", "Timeline"):
        assert needle in text
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000


def test_pdf_can_be_written_from_a_worker_thread(tmp_path):
    import base64
    import threading

    import numpy as np

    from trainer.core.scoring.figures import encode_png_rgb
    from trainer.report_pdf import write_pdf

    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[:, :, 0] = 200
    html = ("<h1>t</h1><img src=\"data:image/png;base64,"
            + base64.b64encode(encode_png_rgb(rgb)).decode() + "\" width=\"200\">")
    write_pdf(html, tmp_path / "main.pdf")          # the application exists in the main thread
    errors = []

    def job():
        try:
            write_pdf(html, tmp_path / "worker.pdf")
        except Exception as exc:                    # reported below, not swallowed
            errors.append(exc)

    t = threading.Thread(target=job)
    t.start()
    t.join(60)
    assert errors == [] and not t.is_alive()
    a, b = (tmp_path / "main.pdf").read_bytes(), (tmp_path / "worker.pdf").read_bytes()
    assert b.startswith(b"%PDF") and b"/Image" in b and abs(len(a) - len(b)) < 200
