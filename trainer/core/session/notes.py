"""The assessment notes of a recorded session: the one list ``vptrainer assess`` prints, the debrief shows and
the trainee store keeps.

A note is ``(label, text)``: ``WARNING`` for what changes how the score may be read (the case differs from the
built-in one of its id, or the scenario file the session was recorded on was edited since), ``note`` for what
the reader handled and says (CR LF line ends verified without the CR, a CT series replayed unchecked or found by
its fingerprint in another folder, a cut-off last line dropped), ``UNFINISHED`` for a session without an accepted
finish.  Printed as ``LABEL: text``.  Until round 39 the list was built in ``trainer.commands.assess`` only, and
the GUI (its resume, review and debrief) and the trainee store said none of it (issue 12).

In the score report JSON (``assess --json``, the GUI's report, the store's ``report_json``) the list is
:data:`REPORT_KEY`, a list of ``{"label": ..., "text": ...}`` (:func:`notes_json`, :func:`notes_from_report`).
"""

from __future__ import annotations

from trainer.core.session.reader import SessionRecord, line_ends_note, scenario_warnings

__all__ = ["CSV_NOT_KEPT", "CSV_SEPARATOR", "REPORT_KEY", "UNFINISHED_TEXT", "assessment_notes", "ct_series_found_note",
           "ct_series_unchecked", "note_lines", "notes_csv", "notes_for", "notes_from_report", "notes_json",
           "notes_kept"]

#: The score report JSON's key for the notes (absent from reports written before round 39).
REPORT_KEY = "assessment_notes"

#: the ``notes`` cell of ``vptrainer progress TRAINEE --csv`` for an attempt recorded before the store kept the notes
#: (round 39): none kept, which is not "none to say" (an empty cell)
CSV_NOT_KEPT = "(not kept: recorded before round 39)"
#: between the note lines of one ``notes`` cell (a note line holds no newline of its own words; a path may)
CSV_SEPARATOR = " | "

UNFINISHED_TEXT = "the session has no accepted finish; it is not passed (the score below is progress only)"


def ct_series_found_note(record: SessionRecord, scenario) -> str:
    """One line saying that the session's CT series was found by its fingerprint, not under its scenario's name."""
    named = (scenario.data.get("ct") or {}).get("folder")
    return (f"{record.path}: the CT series was found by the fingerprint the session recorded in "
            f"{record.ct_series_found}, not in the folder its scenario names ({named!r}); its slices match "
            "the recorded SHA-256")


def ct_series_unchecked(record: SessionRecord, scenario) -> bool:
    """A patient-CT session recorded without the series' fingerprint (before round 9): replayed on the series as
    it is now, unchecked."""
    return getattr(scenario, "ct", None) is not None and "ct_series" not in record.header


def assessment_notes(record: SessionRecord, scenario, warnings=(), session=None,
                     unfinished: bool = False) -> list[tuple[str, str]]:
    """The notes on one session, ``(label, text)`` in the order ``assess`` prints them.

    Parameters
    ----------
    record : SessionRecord
        As read (its ``crlf_lines``, ``truncated`` and, once :meth:`~SessionRecord.scenario` ran,
        ``ct_series_found``).
    scenario : Scenario
        The scenario the session is replayed on (its ``[ct] folder`` names the series).
    warnings : iterable of str
        The case warnings (:func:`~trainer.core.session.reader.scenario_warnings`; None entries are skipped),
        each a ``WARNING``.
    session : str or Path, optional
        How the session file is named in the text (default: ``record.path``).
    unfinished : bool
        Add the ``UNFINISHED`` note last (the debrief's and the store's list; ``assess`` prints that one on
        stdout).
    """
    session = record.path if session is None else session
    notes = [("WARNING", w) for w in warnings if w]
    crlf = line_ends_note(record)
    if crlf:
        notes.append(("note", crlf))
    if ct_series_unchecked(record, scenario):
        notes.append(("note", f"{session} was recorded without a CT series fingerprint (before round 9): it is "
                              "replayed on the series as it is now, unchecked"))
    if record.ct_series_found is not None:
        notes.append(("note", ct_series_found_note(record, scenario)))
    if record.truncated:
        notes.append(("note", f"the last line of {session} was cut off (a crash while writing); it was dropped "
                              "and the session scored up to the last whole line"))
    if unfinished:
        notes.append(("UNFINISHED", UNFINISHED_TEXT))
    return notes


def notes_for(record: SessionRecord, scenario, ct_root=None, allowed_roots=(),
              unfinished: bool = False) -> list[tuple[str, str]]:
    """:func:`assessment_notes` with the case warnings read here: the scenario file is looked for inside
    ``ct_root`` (default: the session's folder) and ``allowed_roots`` (the GUI's trusted scenario folders), as
    :meth:`SessionRecord.scenario_file` does."""
    return assessment_notes(record, scenario, scenario_warnings(record, ct_root, allowed_roots),
                            unfinished=unfinished)


def note_lines(notes) -> list[str]:
    """Each note as the line shown: ``LABEL: text`` (``assess`` prefixes its stderr lines with its name)."""
    return [f"{label}: {text}" for label, text in notes]


def notes_json(notes) -> list[dict]:
    """The notes as the report JSON keeps them (:data:`REPORT_KEY`)."""
    return [{"label": str(label), "text": str(text)} for label, text in notes]


def notes_from_report(report: dict) -> list[tuple[str, str]]:
    """The notes a score report JSON holds (none in a report written before round 39, or a malformed entry)."""
    raw = report.get(REPORT_KEY) if isinstance(report, dict) else None
    if not isinstance(raw, list):
        return []
    return [(str(n["label"]), str(n["text"])) for n in raw
            if isinstance(n, dict) and isinstance(n.get("label"), str) and isinstance(n.get("text"), str)]


def notes_kept(report: dict) -> bool:
    """Whether a stored score report holds the notes (recorded since round 39), even an empty list."""
    return isinstance(report, dict) and REPORT_KEY in report


def notes_csv(report: dict) -> str:
    """A stored report's notes in one CSV cell: the lines ``assess`` printed (``LABEL: text``, stderr's without
    its ``vptrainer assess: `` and stdout's ``UNFINISHED:`` line) joined by :data:`CSV_SEPARATOR`; "" when there
    were none; :data:`CSV_NOT_KEPT` for a report recorded before round 39."""
    if not notes_kept(report):
        return CSV_NOT_KEPT
    return CSV_SEPARATOR.join(note_lines(notes_from_report(report)))
