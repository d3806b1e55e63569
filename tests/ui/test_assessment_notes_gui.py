"""The GUI says what ``vptrainer assess`` says about a session file (issue 12, round 39): a resumed session whose
line ends became CR LF on the way and whose scenario file the instructor edited since is resumed with the notes
above the images, its debrief and its review show the notes at the top, and the attempt the trainee store keeps
shows them when it is opened later from the cohort view.  Until round 39 each of these accepted such a file
silently.

Oracle: the lines ``vptrainer assess SESSION --ct-root CASES`` prints on stderr for the same file (after
``vptrainer assess: ``), run when the GUI shows its notes; the GUI's words must be exactly those.
"""

from __future__ import annotations

import html
import re

import pytest
from cli.assess_cases import edit_title, session_on_a_copy
from PySide6.QtCore import Qt

from trainer.cli import main as cli_main
from trainer.ui.app import startup
from trainer.ui.resume import ResumeOffer

PREFIX = "vptrainer assess: "


def on_screen(root) -> str:
    """The text of every label visible in ``root`` now, as plain text (what a user reads)."""
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QLabel

    doc = QTextDocument()
    out = []
    for lab in [root, *root.findChildren(QLabel)] if isinstance(root, QLabel) else root.findChildren(QLabel):
        if lab.isVisible():
            if lab.textFormat() == Qt.TextFormat.PlainText:
                doc.setPlainText(lab.text())
            else:
                doc.setHtml(lab.text())
            out.append(doc.toPlainText())
    return "\n".join(out)


def shows_each(root, lines) -> list[str]:
    """The lines of ``lines`` that no visible label of ``root`` shows (none: all are on screen)."""
    text = on_screen(root)
    return [ln for ln in lines if ln not in text]


def assess_lines(capsys, session, cases) -> list[str]:
    """What ``assess`` prints on stderr about ``session``, prefix dropped (the scenario file is looked for in
    ``cases``, where the GUI's user opened it)."""
    capsys.readouterr()
    cli_main(["assess", str(session), "--ct-root", str(cases)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [ln.removeprefix(PREFIX) for ln in err.splitlines() if ln.startswith(PREFIX)]


@pytest.fixture
def crlf_session(tmp_path, session_dir, ui_settings):
    """carl's unfinished session on the instructor's ``cases/mycase.toml``, copied into the GUI's session folder
    with CR LF line ends, the case file edited since; the GUI's user opened cases from ``cases`` before and keeps
    the trainee store in this test's folder."""
    toml, sess = session_on_a_copy(tmp_path)
    dest = session_dir / "carl.jsonl"
    dest.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))
    sess.unlink()                                        # the only copy is the GUI's
    edit_title(toml)
    ui_settings.remember_scenario_folder(toml.parent)
    ui_settings.qsettings.setValue("records/store_path", str(tmp_path / "records.sqlite3"))
    return dest, toml.parent


