"""The typed messages between the window and the core process.

Each request has one response type (:data:`RESPONSE_OF`).  Both cross the pipe pickled, so
every field is a plain value, a frozen dataclass or a core object that pickles (Scenario,
Landmarks, ActionResult).  While a request runs the core may send :class:`Progress`; it then
answers with :class:`Done` (the response) or :class:`Failed`.

=====================  =======================  =====================================
request                response                 what the core does
=====================  =======================  =====================================
:class:`Start`         :class:`Ready`           build the patient, open a new session file
:class:`Resume`        :class:`Ready`           replay an unfinished session file, continue it
:class:`Apply`         :class:`Applied`         apply one action (written to the session file)
:class:`DebriefHtml`   :class:`Html`            the printable debrief of the finished procedure
:class:`Close`         :class:`Closed`          close the session (the file stays resumable)
=====================  =======================  =====================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.core.anatomy.landmarks import Landmarks
from trainer.core.procedure.state import ActionResult
from trainer.core.scenario.model import Scenario
from trainer.service.reveal import RevealSlice
from trainer.service.view import ProcedureView

__all__ = ["Start", "Resume", "Apply", "DebriefHtml", "Close", "Ready", "Applied", "Html", "Closed",
           "Progress", "Done", "Failed", "Request", "Response", "RESPONSE_OF"]


# ----------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class Start:
    """Open a new session of ``scenario`` writing to ``path``."""

    scenario: Scenario
    path: Path
    seed: int | None = None
    trainee: str = "trainee"
    pixels: int | None = None          #: detector size override (recorded in the session)


@dataclass(frozen=True)
class Resume:
    """Replay the unfinished session file ``path`` and continue it.

    ``ct_roots``: folders the user trusts (besides the session's own) in which a CT
    scenario's ``[ct] folder`` may be found (:meth:`SessionRecord.scenario_roots`).
    """

    path: Path
    ct_roots: tuple = ()


@dataclass(frozen=True)
class Apply:
    """Apply one action (a dict with ``type``; docs/session-format.md)."""

    action: dict


@dataclass(frozen=True)
class DebriefHtml:
    """The printable debrief HTML of the finished procedure."""


@dataclass(frozen=True)
class Close:
    """Close the open session; the core process then ends."""


Request = Start | Resume | Apply | DebriefHtml | Close


# ---------------------------------------------------------------------------- responses
@dataclass(frozen=True)
class Ready:
    """A session is open: its first view, scenario, landmarks and session file.

    ``notes``: a resumed session's assessment notes, ``(label, text)`` as ``vptrainer assess`` prints them
    (:func:`trainer.core.session.notes.assessment_notes`: CR LF line ends, its scenario file edited since, a cut-off
    last line...); empty for a new session.
    """

    view: ProcedureView
    scenario: Scenario
    landmarks: Landmarks
    path: Path
    notes: tuple = ()


@dataclass(frozen=True)
class Applied:
    """An action was applied (or refused: ``result.accepted`` is False).

    ``view.images`` holds only the images the window does not have yet.  ``report`` (the
    score report JSON, with the session file's assessment notes under ``assessment_notes``) and
    ``cuts`` (the debrief's axial and sagittal reveal cuts) are set by the action that finished
    the procedure.
    """

    result: ActionResult
    view: ProcedureView
    report: dict | None = None
    cuts: tuple[RevealSlice, RevealSlice] | None = None


@dataclass(frozen=True)
class Html:
    html: str


@dataclass(frozen=True)
class Closed:
    """The session was closed (the response to :class:`Close`)."""


Response = Ready | Applied | Html | Closed

#: The response type each request is answered with.
RESPONSE_OF: dict[type, type] = {Start: Ready, Resume: Ready, Apply: Applied, DebriefHtml: Html, Close: Closed}


# ------------------------------------------------------------------- on the pipe (child -> parent)
@dataclass(frozen=True)
class Progress:
    """Sent while a request runs: ``fraction`` 0..1 and a short text."""

    fraction: float
    text: str


@dataclass(frozen=True)
class Done:
    """The request's response."""

    response: Any


@dataclass(frozen=True)
class Failed:
    """The request failed: ``expected`` for a VPTrainerError (a bad file, a refused request),
    else a crash; ``kind`` is the exception class name."""

    expected: bool
    kind: str
    message: str
    trace: str = ""
