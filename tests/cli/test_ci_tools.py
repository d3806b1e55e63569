"""tools/test.sh's workers take the longest test file first, and tools/file_seconds.py writes the times they go by.

Round 26 measured the base order (pytest-xdist ``--dist loadfile`` hands out the files with the most tests
first): the real-CT files of one to three tests, the slowest of the suite, went last.  Oracles: the
longest-processing-time order worked out by hand from a table of four files, and the sums of a JUnit report
written here by hand.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import SimpleNamespace

from xdist.remote import Producer
from xdist.scheduler import LoadFileScheduling

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("file_seconds_tool", ROOT / "tools" / "file_seconds.py")
fs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fs)

# four files: (tests, seconds); most tests first is D, B, C, A; longest first is A, C, B, D
FILES = {"tests/a.py": (1, 100.0), "tests/b.py": (5, 10.0), "tests/c.py": (3, 50.0), "tests/d.py": (10, 5.0)}


class _Worker:
    """Records the files a scheduler sends (``sent``: (worker, file) in order) and the tests it still runs."""

    def __init__(self, name: str, collection: list[str], sent: list):
        self.name, self.collection, self.sent, self.todo, self.shutting_down = name, collection, sent, [], False
        self.gateway = SimpleNamespace(id=name)

    def send_runtest_some(self, indices) -> None:
        self.sent.append((self.name, self.collection[indices[0]].split("::")[0]))
        self.todo += list(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def _config() -> SimpleNamespace:
    values = {"tx": ["2*popen"], "dist": "loadfile"}
    return SimpleNamespace(getvalue=values.__getitem__, option=SimpleNamespace(loadscopereorder=True))


def _scheduler(request):
    """The scheduler tools/test.sh's ``--dist loadfile`` run gets (xdist's own when no conftest hook answers)."""
    config, log = _config(), Producer("test", enabled=False)
    return request.config.hook.pytest_xdist_make_scheduler(config=config, log=log) or LoadFileScheduling(config, log)


def _handed_out(request) -> list[str]:
    """Files in the order a two-worker run hands them out; a test takes its file's seconds over its tests."""
    sched = _scheduler(request)
    if hasattr(sched, "seconds"):
        sched.seconds = {name: s for name, (_, s) in FILES.items()}
    collection = [f"{name}::test_{i}" for name, (n, _) in FILES.items() for i in range(n)]
    sent: list = []
    workers = [_Worker("gw0", collection, sent), _Worker("gw1", collection, sent)]
    for w in workers:
        sched.add_node(w)
    for w in workers:
        sched.add_node_collection(w, collection)
    sched.schedule()
    clock = {w.name: 0.0 for w in workers}
    while any(w.todo for w in workers):
        w = min((w for w in workers if w.todo), key=lambda w: clock[w.name])   # the next test to end
        i = w.todo.pop(0)
        name = collection[i].split("::")[0]
        clock[w.name] += FILES[name][1] / FILES[name][0]
        sched.mark_test_complete(w, i)
    return [name for _, name in sent]


def test_the_longest_file_is_handed_out_first(request):
    """Longest first (A 100 s, C 50 s, B 10 s, D 5 s), not most tests first (D 10, B 5, C 3, A 1: the base order,
    which left the 100 s file for last)."""
    order = _handed_out(request)
    assert order == ["tests/a.py", "tests/c.py", "tests/b.py", "tests/d.py"], order


def test_a_file_missing_from_the_table_is_estimated_by_its_tests_and_its_slow_mark(request):
    """A file not yet timed: 1 s per test, at least 60 s when it is marked ``slow`` (test_realct_pedicle.py
    is; this file is not)."""
    sched = _scheduler(request)
    assert hasattr(sched, "expected_s"), f"tools/test.sh's --dist loadfile runs {type(sched).__name__}: no time estimate"
    sched.seconds = {}
    assert sched.expected_s("tests/realct/test_realct_pedicle.py", {"x": False}) == 60.0
    assert sched.expected_s("tests/cli/test_ci_tools.py", {str(i): False for i in range(3)}) == 3.0


def test_file_seconds_sums_a_junit_report_per_file(tmp_path):
    """Each test case's time goes to the file its ``classname`` names, a class inside it included (sums by hand:
    1.5 + 2.25 = 3.75 s and 4.0 s; a case of no file in the checkout is left out)."""
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.cli.test_ci_tools" name="a" time="1.5"/>'
        '<testcase classname="tests.cli.test_ci_tools.TestX" name="b" time="2.25"/>'
        '<testcase classname="tests.realct.test_realct_pedicle" name="c" time="4.0"/>'
        '<testcase classname="tests.nowhere.test_gone" name="d" time="9.0"/>'
        "</testsuite></testsuites>", encoding="utf-8")
    out = tmp_path / "seconds.txt"
    assert fs.main([str(report), str(out)]) == 0
    rows = [ln.split() for ln in out.read_text().splitlines() if not ln.startswith("#")]
    assert rows == [["4.0", "tests/realct/test_realct_pedicle.py"], ["3.8", "tests/cli/test_ci_tools.py"]], rows
    assert fs.main([str(tmp_path / "missing.xml"), str(out)]) == 2


def test_the_committed_table_names_only_test_files_that_exist():
    """A renamed or removed file left in tests/file_seconds.txt would only mislead the order: none is."""
    table = fs.OUT.read_text().splitlines()
    names = [ln.split(None, 1)[1] for ln in table if ln.strip() and not ln.startswith("#")]
    assert names and all((ROOT / n).is_file() for n in names), [n for n in names if not (ROOT / n).is_file()]


def test_the_workers_of_a_run_share_one_patient_cache(tmp_path_factory):
    """Under pytest-xdist each worker's temporary folder is ``<run's folder>/popen-gwN`` (xdist's layout): the
    patient cache lies in the run's folder, outside the worker's own, so a CT patient one worker labelled is read
    by the other; a run without workers keeps it in its own folder.  Never the user's cache."""
    cache = Path(os.environ["VPTRAINER_CACHE_DIR"]).resolve()
    own = tmp_path_factory.getbasetemp().resolve()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        assert own.name == f"popen-{worker}" and cache.parent == own.parent, (cache, own)
    else:
        assert cache.parent == own, (cache, own)
