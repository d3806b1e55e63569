"""Sessions an assessor can rely on (issue 13): unfinished sessions, seals, batch assessment.

Oracles: the documented exit statuses and messages (docs/session-format.md, docs/scoring.md), the
one-file ``assess --json`` score for the batch rows, and hand-made edits of the session bytes
re-chained with the public chain rule (what a trainee without the key can do).
"""

import csv
import json

import pytest

from trainer.cli import main
from trainer.core.anatomy.cache import cached_patient
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring.validity import EXPERT, Variant, play
from trainer.core.session.live import LiveSession
from trainer.core.session.log import encode_line
from trainer.core.session.seal import ENV_VAR, generate_ed25519_key, generate_hmac_key


def record(path, variant=EXPERT, sealer=None, seed=0):
    sc = load_scenario("l1-wedge-default")
    with LiveSession(sc, path, seed=seed, trainee="resident-b", render=False, patient=cached_patient(sc.anatomy),
                     started_at="2026-01-01T00:00:00Z", sealer=sealer) as live:
        play(sc, None, seed, variant, live=live)
    return path


@pytest.fixture(autouse=True)
def no_env_key(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def sealed(tmp_path_factory, hmac_key):
    from trainer.core.session.seal import load_key

    return record(tmp_path_factory.mktemp("s") / "sealed.jsonl", sealer=load_key(hmac_key))


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return record(tmp_path_factory.mktemp("p") / "plain.jsonl")


def rechain(lines: list[dict]) -> str:
    """Re-compute the hash chain of parsed lines as anyone can (no key): the public rule."""
    prev, out = "0" * 64, []
    version = lines[0]["version"]
    for ln in lines:
        body = {k: v for k, v in ln.items() if k not in ("hash", "prev")}
        text, prev = encode_line(prev, body, version)
        out.append(text)
    return "\n".join(out) + "\n"


def parsed(path):
    return [json.loads(t) for t in path.read_text().splitlines()]


def test_a_finished_sealed_session_is_sealed_and_verified(sealed, hmac_key, capsys):
    assert main(["assess", str(sealed), "--seal-key", str(hmac_key)]) == 0
    out = capsys.readouterr().out
    assert "sealed and verified (hmac-sha256" in out and "PASSED" in out


def test_truncated_and_rechained_is_unfinished_never_passed(plain, tmp_path, capsys):
    lines = parsed(plain)
    assert lines[-1]["action"]["type"] == "finish"
    cut = tmp_path / "cut.jsonl"
    cut.write_text(rechain(lines[:-2]))                 # drop the last two lines, including finish
    assert main(["assess", str(cut), "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is False and out["unfinished"] is True and out["session"]["complete"] is False
    assert main(["assess", str(cut)]) == 3
    text = capsys.readouterr().out
    assert "UNFINISHED" in text and "not sealed: hash chain only" in text and "PASSED" not in text


def test_sealed_session_edited_and_rechained_without_the_key_is_tampered(sealed, hmac_key, tmp_path, capsys):
    lines = parsed(sealed)
    i = next(i for i, ln in enumerate(lines) if ln.get("kind") == "action" and ln["action"]["type"] == "inject")
    lines[i]["action"]["ml"] = 0.25                      # claim less cement; the old seal is kept
    bad = tmp_path / "edited.jsonl"
    bad.write_text(rechain(lines))
    assert main(["assess", str(bad), "--seal-key", str(hmac_key)]) == 2
    err = capsys.readouterr().err
    assert f"seal broken at line {i + 1}" in err and "TAMPERED" in err


def test_sealed_session_with_its_seals_stripped_is_only_chained(sealed, hmac_key, tmp_path, capsys):
    lines = [{k: v for k, v in ln.items() if k not in ("seal", "sealed_with")} for ln in parsed(sealed)]
    stripped = tmp_path / "stripped.jsonl"
    stripped.write_text(rechain(lines))
    assert main(["assess", str(stripped), "--seal-key", str(hmac_key)]) == 0
    assert "not sealed: hash chain only" in capsys.readouterr().out
    # an exam assessor requires the seal: then it is tampering
    assert main(["assess", str(stripped), "--seal-key", str(hmac_key), "--require-seal"]) == 2


def test_the_wrong_key_breaks_the_seal(sealed, tmp_path, capsys):
    other = tmp_path / "other.key"
    generate_hmac_key(other)
    assert main(["assess", str(sealed), "--seal-key", str(other)]) == 2
    assert "seal broken at line 1" in capsys.readouterr().err


def test_ed25519_seals_with_the_private_key_and_verifies_with_the_public_one(tmp_path, monkeypatch, capsys):
    priv, pub = tmp_path / "exam.pem", tmp_path / "exam.pub.pem"
    generate_ed25519_key(priv, pub)
    monkeypatch.setenv(ENV_VAR, str(priv))             # the exam workstation names its key in the environment
    path = record(tmp_path / "ed.jsonl", variant=Variant("short", "decisions only", skip=("candidacy",)))
    monkeypatch.delenv(ENV_VAR)
    assert parsed(path)[0]["sealed_with"]["alg"] == "ed25519"
    main(["assess", str(path), "--seal-key", str(pub)])
    assert "sealed and verified (ed25519" in capsys.readouterr().out
    lines = parsed(path)
    lines[0]["trainee"] = "someone-else"
    bad = tmp_path / "ed-edited.jsonl"
    bad.write_text(rechain(lines))
    assert main(["assess", str(bad), "--seal-key", str(pub)]) == 2
    assert "seal broken at line 1" in capsys.readouterr().err


def test_batch_gives_the_same_scores_as_one_by_one_and_reports_a_bad_file(plain, tmp_path, capsys):
    runs = [record(tmp_path / f"s{k}.jsonl", variant=v, seed=k) for k, v in
            enumerate((EXPERT, Variant("early", "runny cement", wait_s=60.0)))]
    runs.append(plain)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"kind": "header"\n')
    single = {}
    for p in runs:
        main(["assess", str(p), "--json"])
        single[str(p)] = json.loads(capsys.readouterr().out)["score"]
    out = tmp_path / "batch.csv"
    code = main(["assess", str(runs[0]), str(runs[1]), str(broken), str(plain), "--csv", str(out), "--jobs", "2"])
    assert code == 2                                     # one file could not be assessed
    rows = list(csv.DictReader(out.open()))
    assert [r["path"] for r in rows] == [str(runs[0]), str(runs[1]), str(broken), str(plain)]
    assert rows[2]["status"] == "error" and "broken.jsonl" in rows[2]["message"]
    for r in (rows[0], rows[1], rows[3]):
        assert float(r["score"]) == pytest.approx(single[r["path"]], abs=0.01)
    assert rows[0]["status"] == "passed" and rows[1]["status"] == "failed"
    assert rows[1]["first_broken_rule"] == "cement_too_early"
    assert "batch" not in capsys.readouterr().out
