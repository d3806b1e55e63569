"""Write tests/file_seconds.txt (the seconds each test file takes) from a pytest JUnit XML report.

tools/test.sh's workers take the longest test files first (tests/xdist_order.py reads this table).  Refresh
it after adding or speeding up a slow test file, from a whole run (tools/test.sh writes its report to
out/test-report.xml; a run of some files only would leave the others out of the table):

    bash tools/test.sh
    .venv/bin/python tools/file_seconds.py

A test case's time in the report is its setup, call and teardown (pytest's default ``junit_duration_report``),
so a module fixture's time counts to its file.  Usage: ``file_seconds.py [REPORT.xml [OUT]]``.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "file_seconds.txt"
REPORT = ROOT / "out" / "test-report.xml"          #: where tools/test.sh writes its JUnit report


def test_file(classname: str, root: Path = ROOT) -> str | None:
    """The test file (path from ``root``) of a JUnit ``classname`` (``tests.ui.test_x`` or ``tests.ui.test_x.TestY``)."""
    parts = classname.split(".")
    for n in range(len(parts), 0, -1):
        rel = "/".join(parts[:n]) + ".py"
        if (root / rel).is_file():
            return rel
    return None


def seconds_per_file(report: Path, root: Path = ROOT) -> dict[str, float]:
    """``{test file: seconds}`` summed over the report's test cases."""
    out: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).getroot().iter("testcase"):
        name = test_file(case.get("classname", ""), root)
        if name is not None:
            out[name] += float(case.get("time", 0.0))
    return dict(out)


def main(argv: list[str]) -> int:
    if len(argv) > 2:
        print("usage: file_seconds.py [REPORT.xml [OUT]]", file=sys.stderr)
        return 2
    report = Path(argv[0]) if argv else REPORT
    if not report.is_file():
        print(f"file_seconds: {report}: no such report", file=sys.stderr)
        return 2
    seconds = seconds_per_file(report)
    out = Path(argv[1]) if len(argv) == 2 else OUT
    lines = [f"# seconds per test file (tools/file_seconds.py from {report.name}); tests/xdist_order.py reads it"]
    lines += [f"{s:8.1f} {name}" for name, s in sorted(seconds.items(), key=lambda kv: (-kv[1], kv[0]))]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(seconds)} files, {sum(seconds.values()):.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
