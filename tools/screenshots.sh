#!/usr/bin/env bash
# Save the trainer window at each stage into docs/screenshots/ (virtual X screen, 1600x1000).
set -euo pipefail
cd "$(dirname "$0")/.."
exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshots.py "$@"
