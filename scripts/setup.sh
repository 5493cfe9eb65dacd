#!/usr/bin/env bash
# Prepare the development environment: .venv with the project and its dev tools,
# node_modules with Azurite and the Microsoft 365 Agents Playground.
# Idempotent and fast when nothing changed (hash stamps), runnable from any directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
PIP_STAMP="$VENV/.samtaleguide-pyproject.sha256"
NPM_STAMP=node_modules/.samtaleguide-package-lock.sha256

# System packages: Chromium and an emoji font for the browser end-to-end test (tests/e2e),
# LibreOffice Writer and poppler-utils to turn the development plan into PDF and look at its pages.
APT_PACKAGES=(chromium fonts-noto-color-emoji libreoffice-writer-nogui poppler-utils)

log() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }
hash_of() { sha256sum "$1" | cut -d' ' -f1; }

ensure_apt_packages() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    log "warning: missing system packages (install them as root): ${missing[*]}" >&2
  fi
}

ensure_python() {
  if [[ ! -x $VENV/bin/python ]]; then
    local py=${PYTHON:-python3}
    command -v "$py" >/dev/null || die "$py not found; install Python 3.11 or newer"
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
      || die "$("$py" --version 2>&1) is too old; Python 3.11 or newer is required (set PYTHON=...)"
    log "creating $VENV with $("$py" --version 2>&1)"
    "$py" -m venv "$VENV"
  fi
  local want
  want=$(hash_of pyproject.toml)
  if [[ ! -f $PIP_STAMP || $(cat "$PIP_STAMP") != "$want" ]]; then
    log "installing Python packages (pip install -e '.[dev]')"
    # pip and setuptools print harmless warnings here; show the output only on failure.
    local out
    out=$("$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1) \
      || { echo "$out" >&2; die "pip install failed"; }
    echo "$want" >"$PIP_STAMP"
  fi
}

ensure_node() {
  command -v npm >/dev/null || die "npm not found; install Node.js 20 or newer with npm"
  local want
  want=$(hash_of package-lock.json)
  if [[ ! -f $NPM_STAMP || $(cat "$NPM_STAMP") != "$want" ]]; then
    log "installing Node packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$NPM_STAMP"
  fi
}

ensure_apt_packages
ensure_python
ensure_node
