#!/usr/bin/env bash
# Save the trainer window at each stage into docs/screenshots/ (virtual X screen, 1600x1000).
# Sets up first (idempotent): Xvfb and the xcb libraries, the venv and the package.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --xvfb
exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshots.py "$@"
