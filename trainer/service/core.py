"""The core service: one live session, driven by typed requests (no Qt, no pipe).

:class:`CoreService` is what the core process runs (:func:`trainer.service.process.serve`),
and what a test or a script can run in-process.  :meth:`CoreService.handle` dispatches a
request by its type (:mod:`trainer.service.messages`) and rejects anything else with a
:class:`ServiceError` naming what was sent and what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from trainer.core.errors import VPTrainerError
from trainer.core.scoring import context_for_procedure, score
from trainer.core.scoring.html import debrief_html
from trainer.core.scoring.report import ScoreReport
from trainer.core.session.live import LiveSession
from trainer.core.session.notes import REPORT_KEY, notes_for, notes_json
from trainer.core.session.reader import read_session
from trainer.service.messages import (
    RESPONSE_OF,
    Applied,
    Apply,
    Close,
    Closed,
    DebriefHtml,
    Html,
    Ready,
    Request,
    Response,
    Resume,
    Start,
)
from trainer.service.view import ProcedureView, build_view, debrief_cuts, patient_with_progress

__all__ = ["CoreService", "ServiceError"]

ProgressFn = Callable[[float, str], None]


class ServiceError(VPTrainerError):
    """A request the service cannot answer (unknown request, no session open, not finished)."""


def _no_progress(_fraction: float, _text: str) -> None:
    """The progress callback of a request nobody watches: it reports nothing."""


class CoreService:
    """The live session of one procedure and its last score report.

    Parameters
    ----------
    progress : callable, optional
        ``progress(fraction 0..1, text)``: called while a session is built.
    """

    def __init__(self, progress: ProgressFn | None = None):
        self.progress: ProgressFn = progress or _no_progress
        self.live: LiveSession | None = None
        self.report: ScoreReport | None = None
        #: the trusted folders of the open session and, for a resumed one, where its CT series was found
        self._roots: tuple = ()
        self._ct_series_found: Path | None = None
        #: the assessment notes of the finished session (its report's ``assessment_notes``)
        self.notes: list[tuple[str, str]] = []
        self._sent: dict[str, str] = {}          # view -> sha256 of the image the window already has
        self._handlers: dict[type, Callable[..., Response]] = {Start: self._start, Resume: self._resume, Apply: self._apply,
                                                DebriefHtml: self._debrief_html, Close: self._close}
        assert set(self._handlers) == set(RESPONSE_OF), "every request type needs a handler"

    def handle(self, request: Request) -> Response:
        """Answer one request with its response (:data:`~trainer.service.messages.RESPONSE_OF`).

        Raises
        ------
        ServiceError
            ``request`` is not one of the request types, or cannot be answered now.
        VPTrainerError
            From the core (a bad session file, a scenario error).
        """
        handler: Callable[..., Response] | None = self._handlers.get(type(request))
        if handler is None:
            accepted = ", ".join(t.__name__ for t in self._handlers)
            raise ServiceError(f"the core service got {type(request).__name__} {request!r:.80}; "
                               f"it accepts only {accepted}")
        response = handler(request)
        assert isinstance(response, RESPONSE_OF[type(request)])
        return response

    # ------------------------------------------------------------------ handlers
    def _start(self, req: Start) -> Ready:
        self._close(Close())
        patient = patient_with_progress(req.scenario, self.progress)
        self.progress(0.9, "Opening the session file…")
        self.live = LiveSession(req.scenario, req.path, seed=req.seed, trainee=req.trainee, pixels=req.pixels,
                                patient=patient)
        # the folder of the file the user opened is trusted: edited during the session, the debrief says so
        self._roots = () if req.scenario.path is None else (str(req.scenario.path.parent),)
        self.progress(1.0, "Ready")
        return self._ready()

    def _resume(self, req: Resume) -> Ready:
        self._close(Close())
        record = read_session(req.path)
        scenario = record.scenario(allowed_roots=req.ct_roots)
        # what assess would say of the file as it is (CR LF line ends, its scenario file edited since, a cut-off
        # last line, the CT found by its fingerprint): until round 39 a resume said none of it
        notes = notes_for(record, scenario, allowed_roots=req.ct_roots)
        patient = patient_with_progress(scenario, self.progress)
        self.progress(0.9, "Replaying the session…")
        self.live = LiveSession.resume(req.path, patient=patient, allowed_roots=req.ct_roots)
        self._roots, self._ct_series_found = tuple(req.ct_roots), record.ct_series_found
        self.progress(1.0, "Ready")
        return replace(self._ready(), notes=tuple(notes))

    def _apply(self, req: Apply) -> Applied:
        live = self._open()
        result = live.apply(req.action)
        p = live.procedure
        report_json = cuts = None
        if result.accepted and p.finished:
            self.report = score(p)
            self.notes = self._finished_notes(live)
            report_json = self.report.to_json()
            report_json[REPORT_KEY] = notes_json(self.notes)
            cuts = debrief_cuts(p)
        return Applied(result, self._new_images_only(build_view(p)), report_json, cuts)

    def _debrief_html(self, _req: DebriefHtml) -> Html:
        live = self._open()
        if self.report is None:
            raise ServiceError("the procedure is not finished; there is no debrief yet")
        p = live.procedure
        return Html(debrief_html(self.report, context_for_procedure(p), p.last_images, title=p.scenario.title,
                                 notes=self.notes))

    def _close(self, _req: Close) -> Closed:
        live, self.live, self.report = self.live, None, None
        self._roots, self._ct_series_found, self.notes = (), None, []
        if live is not None:
            live.close()
        return Closed()

    # ------------------------------------------------------------------ helpers
    def _open(self) -> LiveSession:
        if self.live is None:
            raise ServiceError("no session is open in the core process")
        return self.live

    def _finished_notes(self, live: LiveSession) -> list[tuple[str, str]]:
        """The notes ``vptrainer assess`` prints for the finished session file, read back as it now is (a resumed
        CR LF file is partly CR LF; a cut-off line was dropped when it was resumed); the scenario file is looked
        for in the session's folder and the GUI's trusted folders."""
        try:
            record = read_session(live.path, keep_entries=False)
        except VPTrainerError as exc:             # changed under the trainer's feet: said, not hidden
            return [("WARNING", f"the session file could not be read back after the finish: {exc}")]
        record.ct_series_found = self._ct_series_found
        return notes_for(record, live.procedure.scenario, allowed_roots=self._roots)

    def _ready(self) -> Ready:
        live = self._open()
        p = live.procedure
        self._sent = {}
        return Ready(self._new_images_only(build_view(p)), p.scenario, p.patient.landmarks, live.path)

    def _new_images_only(self, view: ProcedureView) -> ProcedureView:
        """The view with only the images the window does not have yet (an image is 1 MB)."""
        new = {k: img for k, img in view.images.items() if self._sent.get(k) != img.sha256}
        self._sent.update({k: img.sha256 for k, img in new.items()})
        return replace(view, images=new)
