"""Longest test file first: the order tools/test.sh's workers (pytest-xdist ``--dist loadfile``) take the files in.

``--dist loadfile`` keeps a file on one worker (its module fixtures, real-CT labellings above all, are built
once) and hands the files out in order of their number of tests, most first.  The suite's slowest files have
few tests (a real-CT file of eight labellings runs four minutes), so they were handed out last and one worker
ran alone for minutes at the end while the other idled.  Handing out the files longest first (the classic
longest-processing-time rule: no worker finishes more than the last file's time after the others) keeps both
busy to the end.

The times come from :data:`SECONDS_FILE` (seconds of one file's tests, setup and teardown included, as measured
on a 2-core machine by ``tools/file_seconds.py``); a file missing from it (a new one) is estimated at
:data:`UNKNOWN_TEST_S` per test, and at least :data:`SLOW_FILE_S` when it is marked ``slow`` (the real-CT and
calibration suites).  A stale table only makes the order worse, never a test's result.
"""

from __future__ import annotations

from pathlib import Path

from xdist.scheduler import LoadFileScheduling

#: measured seconds per test file (``<seconds> <path from the checkout>`` per line; ``#`` comments)
SECONDS_FILE = Path(__file__).resolve().parent / "file_seconds.txt"
#: seconds per test assumed for a file missing from SECONDS_FILE (about the suite's mean per test)
UNKNOWN_TEST_S = 1.0
#: seconds assumed for a file missing from SECONDS_FILE that is marked ``slow`` (a real-CT file labels a vertebra
#: or more: 30-500 s each on the loaded 2-core machine of round 26)
SLOW_FILE_S = 60.0
ROOT = Path(__file__).resolve().parents[1]


def file_seconds(path: Path = SECONDS_FILE) -> dict[str, float]:
    """``{test file path: seconds}`` from ``path`` (empty when it is missing)."""
    out: dict[str, float] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            seconds, name = line.split(None, 1)
            out[name] = float(seconds)
    return out


class LongestFileFirst(LoadFileScheduling):
    """``--dist loadfile`` that hands out the file of the longest expected time next (not the most tests)."""

    def __init__(self, config, log=None):
        super().__init__(config, log)
        self.seconds = file_seconds()

    def expected_s(self, scope: str, work_unit: dict) -> float:
        """Expected seconds of the file ``scope`` (path from the checkout) holding the tests ``work_unit``."""
        if scope not in self.seconds:
            estimate = UNKNOWN_TEST_S * len(work_unit)
            try:
                slow = "pytest.mark.slow" in (ROOT / scope).read_text(encoding="utf-8")
            except OSError:
                slow = False
            self.seconds[scope] = max(estimate, SLOW_FILE_S) if slow else estimate
        return self.seconds[scope]

    def _assign_work_unit(self, node) -> None:
        longest = max(self.workqueue, key=lambda scope: self.expected_s(scope, self.workqueue[scope]))
        self.workqueue.move_to_end(longest, last=False)     # the parent hands out the queue's first file
        super()._assign_work_unit(node)
