"""The core service in its own process, so that no core step can freeze the window.

Threads alone are not enough: a long C call in the core (a heap rebuild in the cement
flow, a large array operation) holds Python's global interpreter lock, and the GUI thread
then cannot draw or respond for that long.  The procedure, its
:class:`~trainer.core.session.live.LiveSession` (the session file) and the patient
therefore live in a child process started with ``spawn`` (no Qt state is copied) that runs
:class:`~trainer.service.core.CoreService`.

:class:`CoreClient` is the one owner of the pipe.  It sends typed requests
(:mod:`trainer.service.messages`) one at a time: a caller holds its request lock from
sending until the answer (:class:`~trainer.service.messages.Done` or
:class:`~trainer.service.messages.Failed`) arrives, reading
:class:`~trainer.service.messages.Progress` on the way.  Starting, stopping and restarting
the process swap the process and the pipe under a second, short lock, so a restart from
another thread (a cancelled build) never races a request: the waiting request sees its pipe
closed and fails with :class:`CoreCrash`.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection

from trainer.core.errors import VPTrainerError
from trainer.service.core import CoreService
from trainer.service.messages import RESPONSE_OF, Close, Done, Failed, Progress, Request, Response

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
def serve(conn: Connection) -> None:
    """The child process: answer requests until the pipe closes or :class:`Close` is asked."""
    service = CoreService(progress=lambda f, text: conn.send(Progress(float(f), str(text))))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        try:
            conn.send(Done(service.handle(request)))
        except VPTrainerError as exc:
            kind = exc.kind if isinstance(exc, CoreError) else type(exc).__name__
            conn.send(Failed(True, kind, str(exc), traceback.format_exc()))
        except Exception as exc:  # reported to the window, which shows it with the traceback
            conn.send(Failed(False, type(exc).__name__, str(exc), traceback.format_exc()))
        if isinstance(request, Close):
            break
    service.handle(Close())


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
    """The parent's end: the one owner of the core process and its pipe.

    Safe to use from several threads: requests are serialised (one on the pipe at a time);
    :meth:`restart` and :meth:`stop` may be called from any thread, also while a request waits.
    """

    def __init__(self):
        self._ctx = mp.get_context("spawn")
        self._request_lock = threading.Lock()     # one request on the pipe at a time
        self._state_lock = threading.RLock()      # swaps of (proc, conn)
        self.proc = None
        self.conn: Connection | None = None
        self.used = False
        self.start_process()

    def start_process(self) -> None:
        """Start a fresh core process (the old one, if any, is killed)."""
        with self._state_lock:
            self._stop_locked(kill=True)
            parent, child = self._ctx.Pipe()
            proc = self._ctx.Process(target=serve, args=(child,), name="vptrainer-core", daemon=True)
            with _main_module_hidden():
                proc.start()
            child.close()
            self.proc, self.conn, self.used = proc, parent, False

    def restart(self) -> None:
        """Kill the core process (a cancelled build) and start a fresh one.

        Safe while another thread waits on the old process: its wait ends with
        :class:`CoreCrash`, whose response the window drops as stale.
        """
        self.start_process()

    def request(self, req: Request, progress: Callable[[float, str], None] | None = None) -> Response:
        """Send one typed request and return its response.

        ``progress(fraction, text)`` receives the progress messages; if it raises (the
        request was cancelled) the core process is restarted and the exception re-raised.

        Raises
        ------
        TypeError
            ``req`` is not a request type (nothing is sent).
        CoreError
            A VPTrainerError in the core (shown as a dialog).
        CoreCrash
            Any other exception there, or the process died.
        """
        if type(req) not in RESPONSE_OF:
            accepted = ", ".join(t.__name__ for t in RESPONSE_OF)
            raise TypeError(f"not a core request: {type(req).__name__}; expected one of {accepted}")
        with self._request_lock:
            with self._state_lock:
                if self.proc is None or not self.proc.is_alive():
                    self.start_process()
                conn = self.conn
                self.used = True
            assert conn is not None
            try:
                conn.send(req)
                while True:
                    msg = conn.recv()
                    if isinstance(msg, Progress):
                        if progress is not None:
                            try:
                                progress(msg.fraction, msg.text)
                            except BaseException:
                                self._restart_if_current(conn)
                                raise
                        continue
                    if isinstance(msg, Done):
                        return msg.response
                    if isinstance(msg, Failed):
                        if msg.expected:
                            raise CoreError(msg.kind, msg.message)
                        raise CoreCrash(f"{msg.kind}: {msg.message}", msg.trace)
                    raise CoreCrash(f"the core process sent {type(msg).__name__}, not a message")
            except (EOFError, OSError) as exc:
                with self._state_lock:
                    if self.conn is conn:       # not already replaced by a cancel
                        self._stop_locked(kill=True)
                raise CoreCrash(f"the core process stopped unexpectedly ({type(exc).__name__})") from None

    def _restart_if_current(self, conn: Connection) -> None:
        with self._state_lock:
            if self.conn is conn:
                self.start_process()

    def stop(self, kill: bool = False, timeout_s: float = 5.0) -> None:
        """Close the session in the core process and end it (``kill``: at once).

        Killing never loses anything: every session line is flushed and fsynced when written.
        A process that was never asked anything, or busy with a request for longer than
        ``timeout_s``, is simply killed.
        """
        idle = self._request_lock.acquire(timeout=timeout_s)
        try:
            with self._state_lock:
                self._stop_locked(kill or not idle, timeout_s)
        finally:
            if idle:
                self._request_lock.release()

    def _stop_locked(self, kill: bool, timeout_s: float = 5.0) -> None:
        proc, conn, self.proc, self.conn = self.proc, self.conn, None, None
        if proc is None or conn is None:
            return
        if not kill and self.used and proc.is_alive():
            with contextlib.suppress(EOFError, OSError):
                conn.send(Close())
                if conn.poll(timeout_s):
                    conn.recv()
            proc.join(timeout_s)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout_s)
        conn.close()
