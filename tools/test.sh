#!/usr/bin/env bash
# Set up (idempotent), run the static checks (tools/lint.sh), then the whole test suite headless.
# The test files are spread over up to 4 worker processes (pytest-xdist, one file per worker at a time so
# a module's fixtures are built once), the longest file first (tests/xdist_order.py, times in
# tests/file_seconds.txt); the workers share one patient cache (tests/conftest.py), so a CT patient one of
# them labelled is read by the other.  VPTRAINER_TEST_WORKERS=0 runs them in this process.
# Where the time goes (docs/realct-log.md passes 120, 142, 147 and 151): CI on a fresh clone took 991-1,013 s on the
# idle 2-core machine in round 30 (1,026 s in round 29, 931 s in round 28, 1,207 s in round 27), 953-969 s of it
# pytest; the rest is set-up (pip from its cache) and
# lint (mypy nearly all of it; its cache is .mypy_cache, so a second run takes 2 s).  The real-CT files dominate: labelling one vertebra of
# the chest CT is about 70% of an import-ct.  `-m "not slow"` leaves out the files marked slow (calibration
# and most real-CT suites) for a quick local check; CI runs everything.  Of the files that read no real CT the
# calibration (about 600 cement runs), test_batch_store.py (about 150 assessments) and test_validity.py weigh
# most; pass 138 has the product draw a patient's renderer volumes, canal distances and body volume once per
# patient instead of once per run (their CPU per run about a third to a quarter of fcf7200's).
# The real-CT files also share, through
# the run's folder, what several of them build from the same CT (tests/realct/realct_memo.py, pass 139): the
# reference measured on the TotalSegmentator mask (1-3 s a vertebra; 47 of the first 72 tests' 64 measures were
# repeats), the turned CTs and their references, the 5 mm levels auto_labels labels.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# bytecode caches in the checkout (__pycache__, git-ignored): with PYTHONDONTWRITEBYTECODE set, every worker
# and every command a test starts compiles the sources again, and pytest rewrites the test modules' asserts
# on every run (9 s of CPU per worker; 3 s from the cache)
unset PYTHONDONTWRITEBYTECODE
bash "$here/tools/setup.sh" --test
cd "$here"
# the test modules collected once while lint runs (mypy keeps one core busy, the other idle): pytest writes their
# assert-rewritten bytecode, and Python the sources', to __pycache__, so each worker's collection reads them
# instead of both compiling all of them at once (a fresh clone: 15-16 s CPU and 31-41 s wall a worker on the loaded
# 2-core machine, 4 s and 8-11 s from the caches; realct-log pass 231)
env -u VPTRAINER_TEST_TRAIL_DIR .venv/bin/python -m pytest -q --collect-only -p no:cacheprovider "$@" >/dev/null 2>&1 &
warm=$!
lint=0
bash "$here/tools/lint.sh" || lint=$?
wait "$warm" || true          # a collection error is the run's to report, below
(( lint == 0 )) || exit "$lint"
cores="$(nproc 2>/dev/null || echo 1)"
workers="${VPTRAINER_TEST_WORKERS:-$(( cores < 4 ? cores : 4 ))}"
# every run leaves its per-test times in out/test-report.xml (git-ignored): `.venv/bin/python
# tools/file_seconds.py out/test-report.xml` refreshes tests/file_seconds.txt, the order the workers take
mkdir -p out
report=(--junitxml=out/test-report.xml)
# each worker's trail (tests/crash_trail.py): its tests' starts and ends and Qt's warnings, unbuffered, so a worker
# that dies leaves what it ran last and what Qt said; printed below for every worker that did not finish
export VPTRAINER_TEST_TRAIL_DIR="$here/out"
rm -f out/trail-*
# a crashed worker ends the run (--max-worker-restart=0): its test is reported failed either way, and after a
# restart in round 44 the longest-file-first hand-out gave the survivors no more work and the run hung
dist=()
(( workers > 1 )) && dist=(-n "$workers" --dist loadfile --max-worker-restart=0)
status=0
.venv/bin/python -m pytest -q -p no:cacheprovider "${report[@]}" "${dist[@]}" "$@" || status=$?
if (( status != 0 )); then
  for trail in out/trail-*.log; do
    [[ -f "$trail" ]] || continue
    if [[ "$(tail -n 1 "$trail")" != *"session finished" ]]; then
      echo "== $trail: this worker did not finish; its last lines and the garbage collector's state:"
      tail -n 12 "$trail"
      cat "${trail%.log}.gc" 2>/dev/null && echo
    fi
  done
fi
exit "$status"
