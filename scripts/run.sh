#!/usr/bin/env bash
# make run: migrate, create the demo staff, start the simulator and the portal; Ctrl-C stops all.
# It runs as a deployment would (DEBUG off, collected static files, the product's own error
# pages) over plain http on loopback; `make dev` (scripts/run.sh --dev) runs with DEBUG on.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
SIM_PORT="${SIM_PORT:-8100}"
mkdir -p .run
# The demo: staff with published passwords (demostaff refuses without DEMO_STAFF) and no
# second factor required of any role (production requires one of every role).
export DEMO_STAFF=true OTP_REQUIRED_ROLES=none

if [ "${1:-}" = "--dev" ]; then
  export DEBUG=true
else
  export DEBUG=false
  # A key of its own, made once and kept git-ignored (settings refuse DEBUG off without one).
  if [ -z "${SECRET_KEY:-}" ]; then
    [ -s .run/secret_key ] || (umask 077; $PY -c "import secrets; print(secrets.token_urlsafe(50))" > .run/secret_key)
    SECRET_KEY="$(cat .run/secret_key)"
    export SECRET_KEY
  fi
  # Plain http on 127.0.0.1: no https redirect, no secure-only cookies, no HSTS.
  export SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false \
    SECURE_HSTS_SECONDS=0 SECURE_HSTS_INCLUDE_SUBDOMAINS=false SECURE_HSTS_PRELOAD=false
  if [ -z "${OMTRADER_URL:-}" ]; then  # the embedded simulator's demo account
    export OMTRADER_USERNAME="${OMTRADER_USERNAME:-crm-api}" OMTRADER_PASSWORD="${OMTRADER_PASSWORD:-crm-api-secret}"
  fi
  $PY manage.py collectstatic --noinput --verbosity 0
fi

$PY manage.py migrate --noinput
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

if [ -z "${OMTRADER_URL:-}" ] && [ -f simulator/__main__.py ]; then
  export OMTRADER_URL="http://127.0.0.1:${SIM_PORT}"
  $PY -m simulator --host 127.0.0.1 --port "$SIM_PORT" --seed 42 --state "${SIM_STATE:-.run/sim-state.json}" &
  pids+=($!)
fi
.venv/bin/daphne -b 127.0.0.1 -p "$PORT" crmportal.asgi:application &
pids+=($!)

echo
$PY manage.py demostaff
echo
echo "CRM Portal is running at http://127.0.0.1:${PORT}/  (Ctrl-C stops everything)"
wait -n
