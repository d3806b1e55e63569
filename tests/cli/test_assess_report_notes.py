"""The HTML and PDF debrief written by ``assess --html/--pdf`` carry the warnings and notes ``assess`` prints for
the session, in its words, in an "Assessment notes" block near the top (round 38): a report handed to a trainee or
filed for an exam says that it was scored against the recorded copy of a case edited since.  A session with no
note gets no block.

Oracles: the warning line ``assess`` printed on stderr; the PDF's text as poppler's ``pdftotext`` reads it.
"""

import html
import shutil
import subprocess
import unicodedata

import pytest
from assess_cases import edit_title, run_assess, session_on_a_copy

from trainer.core.anatomy.cache import cached_patient
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring.validity import EXPERT, play
from trainer.core.session.live import LiveSession
from trainer.core.session.seal import ENV_VAR

PREFIX = "vptrainer assess: WARNING: "


@pytest.fixture(autouse=True)
def no_env_key(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def _squash(text: str) -> str:
    """The text without white space (the PDF wraps a long line, and a long path, where it fits) and with the font's
    ligatures (fi, ff as one glyph) spelt out."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def test_an_edited_case_s_warning_is_in_the_html_and_the_pdf(tmp_path, capsys):
    toml, sess = session_on_a_copy(tmp_path, "cases & <notes>")      # a folder name that must be escaped in the HTML
    edit_title(toml)
    capsys.readouterr()
    out_html, out_pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    rc, _out, err = run_assess(capsys, sess, "--html", out_html, "--pdf", out_pdf)
    assert rc == 3, err
    (line,) = [ln for ln in err.splitlines() if ln.startswith(PREFIX)]
    warning = line[len(PREFIX):]
    assert "has changed since" in warning and "<notes>" in warning
    page = out_html.read_text(encoding="utf-8")
    assert "Assessment notes" in page
    assert html.escape(warning) in page                      # the same words, escaped
    assert "<notes>" not in page                             # nothing from the session goes in raw
    assert page.index("Assessment notes") < page.index("Summary")
    assert "UNFINISHED:</b> the session has no accepted finish" in page
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is installed by tools/setup.sh --test"
    pdf_text = subprocess.run(["pdftotext", "-layout", str(out_pdf), "-"], check=True, capture_output=True,
                              text=True).stdout
    assert "Assessment notes" in pdf_text
    assert _squash("WARNING: " + warning) in _squash(pdf_text)


def test_a_plain_session_s_report_has_no_notes_block_and_its_crlf_copy_s_has_one(tmp_path, capsys):
    """A finished session with nothing to note: no block.  The same bytes with CR LF line ends: a block with the
    line-ends note (and nothing else: it is finished)."""
    sc = load_scenario("l1-wedge-default")
    sess = tmp_path / "plain.jsonl"
    with LiveSession(sc, sess, seed=0, trainee="resident-b", render=False, patient=cached_patient(sc.anatomy),
                     started_at="2026-01-01T00:00:00Z") as live:
        play(sc, None, 0, EXPERT, live=live)
    rc, _out, err = run_assess(capsys, sess, "--html", tmp_path / "plain.html")
    assert rc == 0, err
    assert "vptrainer assess:" not in err, err               # assess printed no warning or note
    page = (tmp_path / "plain.html").read_text(encoding="utf-8")
    assert "Vertebroplasty debrief" in page
    assert "Assessment notes" not in page

    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))
    rc, _out, err = run_assess(capsys, crlf, "--html", tmp_path / "crlf.html")
    assert rc == 0, err
    (line,) = err.splitlines()
    assert line.startswith("vptrainer assess: note: ") and "CR LF" in line
    page = (tmp_path / "crlf.html").read_text(encoding="utf-8")
    assert "Assessment notes" in page
    assert f"<li><b>note:</b> {html.escape(line.split('note: ', 1)[1])}</li>" in page
    block = page[page.index("Assessment notes"):]
    assert block[:block.index("</table>")].count("<li>") == 1
