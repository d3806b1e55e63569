"""Session files given to ``vptrainer assess``: a malformed, forged or hostile session is one
clear error (exit 2) or, for a scenario that differs from the built-in of its id, a warning;
never a traceback, never a silent wrong score (issue 18).  Listed in docs/bad-input.md."""

import json
import os
import shutil

import pytest

from trainer.cli import main
from trainer.core.session.log import (
    GENESIS,
    SessionWriter,
    canonical_json,
    encode_line,
    make_header,
)
from trainer.core.session.reader import read_session

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
SHORT = ('{"type": "decide", "item": "candidacy", "answer": "proceed"}\n{"type": "carm", "preset": "ap"}\n'
         '{"type": "shot"}\n{"type": "advance", "mm": 1e400}\n{"type": "wait", "s": 5}\n')


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    d = tmp_path_factory.mktemp("s")
    acts = d / "a.jsonl"
    acts.write_text(SHORT)
    p = d / "s.jsonl"
    assert main(["play", "l1-wedge-default", "--actions", str(acts), "--out", str(p), "--pixels", "64"]) == 0
    return p


def _assess(capsys, path, *extra):
    rc = main(["assess", str(path), *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and len(err) < 3000
    return rc, out, err


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def _rechain(objs):
    prev, out = GENESIS, []
    for o in objs:
        text, prev = encode_line(prev, o, objs[0]["version"])
        out.append(text)
    return out


def _header_edit(session, tmp_path, fn, rechain=False):
    lines = _lines(session)
    h = json.loads(lines[0])
    fn(h)
    if rechain:
        objs = [h] + [json.loads(x) for x in lines[1:]]
        lines = _rechain(objs)
    else:
        lines[0] = canonical_json(h)
    p = tmp_path / "edited.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _set(key, value):
    def f(h):
        h[key] = value
    return f


def _del(key):
    def f(h):
        h.pop(key, None)
    return f


#: Header fields of the wrong type or range: (case id, edit, word in the message)
HEADER_CASES = [
    ("seed_missing", _del("seed"), "seed"),
    ("seed_string", _set("seed", "7"), "seed"),
    ("seed_negative", _set("seed", -1), "seed"),
    ("seed_float", _set("seed", 7.5), "seed"),
    ("seed_bool", _set("seed", True), "seed"),
    ("seed_huge", _set("seed", 10**40), "seed"),
    ("seed_nan", _set("seed", float("nan")), "seed"),
    ("seed_null", _set("seed", None), "seed"),
    ("options_list", _set("options", [1]), "options"),
    ("options_string", _set("options", "pixels=64"), "options"),
    ("options_unknown", _set("options", {"god_mode": True}), "options.god_mode"),
    ("options_pixels_string", _set("options", {"pixels": "64"}), "options.pixels"),
    ("options_pixels_huge", _set("options", {"pixels": 100000}), "options.pixels"),
    ("options_pixels_nan", _set("options", {"pixels": float("nan")}), "options.pixels"),
    ("scenario_toml_number", _set("scenario_toml", 42), "scenario_toml"),
    ("scenario_toml_list", _set("scenario_toml", ["[scenario]"]), "scenario_toml"),
    ("scenario_toml_missing", _del("scenario_toml"), "scenario_toml"),
    ("scenario_toml_empty", _set("scenario_toml", ""), "scenario_toml"),
    ("sha_missing", _del("scenario_sha256"), "scenario_sha256"),
    ("sha_not_hex", _set("scenario_sha256", "z" * 64), "scenario_sha256"),
    ("scenario_id_path", _set("scenario_id", "../../etc/passwd"), "scenario_id"),
    ("scenario_id_number", _set("scenario_id", 3), "scenario_id"),
    ("scenario_path_number", _set("scenario_path", 3), "scenario_path"),
    ("trainee_object", _set("trainee", {"name": "x"}), "trainee"),
    ("version_99", _set("version", 99), "version"),
    ("version_string", _set("version", "2"), "version"),
    ("version_bool", _set("version", True), "version"),
    ("format_other", _set("format", "other"), "format"),
    ("kind_action", _set("kind", "action"), "header"),
]


@pytest.mark.parametrize("case", HEADER_CASES, ids=[c[0] for c in HEADER_CASES])
def test_a_bad_header_field_is_named(session, tmp_path, capsys, case):
    _, fn, word = case
    p = _header_edit(session, tmp_path, fn)
    rc, _, err = _assess(capsys, p)
    assert rc == 2 and f"{p}:1:" in err and word in err and err.count("\n") == 1


def _raw_case(session, kind):
    lines = _lines(session)
    if kind == "duplicate_key_header":
        return lines[0][:-1] + ',"seed":0}' + "\n" + "\n".join(lines[1:]) + "\n"
    if kind == "duplicate_key_action":
        lines[2] = '{"accepted":false,' + lines[2][1:]
        return "\n".join(lines) + "\n"
    if kind == "deep_nesting":
        return lines[0] + "\n" + '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n"
    if kind == "int_5000_digits":
        return lines[0] + "\n" + '{"kind":"action","seq":' + "9" * 5000 + "}\n"
    if kind == "huge_line":
        return lines[0] + "\n" + '{"x":"' + "a" * 5_000_000 + '"}\n'
    if kind == "not_json":
        return lines[0] + "\nhello\n"
    if kind == "array_line":
        return lines[0] + "\n[1,2]\n"
    if kind == "action_wrong_kind":
        o = json.loads(lines[1])
        o["kind"] = "note"
        return "\n".join([lines[0], canonical_json(o), *lines[2:]]) + "\n"
    if kind == "action_missing_accepted":
        o = json.loads(lines[1])
        del o["accepted"]
        return "\n".join([lines[0], canonical_json(o), *lines[2:]]) + "\n"
    if kind == "seq_forged":
        objs = [json.loads(x) for x in lines]
        objs[2]["seq"] = 7
        return "\n".join(_rechain(objs)) + "\n"
    if kind == "reordered_lines":
        return "\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n"
    if kind == "whitespace_edit":
        return "\n".join([lines[0], lines[1].replace(":", ": ", 1), *lines[2:]]) + "\n"
    if kind == "empty":
        return ""
    if kind == "blank_line":
        return lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n"
    if kind == "garbage":
        return "\x89PNG\r\n\x1a\n"
    if kind == "header_only_no_newline":
        return lines[0]
    if kind == "nul_bytes":
        return "\0" * 64 + "\n"
    raise AssertionError(kind)


RAW_CASES = ["duplicate_key_header", "duplicate_key_action", "deep_nesting", "int_5000_digits", "huge_line",
             "not_json", "array_line", "action_wrong_kind", "action_missing_accepted", "seq_forged",
             "reordered_lines", "whitespace_edit", "empty", "blank_line", "garbage", "header_only_no_newline",
             "nul_bytes"]       # CR LF line ends: assessed (test_a_session_whose_line_ends_became_crlf_...)


@pytest.mark.parametrize("kind", RAW_CASES)
def test_a_malformed_or_forged_session_is_one_error(session, tmp_path, capsys, kind):
    p = tmp_path / f"{kind}.jsonl"
    p.write_text(_raw_case(session, kind), encoding="utf-8")
    rc, out, err = _assess(capsys, p)
    assert rc == 2 and out == "" and str(p) in err and err.count("\n") == 1


def test_a_session_whose_line_ends_became_crlf_is_assessed_as_its_lf_file(session, tmp_path, capsys):
    """firstuse37: a session carried through Windows (an editor, a mail program, git's autocrlf) was refused as
    "hash chain broken ...; the session was edited"; round 37 named the mend (dos2unix), round 38 verifies each
    line without its CR and assesses it, with one note.  Oracle: the LF file it came from (its report, its exit
    status); a CR LF file whose content was also edited is still "edited".  tests/cli/test_assess_crlf.py: seals,
    replayed images, mixed line ends, the batch, resume."""
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(session.read_bytes().replace(b"\n", b"\r\n"))
    (rc_c, out_c, err_c), (rc_s, out_s, err_s) = _assess(capsys, crlf), _assess(capsys, session)
    assert rc_c == rc_s == 3 and out_c.replace(str(crlf), "S") == out_s.replace(str(session), "S")
    assert [ln for ln in err_c.splitlines() if ln not in err_s] == [
        f"vptrainer assess: note: {crlf}: its lines end in CR LF (Windows line ends, from an editor, a mail program "
        "or git on the way), not the LF it was written with: the content was verified without the CR"]
    edited = tmp_path / "edited.jsonl"
    edited.write_bytes(crlf.read_bytes().replace(b"Retired", b"Tired", 1))
    rc, _out, err = _assess(capsys, edited)
    assert rc == 2 and "the session was edited" in err and "CR LF" in err and "dos2unix" not in err, err


def test_not_utf8_missing_and_folder(session, tmp_path, capsys):
    p = tmp_path / "latin1.jsonl"
    p.write_bytes(session.read_bytes().replace(b"Retired", b"Retir\xe9d", 1))
    for path in (p, tmp_path / "missing.jsonl", tmp_path):
        rc, out, err = _assess(capsys, path)
        assert rc == 2 and out == "" and err.count("\n") == 1


def test_an_edited_embedded_scenario_under_a_builtin_id_is_reported(session, tmp_path, capsys):
    """A forger edits the embedded text, fixes its sha256 and re-chains: the score is of the edited text,
    and assess says so instead of presenting it as the built-in case."""
    import hashlib

    def edit(h):
        h["scenario_toml"] = h["scenario_toml"].replace("inr = 1.0", "inr = 1.1")
        h["scenario_sha256"] = hashlib.sha256(h["scenario_toml"].encode()).hexdigest()

    p = _header_edit(session, tmp_path, edit, rechain=True)
    rc, out, err = _assess(capsys, p, "--json")
    assert rc == 3 and "differs from the built-in scenario 'l1-wedge-default'" in err
    assert json.loads(out)["session"]["scenario_matches_builtin"] is False
    rc, out, err = _assess(capsys, session, "--json")
    assert rc == 3 and "WARNING" not in err and json.loads(out)["session"]["scenario_matches_builtin"] is True


def test_the_batch_row_of_an_edited_builtin_session_carries_the_warning(session, tmp_path, capsys):
    """Round 38: the batch's row said nothing of it (only the one-file assess printed the warning); the row now
    carries it, as it carries an edited scenario file's, in its notes (round 40: one column, ``message`` is for a
    row without a score).  Oracle: the one-file assess's warning."""
    import csv
    import hashlib

    def edit(h):
        h["scenario_toml"] = h["scenario_toml"].replace("inr = 1.0", "inr = 1.1")
        h["scenario_sha256"] = hashlib.sha256(h["scenario_toml"].encode()).hexdigest()

    p = _header_edit(session, tmp_path, edit, rechain=True)
    _rc, out, err = _assess(capsys, p)
    (warning,) = [ln.split("WARNING: ", 1)[1] for ln in err.splitlines() if "WARNING: " in ln]
    unfinished = next(ln for ln in out.splitlines() if ln.startswith("UNFINISHED: "))   # stdout's first line of it
    rows = {}
    for name in ("edited", "plain"):
        out = tmp_path / f"{name}.csv"
        assert main(["assess", str(p if name == "edited" else session), "--csv", str(out)]) == 3
        (rows[name],) = csv.DictReader(out.open(encoding="utf-8"))
    capsys.readouterr()
    assert rows["edited"]["notes"].split(" | ") == [f"WARNING: {warning}", unfinished]
    assert rows["plain"]["notes"] == unfinished
    assert rows["edited"]["message"] == rows["plain"]["message"] == ""


def test_an_error_in_the_embedded_scenario_names_the_session_not_the_builtin_file(session, tmp_path, capsys):
    import hashlib

    def edit(h):
        h["scenario_toml"] = h["scenario_toml"].replace("inr = 1.0", "inr = nan")
        h["scenario_sha256"] = hashlib.sha256(h["scenario_toml"].encode()).hexdigest()

    p = _header_edit(session, tmp_path, edit, rechain=True)
    rc, _, err = _assess(capsys, p)
    assert rc == 2 and f"{p}: embedded scenario 'l1-wedge-default'" in err and "inr" in err
    assert "scenarios/l1-wedge-default.toml" not in err


def test_a_crash_cut_last_line_is_reported_in_text_mode(session, tmp_path, capsys):
    raw = session.read_bytes()
    p = tmp_path / "cut.jsonl"
    p.write_bytes(raw[: len(raw) - 20])
    rc, _out, err = _assess(capsys, p)
    assert rc == 3 and "cut off" in err


def test_a_version_1_session_is_still_read(tmp_path):
    """Sessions written before issue 18 (version 1: the chain hashes the re-serialised object)."""
    from trainer.core.scenario.loader import load_scenario

    sc = load_scenario("l1-wedge-default")
    h = make_header(sc, 7, "old", "2026-01-01T00:00:00+00:00")
    h["version"] = 1
    p = tmp_path / "v1.jsonl"
    with SessionWriter(p, header=h, version=1):
        pass
    line = json.loads(p.read_text())
    assert list(line)[-1] != "hash"                           # version 1: sorted keys, hash inside
    rec = read_session(p)
    assert rec.version == 1 and rec.header["trainee"] == "old"


# ------------------------------------------------------------------ CT paths in a session
@pytest.fixture(scope="module")
def ct_session(tmp_path_factory):
    d = tmp_path_factory.mktemp("ct")
    assert main(["phantom", "--out", str(d / "ct"), "--voxel-mm", "2"]) == 0
    assert main(["scenarios", "import-ct", str(d / "ct"), "--level", "L1", "--out", str(d / "case.toml")]) == 0
    acts = d / "a.jsonl"
    acts.write_text('{"type": "carm", "preset": "ap"}\n')
    assert main(["play", str(d / "case.toml"), "--actions", str(acts), "--out", str(d / "s.jsonl"),
                 "--pixels", "64"]) == 0
    return d


def test_ct_paths_resolve_next_to_the_session_never_where_the_header_points(ct_session, tmp_path, capsys,
                                                                            monkeypatch):
    d = ct_session
    capsys.readouterr()
    # next to the session, from another working directory, with a relative session path
    monkeypatch.chdir(tmp_path)
    rel = os.path.relpath(d / "s.jsonl", tmp_path)
    rc, _, err = _assess(capsys, rel)
    assert rc == 3, err  # 3: scored, but the session is unfinished
    # the session moved away from its CT: refused, naming the folder searched and --ct-root
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(d / "s.jsonl", moved / "s.jsonl")
    rc, _, err = _assess(capsys, moved / "s.jsonl")
    assert rc == 2 and "ct.folder" in err and "--ct-root" in err and str(moved) in err
    # ... although the header still names the original scenario file, which is never followed
    assert json.loads((moved / "s.jsonl").read_text().splitlines()[0])["scenario_path"] == str(d / "case.toml")
    rc, _, err = _assess(capsys, moved / "s.jsonl", "--ct-root", str(d))
    assert rc == 3, err  # 3: scored, but the session is unfinished
    # a symlink next to the session that points out of the allowed folder is not followed
    (moved / "ct").symlink_to(d / "ct")
    rc, _, err = _assess(capsys, moved / "s.jsonl")
    assert rc == 2 and "ct.folder" in err


# ------------------------------------------------------------------ CT session saved outside the CT's folder
@pytest.fixture(scope="module")
def ct_case_elsewhere(tmp_path_factory):
    """A CT case in cases/case1/ (scenario + series) and an unfinished session of it in sessions/ (as the GUI saves)."""
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.session.live import LiveSession

    d = tmp_path_factory.mktemp("ctelse")
    case = d / "cases" / "case1"
    case.mkdir(parents=True)
    assert main(["phantom", "--out", str(case / "ct"), "--voxel-mm", "2"]) == 0
    assert main(["scenarios", "import-ct", str(case / "ct"), "--level", "L1", "--out", str(case / "case.toml")]) == 0
    (d / "sessions").mkdir()
    sess = d / "sessions" / "s.jsonl"
    with LiveSession(load_scenario(case / "case.toml"), sess, pixels=64, render=False,
                     started_at="2026-01-01T00:00:00+00:00") as live:
        assert live.apply({"type": "carm", "preset": "ap"}).accepted
        assert live.apply({"type": "decide", "item": "candidacy", "answer": "proceed"}).accepted
    return d, case, sess


def test_a_ct_session_saved_elsewhere_resumes_with_the_users_scenario_folder(ct_case_elsewhere, tmp_path,
                                                                             monkeypatch):
    from trainer.core.errors import ScenarioError
    from trainer.core.session.live import LiveSession

    d, case, sess = ct_case_elsewhere
    work = tmp_path / "sess.jsonl"
    shutil.copy(sess, work)
    monkeypatch.chdir(tmp_path / "..")                    # another working directory
    # the header's path alone is never followed
    with pytest.raises(ScenarioError, match="looked up in") as exc:
        LiveSession.resume(work, render=False)
    assert "ct.folder" in str(exc.value) and str(case) not in str(exc.value).split("looked up in")[1]
    # a folder the user trusts (the GUI's scenario folders): the case's own folder or one above it
    for root in (case, d / "cases"):
        live = LiveSession.resume(work, render=False, allowed_roots=[root])
        assert live.procedure.accepted_count == read_session(work).n_entries      # every line replayed
        assert live.apply({"type": "carm", "preset": "lateral"}).accepted
        live.close()
    rec = read_session(work)
    assert rec.n_entries == 4 and [e["seq"] for e in rec.iter_entries()] == [1, 2, 3, 4]


def test_assess_finds_a_ct_inside_ct_root_from_another_directory_and_never_outside(ct_case_elsewhere, tmp_path,
                                                                                   capsys, monkeypatch):
    d, case, sess = ct_case_elsewhere
    monkeypatch.chdir(tmp_path)
    rel_sess = os.path.relpath(sess, tmp_path)
    rel_root = os.path.relpath(d / "cases", tmp_path)
    # --ct-root above the case: the header's scenario file lies inside it and holds the embedded text
    rc, _, err = _assess(capsys, rel_sess, "--ct-root", rel_root)
    assert rc == 3, err                                   # scored; unfinished
    rc, _, err = _assess(capsys, rel_sess, "--ct-root", os.path.relpath(case, tmp_path))
    assert rc == 3, err
    # a root that does not hold the case: refused, naming every folder searched
    other = tmp_path / "other"
    other.mkdir()
    rc, _, err = _assess(capsys, rel_sess, "--ct-root", str(other))
    assert rc == 2 and "ct.folder" in err and str(other) in err
    # the scenario file at the header's path was changed: the hint is not used; since round 22 the
    # series is found inside the root by the fingerprint the session recorded, and assess says so
    text = (case / "case.toml").read_text()
    try:
        (case / "case.toml").write_text(text + "\n# edited\n")
        rc, _, err = _assess(capsys, rel_sess, "--ct-root", rel_root)
        assert rc == 3 and "found by the fingerprint the session recorded" in err, err
    finally:
        (case / "case.toml").write_text(text)
