#!/usr/bin/env bash
# Set up the environment, then run every check: ruff lint, ruff format, mypy and pytest.
# Arguments are passed on to pytest (e.g. scripts/test.sh tests/test_tooling.py -x).
# All checks run even when one fails; the exit status is non-zero if any failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

failed=()
run() {
  echo "==> $*"
  "$@" || failed+=("$*")
}

run .venv/bin/ruff check .
run .venv/bin/ruff format --check .
run .venv/bin/mypy
# pytest exits 5 when it collects no tests; that counts as a failure too.
run .venv/bin/pytest "$@"

if [[ ${#failed[@]} -gt 0 ]]; then
  printf "FAILED: %s\n" "${failed[@]}" >&2
  exit 1
fi
echo "All checks passed."
