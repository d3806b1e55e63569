#!/usr/bin/env bash
# Static checks, run by tools/test.sh before the tests (so CI runs them):
#   ruff check   - rule set and reasons in pyproject.toml [tool.ruff.lint]
#   lint-imports - the layer, Qt-free and acyclic contracts in pyproject.toml [tool.importlinter]
#   mypy         - trainer/core and trainer/service (pyproject.toml [tool.mypy])
# Usage: tools/lint.sh   (from anywhere; the tools of .venv in this checkout, else of $PYTHON's venv)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
py=.venv/bin/python
[[ -x $py ]] || py="$(command -v "${PYTHON:-python3}")"
bin="$(dirname "$py")"
fail=0
echo "lint: ruff check"
"$bin/ruff" check -q --no-cache trainer tests benchmarks tools || fail=1
echo "lint: lint-imports"
# the package must be importable from this checkout (cwd first on sys.path)
out="$(PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$bin/lint-imports" --no-cache 2>&1)" \
  || { echo "$out"; fail=1; }
echo "lint: mypy trainer/core trainer/service"
# mypy's cache in the checkout (.mypy_cache, git-ignored): a fresh clone checks every module, a second run of
# tools/test.sh or tools/lint.sh only the changed ones (round 26, loaded 2 cores: 114 s cold, 1.9 s warm)
"$bin/mypy" --cache-dir=.mypy_cache --hide-error-context || fail=1
if ((fail)); then echo "lint: FAILED" >&2; exit 1; fi
echo "lint: all checks passed"
