"""The core in its own process, so that no core step can freeze the window.

Threads alone are not enough: a long C call in the core (a heap rebuild in the cement
flow, a large array operation) holds Python's global interpreter lock, and the GUI thread
then cannot draw or respond for that long.  The procedure, its
:class:`~trainer.core.session.live.LiveSession` (the session file) and the patient
therefore live in a child process started with ``spawn`` (no Qt state is copied); the
window talks to it over a pipe, one request at a time, from its worker thread.

Messages (child to parent): ``("progress", fraction, text)`` while a session is built,
then ``("ok", value)`` or ``("error", kind, class name, message, traceback)``.  This module
imports no Qt: it is what the child process runs.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import sys
import traceback

from trainer.core.errors import VPTrainerError

__all__ = ["CoreClient", "CoreError", "CoreCrash", "serve"]


class CoreError(VPTrainerError):
    """A :class:`VPTrainerError` raised in the core process (message unchanged; ``kind``: its class)."""

    def __init__(self, kind: str, message: str):
        self.kind = kind
        super().__init__(message)


class CoreCrash(RuntimeError):
    """An unexpected exception in the core process (``remote_trace``: its traceback)."""

    def __init__(self, message: str, remote_trace: str = ""):
        self.remote_trace = remote_trace
        super().__init__(message)


# ---------------------------------------------------------------------------- child side
class _Session:
    """What the child process holds: the live session of the procedure and its last report."""

    def __init__(self, conn):
        self.conn = conn
        self.live = None
        self.report = None
        self.sent: dict = {}      # view -> sha256 of the image the window already has

    def _progress(self, fraction: float, text: str) -> None:
        self.conn.send(("progress", float(fraction), str(text)))

    def _ready(self):
        from trainer.ui.procedure_view import build_view

        p = self.live.procedure
        self.sent = {}
        return self._changed_images_only(build_view(p)), p.scenario, p.patient.landmarks, str(self.live.path)

    def _changed_images_only(self, view):
        """The view with only the images the window does not have yet (an image is 1 MB)."""
        from dataclasses import replace

        new = {k: img for k, img in view.images.items() if self.sent.get(k) != img.sha256}
        self.sent.update({k: img.sha256 for k, img in new.items()})
        return replace(view, images=new)

    def start(self, scenario, path, seed, trainee, pixels):
        from trainer.core.session.live import LiveSession
        from trainer.ui.procedure_view import build_patient

        self.close()
        patient = build_patient(scenario, self._progress)
        self._progress(0.9, "Opening the session file…")
        self.live = LiveSession(scenario, path, seed=seed, trainee=trainee, pixels=pixels, patient=patient)
        self._progress(1.0, "Ready")
        return self._ready()

    def resume(self, path):
        from trainer.core.session.live import LiveSession
        from trainer.core.session.reader import read_session
        from trainer.ui.procedure_view import build_patient

        self.close()
        patient = build_patient(read_session(path).scenario(), self._progress)
        self._progress(0.9, "Replaying the session…")
        self.live = LiveSession.resume(path, patient=patient)
        self._progress(1.0, "Ready")
        return self._ready()

    def apply(self, action):
        """Apply one action; returns (ActionResult, ProcedureView, report JSON or None, cuts or None)."""
        from trainer.ui.procedure_view import build_view, debrief_cuts

        if self.live is None:
            raise CoreError("SessionError", "no session is open in the core process")
        result = self.live.apply(action)
        p = self.live.procedure
        report_json = cuts = None
        if result.accepted and p.finished:
            from trainer.core.scoring import score

            self.report = score(p)
            report_json = self.report.to_json()
            cuts = debrief_cuts(p)
        return result, self._changed_images_only(build_view(p)), report_json, cuts

    def debrief_html(self):
        from trainer.core.scoring import context_for_procedure
        from trainer.core.scoring.html import debrief_html

        if self.live is None or self.report is None:
            raise CoreError("SessionError", "the procedure is not finished; there is no debrief yet")
        p = self.live.procedure
        return debrief_html(self.report, context_for_procedure(p), p.last_images, title=p.scenario.title)

    def close(self):
        live, self.live, self.report = self.live, None, None
        if live is not None:
            live.close()


def serve(conn) -> None:
    """The child process: answer requests until the pipe closes or ``close`` is asked."""
    session = _Session(conn)
    while True:
        try:
            cmd, args = conn.recv()
        except (EOFError, OSError):
            break
        try:
            value = getattr(session, cmd)(*args)
            conn.send(("ok", value))
        except VPTrainerError as exc:
            kind = exc.kind if isinstance(exc, CoreError) else type(exc).__name__
            conn.send(("error", "vpt", kind, str(exc), traceback.format_exc()))
        except Exception as exc:  # reported to the window, which shows it with the traceback
            conn.send(("error", "crash", type(exc).__name__, str(exc), traceback.format_exc()))
        if cmd == "close":
            break
    session.close()


# ---------------------------------------------------------------------------- parent side
@contextlib.contextmanager
def _main_module_hidden():
    """Start a ``spawn`` child without re-running the parent's ``__main__`` script in it.

    The child only needs :func:`serve` from this module; re-running the main script would
    open another window in the child when a script calls the trainer without an
    ``if __name__ == "__main__":`` guard.
    """
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if main is not None and hasattr(main, k)}
    try:
        if "__file__" in saved:
            delattr(main, "__file__")
        if "__spec__" in saved:
            main.__spec__ = None
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)


class CoreClient:
    """The parent's end: starts the core process and sends it requests (one caller at a time)."""

    def __init__(self):
        self._ctx = mp.get_context("spawn")
        self.proc = None
        self.conn = None
        self.start_process()

    def start_process(self) -> None:
        parent, child = self._ctx.Pipe()
        self.proc = self._ctx.Process(target=serve, args=(child,), name="vptrainer-core", daemon=True)
        with _main_module_hidden():
            self.proc.start()
        child.close()
        self.conn = parent
        self.used = False

    def restart(self) -> None:
        """Kill the core process (a cancelled build) and start a fresh one.

        Safe while the worker thread waits on the old process: its wait ends with
        :class:`CoreCrash`, whose response the window drops as stale.
        """
        self.stop(kill=True)
        self.start_process()

    def call(self, cmd: str, *args, progress=None):
        """Run ``cmd`` in the core process and return its value.

        ``progress(fraction, text)`` receives the progress messages; if it raises (the
        request was cancelled) the core process is restarted and the exception re-raised.

        Raises
        ------
        CoreError
            A VPTrainerError in the core (shown as a dialog).
        CoreCrash
            Any other exception there, or the process died.
        """
        if self.proc is None or not self.proc.is_alive():
            self.start_process()
        self.used = True
        conn = self.conn        # restart() from another thread swaps self.conn; keep ours
        try:
            conn.send((cmd, args))
            while True:
                msg = conn.recv()
                if msg[0] == "progress":
                    if progress is not None:
                        try:
                            progress(msg[1], msg[2])
                        except BaseException:
                            if self.conn is conn:
                                self.restart()
                            raise
                    continue
                if msg[0] == "ok":
                    return msg[1]
                _, kind, cls, message, trace = msg
                if kind == "vpt":
                    raise CoreError(cls, message)
                raise CoreCrash(f"{cls}: {message}", trace)
        except (EOFError, OSError) as exc:
            if self.conn is conn:       # not already replaced by a cancel
                self.stop(kill=True)
            raise CoreCrash(f"the core process stopped unexpectedly ({type(exc).__name__})") from None

    def stop(self, kill: bool = False, timeout_s: float = 5.0) -> None:
        """Close the session in the core process and end it (``kill``: at once).

        Killing never loses anything: every session line is flushed and fsynced when written.
        A process that was never asked anything is simply killed.
        """
        proc, conn, self.proc, self.conn = self.proc, self.conn, None, None
        if proc is None:
            return
        if not kill and self.used and proc.is_alive():
            with contextlib.suppress(EOFError, OSError):
                conn.send(("close", ()))
                conn.poll(timeout_s) and conn.recv()
            proc.join(timeout_s)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout_s)
        conn.close()
