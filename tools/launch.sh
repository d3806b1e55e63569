#!/usr/bin/env bash
# Set up (idempotent) and launch the trainer on the default scenario.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/tools/setup.sh" --gui
exec "$here/.venv/bin/vptrainer" "$@"
