"""The GUI's link to the core: one live session in the core process, one action at a time.

The core (procedure, session file, patient) runs in a child process
(:mod:`trainer.service.process`), which writes every action to the session file as it
happens.  Typed requests (:mod:`trainer.service.messages`) go out from a single worker
thread in submission order; each answer carries a frozen
:class:`~trainer.service.view.ProcedureView`, so the GUI thread only draws.  Starting or
resuming a session invalidates everything queued for the previous one;
cancelling a build kills the core process and starts a fresh one.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from trainer.service.messages import Applied, Apply, DebriefHtml, Ready, Resume, Start
from trainer.service.process import CoreClient, CoreCrash
from trainer.service.view import CementView, ProcedureView, TrocarView
from trainer.ui.workers import Response, Runner

__all__ = ["Controller", "ProcedureView", "TrocarView", "CementView", "new_session_path"]


def new_session_path(session_dir: Path, scenario_id: str) -> Path:
    """A fresh session file name: ``<scenario>-<UTC date-time>.jsonl`` in ``session_dir``."""
    session_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path = session_dir / f"{scenario_id}-{stamp}.jsonl"
    n = 1
    while path.exists():
        n += 1
        path = session_dir / f"{scenario_id}-{stamp}-{n}.jsonl"
    return path


#: delay (ms) before SciPy is imported off the GUI thread: after the window and picker are shown
WARMUP_DELAY_MS = 1500


class Controller(QObject):
    """Signals carry frozen objects; slots never block the GUI thread.

    Attributes
    ----------
    ready : bool
        A session is open.
    scenario, landmarks, path
        Of the open session (None before).
    view : ProcedureView or None
        The latest state.
    report : dict or None
        The score report JSON once finished (``ScoreReport.to_json()``, with its ``assessment_notes``).
    notes : tuple
        The open session's assessment notes when it was resumed (``(label, text)``, as ``vptrainer assess`` prints
        them: :class:`~trainer.service.messages.Ready`); empty for a new session.
    """

    sessionReady = Signal(object, object)     #: (ProcedureView, session file path)
    actionApplied = Signal(object, object)    #: (ActionResult, ProcedureView)
    refused = Signal(str)                     #: reason of a refused action
    debriefReady = Signal(object, object)     #: (score report JSON, reveal cuts (axial, sagittal))
    failed = Signal(object, str)              #: (exception, traceback text)
    busyChanged = Signal(bool)
    progress = Signal(float, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.core = CoreClient()
        self.runner = Runner(max_threads=1, parent=self)
        for channel in ("build", "action", "report"):
            self.runner.channel(channel)
        self.runner.finished.connect(self._on_response)
        self.runner.progress.connect(lambda _rid, f, text: self.progress.emit(f, text))
        self.runner.busy_changed.connect(self.busyChanged)
        self.ready = False
        self.scenario = self.landmarks = self.path = None
        self.view: ProcedureView | None = None
        self.report = None
        self.notes: tuple = ()
        self._callbacks: dict = {}
        # the monitors' display module pulls in SciPy (~0.5 s): import it off the GUI thread, once
        # the window is up (an import on a worker thread still holds the GIL, so not during launch);
        # the runner is the timer's context: a window closed and deleted sooner cancels it
        QTimer.singleShot(WARMUP_DELAY_MS, self.runner, lambda: self.runner.submit(
            "warmup", lambda _p, _progress: __import__("trainer.core.xray.display")))

    @property
    def busy(self) -> bool:
        return self.runner.busy

    def pending_actions(self) -> int:
        return self.runner.pending("action")

    # ------------------------------------------------------------ sessions
    def start_new(self, scenario, session_dir: Path, trainee: str | None = None, seed: int | None = None,
                  pixels: int | None = None) -> int:
        """Build the patient and open a new session file (``sessionReady`` when done).

        ``pixels`` overrides the detector size (recorded in the session, so replays match).
        """
        path = new_session_path(Path(session_dir), scenario.id)
        who = trainee or os.environ.get("USER") or "trainee"
        core = self.core

        def job(_payload, progress):
            return core.request(Start(scenario, path, seed, who, pixels), progress=progress)

        return self._restart(job)

    def resume(self, path: Path, ct_roots=()) -> int:
        """Replay an unfinished session file and continue it (``sessionReady`` when done).

        ``ct_roots``: folders (besides the session's own) where a CT scenario's folder may be found.
        """
        path = Path(path)
        roots = tuple(str(r) for r in ct_roots)
        core = self.core

        def job(_payload, progress):
            return core.request(Resume(path, roots), progress=progress)

        return self._restart(job)

    def cancel_build(self) -> None:
        """Drop the build in progress at once: its core process is killed and a fresh one started."""
        self.runner.invalidate("build")
        self.core.restart()

    def _restart(self, job) -> int:
        for channel in ("action", "build", "report"):
            self.runner.invalidate(channel)
        self.ready = False
        self.scenario = self.landmarks = self.path = self.view = self.report = None
        self.notes = ()
        return self.runner.submit("build", job)

    # ------------------------------------------------------------ actions
    def submit(self, action: dict) -> int | None:
        """Queue one action; ``actionApplied`` (and ``refused`` for a refusal) follows."""
        if not self.ready:
            self.refused.emit("no session yet: pick a scenario first")
            return None
        core = self.core

        def job(act, _progress):
            return core.request(Apply(act))

        return self.runner.submit("action", job, dict(action))

    def debrief_html(self, callback) -> int | None:
        """Build the core's debrief HTML of the finished procedure; ``callback(html)`` on the GUI thread."""
        if not self.ready or self.report is None:
            return None
        core = self.core
        rid = self.runner.submit("report", lambda _p, _progress: core.request(DebriefHtml()).html)
        self._callbacks[rid] = callback
        return rid

    def _on_response(self, resp: Response) -> None:
        if resp.channel == "warmup":
            return
        if resp.error is not None:
            self._callbacks.pop(resp.request_id, None)
            trace = resp.error.remote_trace if isinstance(resp.error, CoreCrash) else resp.trace
            self.failed.emit(resp.error, trace)
            return
        if resp.request_id in self._callbacks:
            self._callbacks.pop(resp.request_id)(resp.value)
            return
        if resp.channel == "build":
            ready: Ready = resp.value
            self.ready = True
            self.scenario, self.landmarks, self.path = ready.scenario, ready.landmarks, Path(ready.path)
            self.view = ready.view
            self.notes = tuple(ready.notes)
            self.sessionReady.emit(self.view, self.path)
            return
        applied: Applied = resp.value
        # the core sends only new images; the others are the ones already held
        held = dict(self.view.images) if self.view is not None else {}
        held.update(applied.view.images)
        self.view = replace(applied.view, images=held)
        self.actionApplied.emit(applied.result, self.view)
        if not applied.result.accepted:
            self.refused.emit(str(applied.result.reason))
        if applied.report is not None:
            self.report = applied.report
            self.debriefReady.emit(applied.report, applied.cuts)

    def close(self) -> None:
        """Drop pending work and end the core process; an unfinished session stays resumable."""
        for channel in ("action", "build", "report"):
            self.runner.invalidate(channel)
        self.runner.wait_done(10000)
        self.ready = False
        self.core.stop()
