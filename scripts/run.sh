#!/usr/bin/env bash
# make run: migrate, create the demo staff, start the simulator and the portal; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
SIM_PORT="${SIM_PORT:-8100}"
mkdir -p .run
# The demo: staff with published passwords (demostaff refuses without DEMO_STAFF) and no
# second factor required of any role (production requires one of every role).
export DEMO_STAFF=true OTP_REQUIRED_ROLES=none

$PY manage.py migrate --noinput
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

if [ -z "${OMTRADER_URL:-}" ] && [ -f simulator/__main__.py ]; then
  export OMTRADER_URL="http://127.0.0.1:${SIM_PORT}"
  $PY -m simulator --host 127.0.0.1 --port "$SIM_PORT" --seed 42 --state .run/sim-state.json &
  pids+=($!)
fi
.venv/bin/daphne -b 127.0.0.1 -p "$PORT" crmportal.asgi:application &
pids+=($!)

echo
$PY manage.py demostaff
echo
echo "CRM Portal is running at http://127.0.0.1:${PORT}/  (Ctrl-C stops everything)"
wait -n
