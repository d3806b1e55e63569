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

A note names the session file by its absolute path (:attr:`SessionRecord.named`), whatever name ``assess`` was
given: the store keeps the note and an assessor reads it later from another folder (round 40; the scenario and
CT series files were already named resolved).  A path through a symbolic link is followed by the file it leads to,
"(linked to FILE)" (round 41).  :func:`read_notes` reads the case file once and gives both lists
``assess`` needs, the stderr notes and the kept ones with ``UNFINISHED``, which the GUI's :func:`notes_for` also
reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.core.session.reader import SessionRecord, builtin_scenario_mismatch, line_ends_note, scenario_file_mismatch

__all__ = ["CSV_NOT_KEPT", "CSV_SEPARATOR", "REPORT_KEY", "UNFINISHED_TEXT", "SessionNotes", "assessment_notes",
           "ct_series_found_note", "ct_series_unchecked", "note_lines", "notes_csv", "notes_for", "notes_from_report",
           "notes_json", "notes_kept", "read_notes"]

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
    return (f"{record.named}: the CT series was found by the fingerprint the session recorded in "
            f"{record.ct_series_found}, not in the folder its scenario names ({named!r}); its slices match "
            "the recorded SHA-256")


def ct_series_unchecked(record: SessionRecord, scenario) -> bool:
    """A patient-CT session recorded without the series' fingerprint (before round 9): replayed on the series as
    it is now, unchecked."""
    return getattr(scenario, "ct", None) is not None and "ct_series" not in record.header


def assessment_notes(record: SessionRecord, scenario, warnings=()) -> list[tuple[str, str]]:
    """The notes on one session, ``(label, text)`` in the order ``assess`` prints them.

    Parameters
    ----------
    record : SessionRecord
        As read (its ``crlf_lines``, ``truncated`` and, once :meth:`~SessionRecord.scenario` ran,
        ``ct_series_found``); named in the text by :attr:`~SessionRecord.named` (its absolute path).
    scenario : Scenario
        The scenario the session is replayed on (its ``[ct] folder`` names the series).
    warnings : iterable of str
        The case warnings (:func:`~trainer.core.session.reader.builtin_scenario_mismatch`,
        :func:`~trainer.core.session.reader.scenario_file_mismatch`; None entries are skipped), each a ``WARNING``.

    Notes
    -----
    The ``UNFINISHED`` note is :func:`read_notes`' to add (its ``kept`` list), not this list's.
    """
    session = record.named
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
    return notes


@dataclass(frozen=True)
class SessionNotes:
    """What ``assess`` says about one session file, read once (:func:`read_notes`).

    Attributes
    ----------
    builtin_mismatch : str or None
        The embedded case differs from the built-in one of its id (``--json``'s ``scenario_matches_builtin``).
    file_changed : str or None
        The scenario file the session was recorded on was edited since (``--json``'s ``scenario_file_changed``).
    about_file : tuple of (str, str)
        The ``WARNING`` and ``note`` lines: ``assess``'s stderr, the resume offer's list.
    kept : tuple of (str, str)
        ``about_file`` and, for a session without an accepted finish, the ``UNFINISHED`` note last: the report's
        :data:`REPORT_KEY`, the debrief's block, the store's notes.
    """

    builtin_mismatch: str | None
    file_changed: str | None
    about_file: tuple[tuple[str, str], ...]
    kept: tuple[tuple[str, str], ...]


def read_notes(record: SessionRecord, scenario, ct_root=None, allowed_roots=()) -> SessionNotes:
    """The notes on one session, its case file read once: the scenario file is looked for inside ``ct_root``
    (default: the session's folder) and ``allowed_roots`` (the GUI's trusted scenario folders), as
    :meth:`SessionRecord.scenario_file` does.  ``kept`` ends with ``UNFINISHED`` when ``record.complete`` is
    false.  Until round 40 ``assess`` added that note by hand to the list it printed, beside the GUI's own call."""
    mismatch = builtin_scenario_mismatch(record)
    changed = scenario_file_mismatch(record, ct_root, allowed_roots)
    about = tuple(assessment_notes(record, scenario, (mismatch, changed)))
    kept = about + ((("UNFINISHED", UNFINISHED_TEXT),) if not record.complete else ())
    return SessionNotes(mismatch, changed, about, kept)


def notes_for(record: SessionRecord, scenario, ct_root=None, allowed_roots=(),
              unfinished: bool = False) -> list[tuple[str, str]]:
    """:func:`read_notes`'s ``kept`` list (``unfinished``: the review's and the debrief's) or its ``about_file``
    list (the resume offer's: the session is being finished)."""
    notes = read_notes(record, scenario, ct_root, allowed_roots)
    return list(notes.kept if unfinished else notes.about_file)


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
