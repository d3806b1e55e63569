"""xAPI against a real Learning Record Store: Ralph (PyPI ralph-malph 5.1.0, file-system backend),
started on 127.0.0.1 by the fixture from .venv-lrs (tools/setup.sh --test) and stopped after."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from core.records.records_helpers import attempt

from trainer.cli import main
from trainer.core.records.lrs import LrsClient, push
from trainer.core.records.progress import cohort_rows
from trainer.core.records.store import open_store
from trainer.core.records.xapi import EXT, VERBS

ROOT = Path(__file__).resolve().parents[2]

KEY, SECRET = "vptrainer-ci", "not-a-real-secret"


def ralph_executable() -> Path:
    exe = Path(os.environ.get("VPTRAINER_RALPH") or ROOT / ".venv-lrs" / "bin" / "ralph")
    assert exe.is_file(), f"{exe}: Ralph is not installed; run tools/setup.sh --test (it installs .venv-lrs)"
    return exe


# Ralph's file-system LRS backend writes with operation "create" by default, which refuses a file that
# exists: as shipped it stores only the first POST (every later one answers 500, "already exists and
# overwrite is not allowed").  The launcher runs the same Ralph app through uvicorn (as `ralph runserver`
# does) with that backend appending instead; nothing else of Ralph is changed.
LAUNCHER = """
import sys
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend
FSLRSBackend.default_operation_type = BaseOperationType.APPEND
import uvicorn
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="info")
"""


class Ralph:
    """One Ralph LRS process on 127.0.0.1 with a file-system backend in ``folder``."""

    def __init__(self, folder: Path):
        self.exe = ralph_executable()
        self.folder = folder
        (folder / "data").mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "RALPH_RUNSERVER_BACKEND": "fs", "RALPH_APP_DIR": str(folder / "app"),
                    "RALPH_AUTH_FILE": str(folder / "auth.json"),
                    "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder / "data")}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}/xAPI"
        subprocess.run([str(self.exe), "auth", "-u", KEY, "-p", SECRET, "-s", "all", "-A", KEY, "http://127.0.0.1",
                        "-w"], env=self.env, check=True, capture_output=True, timeout=120)
        self.proc = None

    def start(self):
        log = open(self.folder / "server.log", "ab")      # noqa: SIM115 (kept open for the process)
        self.proc = subprocess.Popen([str(self.exe.parent / "python"), "-c", LAUNCHER, str(self.port)],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.folder / "server.log").read_text()[-2000:]
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{self.port}/__heartbeat__")
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("Ralph did not start within 90 s")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None

    def stored_lines(self, *trainees: str) -> list[dict]:
        """The statements of these trainees in the backend's file, read directly (not through the API)."""
        out = []
        for f in sorted((self.folder / "data").glob("*.jsonl")):
            out += [json.loads(ln) for ln in f.read_text().splitlines() if ln.strip()]
        return [s for s in out if s["actor"]["account"]["name"] in trainees]


@pytest.fixture(scope="module")
def ralph(tmp_path_factory):
    """One LRS for the module (each test uses its own trainee names)."""
    lrs = Ralph(tmp_path_factory.mktemp("ralph"))
    lrs.start()
    yield lrs
    lrs.stop()


def _fill(db, n: int, who: str = "gil"):
    with open_store(db) as st:
        for i in range(n):
            st.record_attempt(attempt(who, f"{who}{i}", passed=i % 3 != 0, score=60.0 + i,
                                      started=f"2026-05-{i % 28 + 1:02d}T{8 + i // 28:02d}:00:00+00:00"))


