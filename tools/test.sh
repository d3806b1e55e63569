#!/usr/bin/env bash
# Set up (idempotent), run the static checks (tools/lint.sh), then the whole test suite headless.
# The test files are spread over up to 4 worker processes (pytest-xdist, one file per worker at a time so
# a module's fixtures are built once); VPTRAINER_TEST_WORKERS=0 runs them in this process.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/tools/setup.sh" --test
cd "$here"
bash "$here/tools/lint.sh"
cores="$(nproc 2>/dev/null || echo 1)"
workers="${VPTRAINER_TEST_WORKERS:-$(( cores < 4 ? cores : 4 ))}"
if (( workers > 1 )); then
  exec .venv/bin/python -m pytest -q -p no:cacheprovider -n "$workers" --dist loadfile "$@"
fi
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
