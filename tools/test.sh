#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite headless.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/tools/setup.sh" --test
cd "$here"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
