#!/usr/bin/env bash
# Idempotent set-up for vptrainer on Debian 12 / Ubuntu:
#  1. the Qt run-time libraries (apt-get, as root or through sudo) when missing;
#  2. a virtual environment at .venv in this checkout;
#  3. the package (editable) with its test extras.
# Usage: tools/setup.sh [--xvfb] [--test]
#   --xvfb  also installs Xvfb and the xcb libraries (screenshots, GUI under xvfb-run)
#   --test  also installs the DICOM validators the tests call (dicom3tools: dciodvfy) and poppler-utils
#           (pdftotext: the PDF debrief's page test)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

pkgs=(libegl1 libgl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3)
for arg in "$@"; do
  case "$arg" in
    --xvfb) pkgs+=(xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
                   libxcb-render-util0 libxcb-shape0 libxkbcommon-x11-0) ;;
    --test) pkgs+=(dicom3tools poppler-utils) ;;
    *) echo "setup: unknown option $arg (use --xvfb, --test)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing system libraries: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

py="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$py" -m venv .venv
fi
stamp=.venv/.vptrainer-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: installing vptrainer and its test extras into .venv"
  log=.venv/pip-install.log
  if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e ".[test]"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: pip install failed (log above, kept in $log)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
