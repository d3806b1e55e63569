"""A trail of each test worker's last steps, written where a crash cannot lose it (tools/test.sh prints it).

Round 44's CI lost a worker twice to ``Fatal Python error: Aborted`` in tests that touch no Qt (a hypothesis test
of ``crop_morphology``, an ``import-ct`` in a GUI file) and showed nothing else: pytest's capture holds the test's
own stderr, pytest-qt's message capture holds Qt's messages in a list, and both die with the process. With
``VPTRAINER_TEST_TRAIL_DIR`` set (tools/test.sh sets it to ``out/``) every worker writes, unbuffered, to
``trail-<worker>.log``: each test's start and end (and a failed one's phase), and every Qt message of warning level
or above (a fatal one with the Python stack that led to it), passed on to pytest-qt's capture as before; and to
``trail-<worker>.gc`` the state of Python's garbage collector (a Qt object freed by a collection runs its C++
destructor inside whatever test allocated at that moment). Without the variable nothing is written.

Round 45 found that cause without Qt: glibc's "double free or corruption" from SciPy's several-pass erosion on an
array smaller than its element, run by that hypothesis test's oracle (``trainer.core.anatomy.crop_morphology``'s
notes). glibc writes its message to the captured stderr, so the trail shows the test, not the message.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import os
import sys
import time

import pytest

_DIR = os.environ.get("VPTRAINER_TEST_TRAIL_DIR", "")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_fd: int | None = None
_gc_fd: int | None = None
_GC_WIDTH = 48


def _write(text: str) -> None:
    """Append a line; a write the test's own limits refuse (a file-size limit set to fail a save) is dropped."""
    if _fd is not None:
        with contextlib.suppress(OSError):
            os.write(_fd, f"{time.strftime('%H:%M:%S')} {text}\n".encode("utf-8", "replace"))


def _gc_state(phase: str, info: dict) -> None:
    """The collector's phase, overwritten in place (two system calls a collection, nothing appended)."""
    if _gc_fd is not None:
        with contextlib.suppress(OSError):
            os.pwrite(_gc_fd, f"gc {phase} generation {info.get('generation')}".ljust(_GC_WIDTH)[:_GC_WIDTH].encode(), 0)


def _qt_handler(previous):
    """A Qt message handler that writes warnings and worse to the trail, then calls ``previous`` (pytest-qt's)."""
    from PySide6.QtCore import QtMsgType

    def handle(msg_type, context, message):
        if msg_type != QtMsgType.QtDebugMsg and msg_type != QtMsgType.QtInfoMsg:
            _write(f"qt {msg_type.name}: {message}")
            if msg_type == QtMsgType.QtFatalMsg and _fd is not None:
                with contextlib.suppress(OSError):
                    faulthandler.dump_traceback(_fd, all_threads=True)
        if previous is not None:
            previous(msg_type, context, message)

    return handle


def _install_qt_handler() -> None:
    if _fd is None or "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import qInstallMessageHandler

    previous = qInstallMessageHandler(None)
    if getattr(previous, "trail", False):     # ours already in front (pytest-qt restored it): not a second one
        qInstallMessageHandler(previous)
        return
    handler = _qt_handler(previous)
    handler.trail = True                      # type: ignore[attr-defined]
    qInstallMessageHandler(handler)


def pytest_configure(config) -> None:
    global _fd, _gc_fd
    controller = not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))
    if not _DIR or _fd is not None or controller:
        return                          # the xdist controller runs no test: only the workers (or a plain run) write
    os.makedirs(_DIR, exist_ok=True)
    _fd = os.open(os.path.join(_DIR, f"trail-{_WORKER}.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND,
                  0o644)
    _gc_fd = os.open(os.path.join(_DIR, f"trail-{_WORKER}.gc"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    gc.callbacks.append(_gc_state)
    _write(f"worker {_WORKER} pid {os.getpid()} started")


def pytest_runtest_logstart(nodeid, location) -> None:
    _write(f"start {nodeid}")


@pytest.hookimpl(trylast=True)
def pytest_runtest_setup(item) -> None:
    """After pytest-qt installed its capture for this test (its hook runs first), chain ours in front of it."""
    _install_qt_handler()


def pytest_runtest_logreport(report) -> None:
    if report.failed:
        _write(f"FAILED {report.nodeid} ({report.when})")


def pytest_runtest_logfinish(nodeid, location) -> None:
    _write(f"end {nodeid}")
    _install_qt_handler()                 # between tests (pytest-qt restored the default handler)


def pytest_unconfigure(config) -> None:
    global _fd
    if _fd is not None:
        _write("session finished")
        if _gc_state in gc.callbacks:
            gc.callbacks.remove(_gc_state)
        os.close(_fd)
        _fd = None
