"""Run slow work off the GUI thread with frozen request/response objects.

A :class:`Request` carries a request id, the channel it belongs to and a frozen payload;
the job turns it into a :class:`Response` on a :class:`QThreadPool` thread.  The
:class:`Runner` delivers responses on the GUI thread and drops stale ones: a response is
stale when its channel was invalidated after the request was made (a new session, a
cancelled build) or, on a ``latest_only`` channel, when a newer request was made since.

Long jobs receive a ``progress(fraction, text)`` callback; it raises :class:`Cancelled`
once the job was cancelled, so a cancellable core function stops at its next report.
Jobs invalidated while still queued never start.
"""

from __future__ import annotations

import atexit
import itertools
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

__all__ = ["Request", "Response", "Runner", "Cancelled"]


class Cancelled(Exception):
    """Raised inside a job whose request was cancelled."""


@dataclass(frozen=True)
class Request:
    """One unit of work.

    Attributes
    ----------
    request_id : int
        Increasing over the runner's life.
    channel : str
        Requests on one channel share staleness (``'action'``, ``'build'``...).
    payload : Any
        Input of the job; treat as immutable.
    """

    request_id: int
    channel: str
    payload: Any = None


@dataclass(frozen=True)
class Response:
    """The outcome of one :class:`Request`: ``value`` or ``error`` (with its traceback text)."""

    request_id: int
    channel: str
    value: Any = None
    error: BaseException | None = None
    trace: str = ""
    elapsed_s: float = 0.0


class _Signals(QObject):
    done = Signal(object)
    progress = Signal(int, float, str)


class _Job(QRunnable):
    def __init__(self, fn: Callable, request: Request, signals: _Signals, cancel_flag: threading.Event):
        super().__init__()
        self.fn = fn
        self.request = request
        self.signals = signals
        self.cancel_flag = cancel_flag

    def _progress(self, fraction: float, text: str = "") -> None:
        if self.cancel_flag.is_set():
            raise Cancelled(f"request {self.request.request_id} cancelled")
        self.signals.progress.emit(self.request.request_id, float(fraction), str(text))

    def run(self) -> None:
        t0 = time.perf_counter()
        try:
            if self.cancel_flag.is_set():      # invalidated while queued: never start it
                raise Cancelled(f"request {self.request.request_id} cancelled before it started")
            value = self.fn(self.request.payload, self._progress)
            resp = Response(self.request.request_id, self.request.channel, value=value,
                            elapsed_s=time.perf_counter() - t0)
        except BaseException as exc:  # delivered to the GUI thread, which decides how to show it
            resp = Response(self.request.request_id, self.request.channel, error=exc,
                            trace=traceback.format_exc(), elapsed_s=time.perf_counter() - t0)
        self.signals.done.emit(resp)


@dataclass
class _Channel:
    latest_only: bool
    valid_from: int = 0
    latest: int = 0
    pending: set = field(default_factory=set)


#: every Runner's pool with a weak reference to its Runner.  A pool is not a Qt child of its Runner: a widget
#: deleted by Qt (``deleteLater``, a parent's destructor) deleted its Runner and the Runner's pool with it, and
#: ``~QThreadPool`` waited for a job still running while the deleting thread held Python's lock, which the job needed
#: to finish (CI hung there twice: a closed landmark editor's pedicle check in round 28, a window's job in round 29,
#: both freed inside ``QTest.qWaitForWindowActive``).  A pool is let go only when its Runner is gone and no job runs
#: (:func:`_forget_idle_pools`), and at exit after its jobs end (:func:`_wait_for_pools`).
_POOLS: list[tuple[weakref.ref, QThreadPool]] = []


def _forget_idle_pools() -> None:
    """Let go of the pools whose Runner is gone and that run no job (their destructor then waits for nothing)."""
    _POOLS[:] = [(r, p) for r, p in _POOLS if r() is not None or p.activeThreadCount() > 0]