def test_statements_arrive_validate_and_a_second_push_sends_nothing(ralph, tmp_path, capsys):
    db = tmp_path / "site-a.sqlite3"
    _fill(db, 5)
    args = ["lrs", "push", "--store", str(db), "--endpoint", ralph.endpoint, "--key", KEY, "--secret", SECRET]
    assert main(args) == 0
    assert "10 statement(s) sent" in capsys.readouterr().out
    stored = ralph.stored_lines("gil")
    assert len(stored) == 10 and len({s["id"] for s in stored}) == 10
    judged = [s for s in stored if s["verb"]["id"] in (VERBS["passed"], VERBS["failed"])]
    assert len(judged) == 5
    first = min(judged, key=lambda s: s["result"]["score"]["raw"])
    assert first["verb"]["id"] == VERBS["failed"] and first["result"]["success"] is False   # attempt 0: i % 3 == 0
    assert first["result"]["score"]["raw"] == 60.0 and first["result"]["score"]["scaled"] == 0.6
    assert first["result"]["extensions"][EXT["dose"]]["dap_gycm2"] == 0.5
    assert first["result"]["extensions"][EXT["cusum"]]["attempt_number"] == 1
    assert first["context"]["registration"] == first["context"]["registration"].lower()
    # Ralph's strict xAPI 1.0.3 statement model (the LRS itself parses leniently) accepts every statement
    with open_store(db) as st:
        rows = [json.loads(r[0]) for r in st.conn.execute("SELECT statement_json FROM xapi_outbox")]
    check = ("import json, sys\n"
             "from ralph.models.xapi.base.statements import BaseXapiStatement\n"
             "for line in sys.stdin:\n"
             "    BaseXapiStatement(**json.loads(line))\n"
             "    print('valid')\n")
    r = subprocess.run([str(ralph.exe.parent / "python"), "-c", check],
                       input="\n".join(json.dumps(x) for x in rows) + "\n", capture_output=True, text=True,
                       env=ralph.env, timeout=120, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["valid"] * 10
    # a second push sends nothing; the LRS still holds each statement once
    assert main(args) == 0
    assert "0 statement(s) sent, 0 already there" in capsys.readouterr().out
    assert len(ralph.stored_lines("gil")) == 10


def test_the_lrs_going_away_mid_push_loses_nothing_and_duplicates_nothing(ralph, tmp_path):
    db = tmp_path / "site-a.sqlite3"
    _fill(db, 30, "jon")                          # 60 statements: batches of 25
    client = LrsClient(ralph.endpoint, KEY, SECRET, timeout_s=5)
    batches = []

    def lrs_goes_away(result):
        batches.append(result.sent)
        ralph.stop()                              # after the first accepted batch

    with open_store(db) as st:
        r1 = push(st, client, batch=25, retries=2, backoff_s=0.1, on_batch=lrs_goes_away)
        assert batches == [25] and r1.sent == 25 and r1.error and "unreachable" in r1.error
        assert st.outbox_counts() == {"sent": 25, "pending": 35}
        # the LRS is down: nothing is sent, nothing is lost
        r2 = push(st, client, retries=1)
        assert r2.sent == 0 and r2.error and st.outbox_counts()["pending"] == 35
        ralph.start()
        # a reply lost on the way back: the LRS stored a statement the store thinks unsent
        lost = st.conn.execute("SELECT statement_id FROM xapi_outbox WHERE sent_at IS NOT NULL LIMIT 3").fetchall()
        st.conn.executemany("UPDATE xapi_outbox SET sent_at = NULL WHERE statement_id = ?", lost)
        r3 = push(st, client)
        assert r3.error == "" and r3.sent == 35 and r3.already_there == 3 and r3.rejected == []
        assert st.outbox_counts() == {"sent": 60, "pending": 0}
    stored = ralph.stored_lines("jon")
    assert len(stored) == 60 and len({s["id"] for s in stored}) == 60


def test_pull_brings_another_sites_attempts_into_a_cohort(ralph, tmp_path, capsys):
    a, b, instructor = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3", tmp_path / "instructor.sqlite3"
    _fill(a, 4, "hal")
    _fill(b, 3, "ivy")
    for db in (a, b):
        assert main(["lrs", "push", "--store", str(db), "--endpoint", ralph.endpoint, "--key", KEY,
                     "--secret", SECRET]) == 0
    capsys.readouterr()
    pull_args = ["lrs", "pull", "--store", str(instructor), "--endpoint", ralph.endpoint, "--key", KEY,
                 "--secret", SECRET]
    assert main(pull_args) == 0
    first = capsys.readouterr().out           # the module's LRS also holds the other tests' statements
    assert "attempt(s) added" in first and " 0 attempt(s) added" not in first
    assert main(pull_args) == 0
    assert "0 attempt(s) added" in capsys.readouterr().out
    with open_store(instructor) as st:
        pulled = [x for x in st.attempts() if x.trainee in ("hal", "ivy")]
        assert len(pulled) == 7
        assert st.outbox_counts() == {"sent": 0, "pending": 0}          # pulled attempts are not sent back
    local = []
    for db in (a, b):
        with open_store(db) as st:
            local += st.attempts()
    key = lambda x: x.session_sha256  # noqa: E731
    for p, q in zip(sorted(pulled, key=key), sorted(local, key=key)):
        assert (p.trainee, p.scenario_id, p.started_at, p.passed, p.score, p.uuid) == \
               (q.trainee, q.scenario_id, q.started_at, q.passed, q.score, q.uuid)
        assert p.metrics == q.metrics and p.origin == ralph.endpoint
    strip = lambda rows: [dict(r.items()) for r in rows]  # noqa: E731
    assert strip(cohort_rows(pulled)) == strip(cohort_rows(local))


def test_wrong_credentials_are_one_line_exit_2(ralph, tmp_path):
    db = tmp_path / "a.sqlite3"
    _fill(db, 1, "kim")
    r = subprocess.run([sys.executable, "-m", "trainer.cli", "lrs", "push", "--store", str(db), "--endpoint",
                        ralph.endpoint, "--key", KEY, "--secret", "wrong"], capture_output=True, text=True,
                       cwd=ROOT, check=False, timeout=120)
    assert r.returncode == 2 and "refused the credentials" in r.stderr and "Traceback" not in r.stderr
    with open_store(db) as st:
        assert st.outbox_counts() == {"sent": 0, "pending": 2}


def test_the_trainer_sends_with_the_records_settings(ralph, tmp_path, qtbot):
    from trainer.ui.app import create_window
    from trainer.ui.records_menu import RecordsSettingsDialog
    from trainer.ui.settings import settings_from_path

    db = tmp_path / "gui.sqlite3"
    _fill(db, 2, "lou")
    w = create_window(tmp_path / "sessions", settings_from_path(str(tmp_path / "settings.ini")))
    qtbot.addWidget(w)
    assert w.records.push() is None                           # no endpoint yet: nothing is attempted
    assert w.status.log[-1].startswith("No LRS endpoint set")
    dlg = RecordsSettingsDialog(w.settings, w)
    dlg.store.setText(str(db))
    dlg.endpoint.setText(ralph.endpoint)
    dlg.key.setText(KEY)
    dlg.secret.setText(SECRET)
    dlg.save()
    thread = w.records.push()
    thread.join(timeout=60)
    outcome = lambda: [t for t in w.status.log if t.startswith(("Sent", "LRS:"))]  # noqa: E731
    qtbot.waitUntil(lambda: bool(outcome()), timeout=10000)   # the status bar reports
    assert outcome() == ["Sent 4 statement(s) to the LRS (0 already there, 0 queued)"]
    assert len(ralph.stored_lines("lou")) == 4
    with open_store(db) as st:
        assert st.outbox_counts() == {"sent": 4, "pending": 0}
