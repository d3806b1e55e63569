#!/usr/bin/env bash
# Set up (idempotent), run the static checks (tools/lint.sh), then the whole test suite headless.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/tools/setup.sh" --test
cd "$here"
bash "$here/tools/lint.sh"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