def test_a_resumed_crlf_session_on_an_edited_case_says_so_then_its_debrief_review_and_record_do(
        make_window, crlf_session, capsys, qtbot):
    session, cases = crlf_session
    before = assess_lines(capsys, session, cases)
    assert any(ln.startswith("WARNING: the scenario file") for ln in before), before     # the setting is real
    assert any("in CR LF" in ln for ln in before), before

    w, d = make_window()
    w.resize(1500, 950)
    w.show()
    offer = startup(w)
    assert isinstance(offer, ResumeOffer) and offer.unfinished.path == session
    assert [ln for ln in before if f"• {ln}" not in offer.text()] == []      # said before the choice
    d.click(offer.resume_button)
    d.wait_until(lambda: w.view is not None, "the resumed session")
    assert shows_each(w, before) == []                  # on screen, in assess's words
    banner = w.session_notes
    assert banner.isVisible() and banner.lines() == before
    assert w.status.log[-1].endswith(f"{len(before)} note(s) on its file above the images."), w.status.log[-1]

    d.finish()
    after = assess_lines(capsys, session, cases)         # the finished file: now partly CR LF
    assert any("3 of its 4 lines end in CR LF" in ln for ln in after), after
    assert shows_each(w, after) == []
    deb = w.debrief
    assert deb.notes.isVisible() and deb.notes.lines() == after
    assert [f"{n['label']}: {n['text']}" for n in deb.report_json["assessment_notes"]] == after

    printed = []                                         # the PDF the debrief saves is this HTML
    w.controller.debrief_html(printed.append)
    d.wait_until(lambda: printed, "the debrief's HTML")
    assert [ln for ln in after if ln not in html.unescape(re.sub(r"<[^>]+>", "", printed[0]))] == []

    qtbot.mouseClick(deb.review_button, Qt.MouseButton.LeftButton)
    review = w.review
    d.wait_until(lambda: review.moment is not None, "the review's last moment")
    assert shows_each(review, after) == []
    assert review.notes.isVisible() and review.notes.lines() == after

    # a later look at the record: Records > Cohort, the trainee, a double-click on the attempt
    cohort = w.records.open_window("cohort")
    qtbot.addWidget(cohort)
    qtbot.waitExposed(cohort)
    cohort.select_trainee("carl")
    assert cohort.attempts_table.rowCount() == 1
    notes_cell = cohort.attempts_table.item(0, 6)                            # the Notes column
    assert notes_cell.text() == "1 warning, 1 note" and notes_cell.toolTip().splitlines() == after
    rect = cohort.attempts_table.visualItemRect(cohort.attempts_table.item(0, 0))
    port = cohort.attempts_table.viewport()
    qtbot.mouseClick(port, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(port, Qt.MouseButton.LeftButton, pos=rect.center())
    stored = cohort.debriefs[-1]
    qtbot.addWidget(stored)
    assert shows_each(stored, after) == []
    assert stored.notes.isVisible() and stored.notes.lines() == after


def test_the_resume_offer_of_a_linked_session_names_the_link_and_its_file_as_assess_does(
        make_window, tmp_path, session_dir, ui_settings, capsys):
    """A ``*.jsonl`` link in the sessions folder to carl's session kept in ``cases`` (CR LF, his case edited since):
    the resume offer says what ``assess`` says of the link, each note naming the link and then the file it leads to
    (round 41; before, both named the link only, while the trainee store records the file)."""
    import os

    toml, sess = session_on_a_copy(tmp_path)
    sess.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))
    edit_title(toml)
    link = session_dir / "carl.jsonl"
    os.symlink(sess, link)
    ui_settings.remember_scenario_folder(toml.parent)
    said = assess_lines(capsys, link, toml.parent)
    assert sum(f"{link} (linked to {sess})" in ln for ln in said) == 2, said      # failed before: the link only
    w, _d = make_window()
    offer = startup(w)
    assert isinstance(offer, ResumeOffer) and offer.unfinished.path == link
    assert [ln for ln in said if f"• {ln}" not in offer.text()] == []


def test_the_resume_offer_names_a_non_utf8_link_as_assess_does(make_window, tmp_path, session_dir, ui_settings, capsys):
    """A link named ``carl\\xff.jsonl`` (a byte that is not UTF-8, from an old Latin-1 disk) in the sessions folder
    to carl's session: the offer shows the name and each line ``assess`` prints, the byte as its escape
    ``\\udcff`` (hostile41: Qt dropped the byte, so the offer named ``carl.jsonl``, a file that is not there, and its
    notes did not say what ``assess`` says)."""
    import os

    toml, sess = session_on_a_copy(tmp_path)
    sess.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))
    edit_title(toml)
    link = session_dir / os.fsdecode(b"carl\xff.jsonl")
    os.symlink(sess, link)
    ui_settings.remember_scenario_folder(toml.parent)
    said = assess_lines(capsys, link, toml.parent)
    escaped = f"{session_dir}/carl\\udcff.jsonl (linked to {sess})"          # the escape written out by hand
    assert sum(escaped in ln for ln in said) == 2, said
    w, _d = make_window()
    offer = startup(w)
    assert isinstance(offer, ResumeOffer) and offer.unfinished.path == link
    assert "\ncarl\\udcff.jsonl\n" in offer.text()
    assert [ln for ln in said if f"• {ln}" not in offer.text()] == []
