"""The typed core service and its process client (issue 11): requests in, typed responses out."""

import threading

import pytest

from trainer.core.scenario.loader import load_scenario
from trainer.core.session.reader import read_session
from trainer.service.core import CoreService, ServiceError
from trainer.service.messages import Applied, Apply, Close, Closed, DebriefHtml, Ready, Resume, Start
from trainer.service.process import CoreClient, CoreCrash, CoreError


def test_the_service_rejects_what_is_not_a_request_by_name():
    svc = CoreService()
    with pytest.raises(ServiceError, match=r"got dict .*accepts only Start, Resume, Apply, DebriefHtml, Close"):
        svc.handle({"type": "shot"})
    with pytest.raises(ServiceError, match="no session is open"):
        svc.handle(Apply({"type": "shot"}))
    with pytest.raises(ServiceError, match="no session is open"):
        svc.handle(DebriefHtml())
    assert svc.handle(Close()) == Closed()


def test_a_session_through_the_service_writes_the_file_and_sends_each_image_once(tmp_path):
    seen = []
    svc = CoreService(progress=lambda f, text: seen.append(f))
    path = tmp_path / "s.jsonl"
    ready = svc.handle(Start(load_scenario(None), path, seed=3, trainee="t", pixels=128))
    assert isinstance(ready, Ready) and ready.path == path and ready.view.shots == 0
    assert seen[-1] == 1.0 and seen == sorted(seen)
    shot = svc.handle(Apply({"type": "shot", "pulses": 1}))
    assert isinstance(shot, Applied) and shot.result.accepted and shot.view.shots == 1
    assert set(shot.view.images) == {"ap"}                   # the new image travels
    moved = svc.handle(Apply({"type": "carm", "orbital_deg": 10.0}))
    assert moved.result.accepted and moved.view.images == {}  # nothing new to draw
    refused = svc.handle(Apply({"type": "inject", "ml": 1.0}))
    assert not refused.result.accepted and refused.view.shots == 1
    with pytest.raises(ServiceError, match="not finished"):
        svc.handle(DebriefHtml())
    svc.handle(Close())
    # the session file holds every action as sent, in order (a refusal replays as a refusal)
    assert [a["type"] for a in read_session(path).actions] == ["shot", "carm", "inject"]


@pytest.fixture
def client():
    c = CoreClient()
    yield c
    c.stop()
    assert c.proc is None


def test_the_client_reports_errors_by_kind_and_survives_them(client, tmp_path):
    bad = tmp_path / "broken.jsonl"
    bad.write_text("not a session\n")
    with pytest.raises(CoreError) as err:
        client.request(Resume(bad))
    assert err.value.kind == "SessionError" and str(bad) in str(err.value)
    with pytest.raises(TypeError, match="not a core request: str"):
        client.request("apply")                                 # never sent
    with pytest.raises(CoreError, match="no session") as err:
        client.request(Apply({"type": "shot"}))                 # the same process answers
    assert err.value.kind == "ServiceError"


def test_a_restart_from_another_thread_ends_the_waiting_request_cleanly(client):
    """The pool thread waits on a build while the GUI thread cancels it (restart)."""
    first_pid = client.proc.pid
    restarted = []

    def progress(fraction, text):
        if not restarted:                                        # cancel from another thread, once
            t = threading.Thread(target=lambda: restarted.append(client.restart()))
            t.start()
            t.join(timeout=30)
            assert not t.is_alive(), "restart blocked on the waiting request"

    with pytest.raises(CoreCrash, match="stopped unexpectedly"):
        client.request(Start(load_scenario(None), None, seed=1), progress=progress)
    assert restarted and client.proc is not None and client.proc.pid != first_pid
    with pytest.raises(CoreError, match="no session"):           # the fresh process answers
        client.request(Apply({"type": "shot"}))