@atexit.register
def _wait_for_pools(timeout_s: float = 120.0) -> None:
    """At exit, wait (in short sleeps, releasing Python's lock) for every pool's running jobs, then let go."""
    deadline = time.monotonic() + timeout_s
    while any(p.activeThreadCount() > 0 for _, p in _POOLS) and time.monotonic() < deadline:
        time.sleep(0.005)
    _POOLS.clear()


class Runner(QObject):
    """Submits jobs to a thread pool and delivers fresh responses on the GUI thread.

    Parameters
    ----------
    max_threads : int
        1 keeps jobs in submission order (procedure actions must run one at a time).
    """

    finished = Signal(object)             #: Response of a fresh request
    progress = Signal(int, float, str)    #: request id, fraction 0..1, text
    busy_changed = Signal(bool)

    def __init__(self, max_threads: int = 1, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool()           # no Qt parent: kept in _POOLS until idle (see there)
        self._pool.setMaxThreadCount(max_threads)
        _forget_idle_pools()
        _POOLS.append((weakref.ref(self), self._pool))
        self._ids = itertools.count(1)
        self._channels: dict[str, _Channel] = {}
        self._live: dict[int, tuple[_Signals, threading.Event]] = {}

    def channel(self, name: str, latest_only: bool = False) -> None:
        """Declare a channel (``latest_only``: only the newest request's response is delivered)."""
        self._channels[name] = _Channel(latest_only)

    def submit(self, channel: str, fn: Callable[[Any, Callable], Any], payload: Any = None) -> int:
        """Queue ``fn(payload, progress)``; return the request id."""
        ch = self._channels.setdefault(channel, _Channel(False))
        req = Request(next(self._ids), channel, payload)
        ch.latest = req.request_id
        ch.pending.add(req.request_id)
        signals = _Signals()
        flag = threading.Event()
        signals.done.connect(self._on_done)
        signals.progress.connect(self._on_progress)
        self._live[req.request_id] = (signals, flag)
        was_busy = self.busy
        _forget_idle_pools()
        self._pool.start(_Job(fn, req, signals, flag))
        if not was_busy:
            self.busy_changed.emit(True)
        return req.request_id

    def invalidate(self, channel: str) -> None:
        """Make every request made so far on ``channel`` stale and ask running ones to stop."""
        ch = self._channels.setdefault(channel, _Channel(False))
        ch.valid_from = ch.latest + 1
        for rid in ch.pending:
            if rid in self._live:
                self._live[rid][1].set()

    def is_stale(self, resp: Response) -> bool:
        ch = self._channels.get(resp.channel)
        if ch is None:
            return False
        if resp.request_id < ch.valid_from:
            return True
        return ch.latest_only and resp.request_id != ch.latest

    @property
    def busy(self) -> bool:
        return bool(self._live)

    def pending(self, channel: str) -> int:
        return len(self._channels.get(channel, _Channel(False)).pending)

    def wait_done(self, timeout_ms: int = 30000) -> bool:
        """Block until the pool is idle (tests and shutdown only); queued signals still need the event loop.

        Waits in short sleeps, which release Python's lock: a running job needs it to finish, and
        ``QThreadPool.waitForDone`` held it, so a job still running when the wait timed out was left
        for the pool's destructor, which waited for it forever while holding it (a CI run hung in a
        closed landmark editor's pedicle check, round 28)."""
        deadline = time.monotonic() + timeout_ms / 1000.0
        while self._pool.activeThreadCount() > 0:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return self._pool.waitForDone(0)

    @Slot(int, float, str)
    def _on_progress(self, rid: int, fraction: float, text: str) -> None:
        self.progress.emit(rid, fraction, text)

    @Slot(object)
    def _on_done(self, resp: Response) -> None:
        self._live.pop(resp.request_id, None)
        ch = self._channels.get(resp.channel)
        if ch is not None:
            ch.pending.discard(resp.request_id)
        if not self.is_stale(resp):
            self.finished.emit(resp)
        if not self._live:
            self.busy_changed.emit(False)
