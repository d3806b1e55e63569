"""The assessment notes as a score report keeps them (trainer/core/session/notes.py): written by ``notes_json``, read
back by ``notes_from_report``; a report without them (written before round 39, or imported from an LRS) and a hand-
edited one with malformed entries read as what they hold, never as an error."""

from trainer.core.session.notes import REPORT_KEY, note_lines, notes_from_report, notes_json

NOTES = [("WARNING", "the scenario file c.toml has changed since s.jsonl was recorded on it; ..."),
         ("note", "s.jsonl: its lines end in CR LF (...)"), ("UNFINISHED", "the session has no accepted finish; ...")]


def test_the_notes_read_back_as_written():
    report = {"score": 12.0, REPORT_KEY: notes_json(NOTES)}
    assert notes_from_report(report) == NOTES
    assert note_lines(notes_from_report(report)) == [f"{label}: {text}" for label, text in NOTES]


def test_a_report_without_notes_or_with_malformed_ones_reads_as_what_it_holds():
    assert notes_from_report({"score": 12.0}) == []                       # before round 39
    assert notes_from_report({REPORT_KEY: None}) == [] and notes_from_report({REPORT_KEY: "WARNING: x"}) == []
    kept = {"label": "note", "text": "kept"}
    assert notes_from_report({REPORT_KEY: [kept, {"label": "note"}, ["note", "x"], {"label": 1, "text": "y"}]}) == [
        ("note", "kept")]
    assert notes_from_report(None) == []
