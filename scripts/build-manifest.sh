#!/usr/bin/env bash
# Build the Teams app package in one command: fill the ids into manifest/manifest.template.json,
# validate it offline (ids, icons, localization, and the Teams manifest JSON schema from npm
# @microsoft/app-manifest) and zip it to manifest/build/samtaleguide.zip.
#
#   MicrosoftAppId=<bot app id> BOT_DOMAIN=samtaleguide.example.dk bash scripts/build-manifest.sh
#
# Values come from the environment, else from .env in the repository root (or the file named by
# ENV_FILE): MicrosoftAppId (or BOT_ID), BOT_DOMAIN, and optionally TEAMS_APP_ID (default: derived
# from the bot id), PUBLIC_BASE_URL, DEVELOPER_NAME, APP_VERSION. See manifest/README.md.
# Extra arguments go to manifest/build.py (e.g. --out DIR).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "build-manifest: error: $*" >&2; exit 1; }

PYTHON=${PYTHON:-}
if [[ -z $PYTHON ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
command -v "$PYTHON" >/dev/null || die "$PYTHON not found; install Python 3.11 or newer"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11 or newer is needed ($("$PYTHON" --version 2>&1))"
command -v node >/dev/null || die "node not found; install Node.js 20 or newer"
if [[ ! -d node_modules/@microsoft/app-manifest ]]; then
  command -v npm >/dev/null || die "npm not found; install Node.js 20 or newer with npm"
  echo "build-manifest: installing Node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

args=()
# ENV_FILE unset: use .env if there is one; ENV_FILE= (empty): the environment only.
env_file=${ENV_FILE-.env}
if [[ -n $env_file && -f $env_file ]]; then
  args+=(--env-file "$env_file")
elif [[ -n ${ENV_FILE:-} ]]; then
  die "ENV_FILE=$ENV_FILE does not exist"
fi

exec "$PYTHON" manifest/build.py "${args[@]}" "$@"
