#!/usr/bin/env bash
# Run the bot locally and talk to it in the Microsoft 365 Agents Playground (offline, no login).
#   HOST, PORT            where the bot listens (default 127.0.0.1:3978); nothing is
#                         authenticated here, so a HOST other machines can reach (0.0.0.0)
#                         also needs ALLOW_UNAUTHENTICATED=true, else the bot refuses to start
#   SAMTALEGUIDE_BOT_CMD  command that starts the bot (default: .venv/bin/python app.py)
# Stop with Ctrl-C; both processes are stopped when either one exits.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-3978}
PLAYGROUND_PORT=56150
read -r -a bot_cmd <<<"${SAMTALEGUIDE_BOT_CMD:-.venv/bin/python app.py}"
# The bot may listen on all interfaces; reach it over loopback.
case $HOST in 0.0.0.0 | :: | "") bot_host=127.0.0.1 ;; *) bot_host=$HOST ;; esac
[[ $bot_host == *:* ]] && bot_host="[$bot_host]"
bot_url="http://$bot_host:$PORT"

# GET a URL with the venv's Python (curl may not be installed); succeed on HTTP 2xx.
http_ok() {
  .venv/bin/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "$1" 2>/dev/null
}

# Wait up to 30 s until URL $2 answers; give up early if process $1 has exited.
wait_for() {
  local _
  for _ in $(seq 1 300); do
    http_ok "$2" && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if http_ok "http://127.0.0.1:$PLAYGROUND_PORT/"; then
  echo "run-local: port $PLAYGROUND_PORT is already in use (another playground running?)" >&2
  exit 1
fi

# Each background job gets its own process group, so cleanup stops its children too,
# and Ctrl-C reaches only this script, which then stops both.
set -m
pids=()
cleanup() {
  trap - INT TERM EXIT
  local pid
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run-local: starting the bot: ${bot_cmd[*]} (HOST=$HOST PORT=$PORT)"
HOST=$HOST PORT=$PORT LOCALE_OVERRIDE=${LOCALE_OVERRIDE-da-DK} "${bot_cmd[@]}" &
pids+=($!)

if ! wait_for "${pids[0]}" "$bot_url/healthz"; then
  echo "run-local: the bot did not answer $bot_url/healthz" >&2
  exit 1
fi

echo "run-local: starting the Agents Playground"
BOT_ENDPOINT="$bot_url/api/messages" TEAMSAPPTESTER_BROWSER=none \
  node_modules/.bin/agentsplayground --disable-telemetry -c msteams -p "$PLAYGROUND_PORT" &
pids+=($!)

wait_for "${pids[1]}" "http://127.0.0.1:$PLAYGROUND_PORT/" || true
echo
echo "Open http://localhost:$PLAYGROUND_PORT in a browser"
echo

# Stop as soon as either process exits; the EXIT trap stops the other one.
status=0
wait -n "${pids[@]}" || status=$?
echo "run-local: a process exited (status $status); stopping" >&2
exit "$status"
