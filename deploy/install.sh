#!/usr/bin/env bash
# Install Samtaleguide into a virtual environment (created if missing):
#
#   deploy/install.sh [VENV_DIR]        # default: $VENV, else <app>/.venv
#
# The app is the folder above this script (pyproject.toml, app.py, the packages). Needs Python
# 3.11 or newer (PYTHON=... picks the interpreter; default python3). pip uses the machine's own
# configuration (index, proxy, certificates). Production dependencies only: no dev tools.
set -euo pipefail

APP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV_DIR=${1:-${VENV:-$APP_DIR/.venv}}
PYTHON=${PYTHON:-python3}

log() { echo "install: $*"; }
die() { echo "install: error: $*" >&2; exit 1; }

[[ -f $APP_DIR/pyproject.toml && -f $APP_DIR/app.py ]] \
  || die "$APP_DIR does not look like the Samtaleguide app (no pyproject.toml or app.py)"
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install Python 3.11 or newer"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null \
  || die "Python 3.11 or newer is required, found: $("$PYTHON" --version 2>&1 || echo unknown)"

if [[ ! -x $VENV_DIR/bin/python ]]; then
  log "creating $VENV_DIR with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV_DIR"
fi
"$VENV_DIR/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$VENV_DIR holds an older Python; remove it and run again"

log "installing $APP_DIR into $VENV_DIR"
"$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$APP_DIR"
# start.sh runs app.py from the app folder: check that it imports there.
(cd "$APP_DIR" && "$VENV_DIR/bin/python" -c 'import app') \
  || die "the app does not import with the installed packages"
log "done; start it with: VENV=$VENV_DIR $APP_DIR/deploy/start.sh"
