"""The GUI's link to the core: one live session, actions applied one at a time off-thread.

The controller owns the :class:`~trainer.core.session.live.LiveSession` (which writes
every action to the session file as it happens).  Actions run in submission order on a
single worker thread; after each one the worker reads the procedure into a frozen
:class:`ProcedureView`, so the GUI thread never touches the procedure while it changes.
Starting or resuming a session invalidates everything queued for the previous one.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from trainer.core.errors import VPTrainerError
from trainer.core.xray.geometry import Pose
from trainer.ui.workers import Response, Runner

__all__ = ["Controller", "ProcedureView", "TrocarView", "CementView", "build_view", "new_session_path"]


@dataclass(frozen=True)
class TrocarView:
    side: str
    gauge: int
    depth_mm: float
    length_mm: float
    tissue: str
    tip_mm: tuple
    direction: tuple


@dataclass(frozen=True)
class CementView:
    mixed: bool
    since_mix_s: float
    phase: str
    consistency: str
    injected_ml: float
    can_inject: bool


@dataclass(frozen=True)
class ProcedureView:
    """Everything the window draws, read from the procedure after an action (immutable)."""

    t_s: float
    stage: str
    shots: int
    fluoro_s: float
    dap_gycm2: float
    pose: Pose
    view: str
    biplane: bool
    trocar: TrocarView | None
    cement: CementView
    decisions: dict
    finished: bool
    images: dict = field(default_factory=dict)    #: view -> ShotImage (last-image-hold)
    n_actions: int = 0


def build_view(live) -> ProcedureView:
    """Read the procedure of ``live`` into a :class:`ProcedureView` (call on the worker thread)."""
    from trainer.core.procedure.state import view_of

    p = live.procedure
    tr = p.trocar
    trocar = None if tr is None else TrocarView(tr.side, int(tr.gauge), float(tr.depth_mm), float(tr.length_mm),
                                                str(tr.tissue), tuple(float(v) for v in tr.tip_mm),
                                                tuple(float(v) for v in tr.direction))
    c = p.cement
    if c is None or p.mixed_at_s is None:
        cement = CementView(False, 0.0, "unmixed", "", 0.0, False)
    else:
        t = p.t_s
        phase = str(c.phase(t))
        consistency = c.consistency(t) if hasattr(c, "consistency") else ""
        cement = CementView(True, float(t - p.mixed_at_s), phase, str(consistency), float(c.injected_ml),
                            phase not in ("unmixed", "set") and trocar is not None)
    decisions = dict(p.decisions)
    d = p.dose
    return ProcedureView(t_s=float(p.t_s), stage=str(p.phase), shots=int(d.shots), fluoro_s=float(d.fluoro_s),
                         dap_gycm2=float(d.dap_gycm2), pose=p.pose, view=view_of(p.pose),
                         biplane=bool(p.biplane), trocar=trocar, cement=cement,
                         decisions=decisions, finished=bool(p.finished), images=dict(p.last_images),
                         n_actions=int(p.accepted_count))


def _build_patient(scenario, progress):
    """The scenario's patient (synthetic, or read from its CT series with progress).

    ``progress(fraction, text)`` raises :class:`~trainer.ui.workers.Cancelled` once the
    build is cancelled, which stops the CT reader at its next slice.
    """
    from trainer.core.procedure.machine import patient_for

    what = "Reading the patient CT" if getattr(scenario, "ct", None) is not None else "Building the patient"
    progress(0.02, f"{what}…")

    def core_progress(fraction, message):
        progress(0.02 + 0.85 * float(fraction), f"{what}: {message}")

    return patient_for(scenario, progress=core_progress)


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


@dataclass(frozen=True)
class _Applied:
    result: object
    view: ProcedureView
    report: object = None
    cuts: object = None


def debrief_cuts(procedure):
    """Reveal cuts through the final trocar tip (or the last tip before it was removed)."""
    from trainer.ui.reveal import reveal_slices

    tr = procedure.trocar
    cement_kji = leak_kji = None
    c = procedure.cement
    if c is not None and c.injected_ml > 0:
        cement_kji = c.deposit().ijk
        flat = c.flow.occupied()
        leak_kji = c.domain.grid_kji(flat[~c.domain.in_body[flat]])   # the model's own leak voxels
    if tr is None:
        return reveal_slices(procedure.patient, None, None, None, cement_kji, leak_kji)
    return reveal_slices(procedure.patient, tr.skin_mm, tr.direction, tr.tip_mm, cement_kji, leak_kji)


class Controller(QObject):
    """Signals carry frozen objects; slots never block the GUI thread."""

    sessionReady = Signal(object, object)     #: (ProcedureView, LiveSession path)
    actionApplied = Signal(object, object)    #: (ActionResult, ProcedureView)
    refused = Signal(str)                     #: reason of a refused action
    debriefReady = Signal(object, object)     #: (ScoreReport, reveal cuts (axial, sagittal))
    failed = Signal(object, str)              #: (exception, traceback text)
    busyChanged = Signal(bool)
    progress = Signal(float, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = Runner(max_threads=1, parent=self)
        self.runner.channel("build")
        self.runner.channel("action")
        self.runner.finished.connect(self._on_response)
        self.runner.progress.connect(lambda _rid, f, text: self.progress.emit(f, text))
        self.runner.busy_changed.connect(self.busyChanged)
        self.live = None
        self.path: Path | None = None
        self.view: ProcedureView | None = None
        self.report = None
        self._callbacks: dict = {}

    @property
    def busy(self) -> bool:
        return self.runner.busy

    def pending_actions(self) -> int:
        return self.runner.pending("action")

    # ------------------------------------------------------------ sessions
    def start_new(self, scenario, session_dir: Path, trainee: str | None = None, seed: int | None = None,
                  pixels: int | None = None) -> int:
        """Build the patient and open a new session file (off-thread; ``sessionReady`` when done).

        ``pixels`` overrides the detector size (recorded in the session, so replays match).
        """
        path = new_session_path(Path(session_dir), scenario.id)
        who = trainee or os.environ.get("USER") or "trainee"

        def job(_payload, progress):
            from trainer.core.session.live import LiveSession

            patient = _build_patient(scenario, progress)
            progress(0.9, "Opening the session file…")
            live = LiveSession(scenario, path, seed=seed, trainee=who, pixels=pixels, patient=patient)
            progress(1.0, "Ready")
            return live, build_view(live)

        return self._restart(job)

    def resume(self, path: Path) -> int:
        """Replay an unfinished session file and continue it (``sessionReady`` when done)."""
        path = Path(path)

        def job(_payload, progress):
            from trainer.core.session.live import LiveSession
            from trainer.core.session.reader import read_session

            patient = _build_patient(read_session(path).scenario(), progress)
            progress(0.9, f"Replaying {path.name}…")
            live = LiveSession.resume(path, patient=patient)
            progress(1.0, "Ready")
            return live, build_view(live)

        return self._restart(job)

    def cancel_build(self) -> None:
        self.runner.invalidate("build")

    def _restart(self, job) -> int:
        for channel in ("action", "build", "report"):
            self.runner.invalidate(channel)
        self.live, self.view, self.report = None, None, None
        return self.runner.submit("build", job)

    # ------------------------------------------------------------ actions
    def submit(self, action: dict) -> int | None:
        """Queue one action; ``actionApplied`` (or ``refused``) follows."""
        if self.live is None:
            self.refused.emit("no session yet: pick a scenario first")
            return None
        live = self.live

        def job(act, _progress):
            from trainer.core.errors import ActionRefused

            try:
                result = live.apply(act)
            except ActionRefused as exc:   # a refusal that was raised instead of returned
                return _Applied(_Refusal(act, exc.reason), build_view(live))
            report = cuts = None
            if result.accepted and live.procedure.finished:
                from trainer.core.scoring import score

                report = score(live.procedure)
                cuts = debrief_cuts(live.procedure)
            return _Applied(result, build_view(live), report, cuts)

        return self.runner.submit("action", job, dict(action))

    def debrief_html(self, callback) -> int | None:
        """Build the core's debrief HTML of the finished procedure off-thread; ``callback(html)``."""
        if self.live is None or self.report is None:
            return None
        live, report = self.live, self.report

        def job(_payload, _progress):
            from trainer.core.scoring import context_for_procedure
            from trainer.core.scoring.html import debrief_html

            p = live.procedure
            return debrief_html(report, context_for_procedure(p), p.last_images, title=p.scenario.title)

        rid = self.runner.submit("report", job)
        self._callbacks[rid] = callback
        return rid

    def _on_response(self, resp: Response) -> None:
        if resp.error is not None:
            self._callbacks.pop(resp.request_id, None)
            self.failed.emit(resp.error, resp.trace)
            return
        if resp.request_id in self._callbacks:
            self._callbacks.pop(resp.request_id)(resp.value)
            return
        if resp.channel == "build":
            self.live, self.view = resp.value
            self.path = Path(self.live.path)
            self.sessionReady.emit(self.view, self.path)
            return
        applied: _Applied = resp.value
        self.view = applied.view
        self.actionApplied.emit(applied.result, applied.view)
        if not applied.result.accepted:
            self.refused.emit(str(applied.result.reason))
        if applied.report is not None:
            self.report = applied.report
            self.debriefReady.emit(applied.report, applied.cuts)

    def close(self) -> None:
        """Drop pending work and close the session file (it stays resumable if unfinished)."""
        self.runner.invalidate("action")
        self.runner.invalidate("build")
        self.runner.wait_done(10000)
        live, self.live = self.live, None
        if live is not None and hasattr(live, "close"):
            try:
                live.close()
            except (OSError, VPTrainerError):
                pass


@dataclass(frozen=True)
class _Refusal:
    action: dict
    reason: str
    accepted: bool = False
    image: object = None
    events: tuple = ()
    summary: dict = field(default_factory=dict)
    duration_s: float = 0.0
