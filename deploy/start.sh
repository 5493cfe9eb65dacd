#!/usr/bin/env bash
# Start Samtaleguide in the foreground (for a container, systemd or App Service):
#
#   PORT=8080 deploy/start.sh
#
# Runs `python app.py` from the app folder with the venv made by deploy/install.sh ($VENV, else
# <app>/.venv), listening on all interfaces (HOST=0.0.0.0 unless HOST is set: that needs
# MicrosoftAppId, or ALLOW_UNAUTHENTICATED=true for a local try) and PORT (default
# 3978). All other settings come from the environment (see .env.example); a wrong one stops the
# bot with a message naming it. `exec` hands the process over, so signals reach Python directly.
set -euo pipefail

APP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV_DIR=${VENV:-$APP_DIR/.venv}

[[ -x $VENV_DIR/bin/python ]] || {
  echo "start: error: no virtual environment at $VENV_DIR; run deploy/install.sh first" >&2
  exit 1
}

export HOST=${HOST:-0.0.0.0}
export PORT=${PORT:-3978}
export TZ=${TZ:-Europe/Copenhagen}
export PYTHONUNBUFFERED=1
# LibreOffice (the plan's PDF) needs a writable home.
if [[ -z ${HOME:-} || ! -w ${HOME:-/nonexistent} ]]; then
  export HOME=${TMPDIR:-/tmp}
fi

cd "$APP_DIR"
exec "$VENV_DIR/bin/python" app.py
