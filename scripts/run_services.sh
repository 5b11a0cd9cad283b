#!/usr/bin/env bash
# Start the action server, the Rasa server and the scheduler; print where they are.
# With --chat, drop into the terminal chat as the demo patient. Ctrl-C stops everything started.
set -euo pipefail
cd "$(dirname "$0")/.."
var="${COACH_HOME:-$PWD}/var"   # logs and the dev mail sink live with the rest of the state
mkdir -p "$var/log"
pids=()
stop_all() {
  trap - EXIT INT TERM
  echo; echo "stopping services..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 20); do  # up to 10 s for a clean shutdown, then no more waiting
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

wait_http() {  # url name seconds pid
  for _ in $(seq "$3"); do
    if curl -fs -o /dev/null "$1"; then return 0; fi
    kill -0 "$4" 2>/dev/null || { echo "$2 exited; see $var/log/$2.log"; tail -20 "$var/log/$2.log"; exit 1; }
    sleep 1
  done
  echo "$2 did not come up in $3 s; see $var/log/$2.log"; exit 1
}

# Rasa's HTTP API always needs a token (the scheduler and the web chat use it): a dev one is
# kept under var/ unless RASA_TOKEN is set. It listens on loopback unless RASA_INTERFACE says
# otherwise, with no CORS (the web chat's socket.io allows WEBCHAT_ORIGINS only).
if [ -z "${RASA_TOKEN:-}" ]; then
  [ -s "$var/rasa_token" ] || { .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))" >"$var/rasa_token"; chmod 600 "$var/rasa_token"; }
  RASA_TOKEN=$(cat "$var/rasa_token")
fi
export RASA_TOKEN
export WEBCHAT_PORT="${WEBCHAT_PORT:-8020}"
export WEBCHAT_PUBLIC_URL="${WEBCHAT_PUBLIC_URL:-http://127.0.0.1:$WEBCHAT_PORT}"
export RASA_PUBLIC_URL="${RASA_PUBLIC_URL:-http://127.0.0.1:$RASA_PORT}"

.venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" >"$var/log/actions.log" 2>&1 &
pids+=($!); actions_pid=$!
rasa_args=(run --enable-api "--auth-token=$RASA_TOKEN" --interface "${RASA_INTERFACE:-127.0.0.1}"
           --port "$RASA_PORT" --model models/coach.tar.gz
           --endpoints endpoints.yml --credentials credentials.yml)
.venv-rasa/bin/rasa "${rasa_args[@]}" >"$var/log/rasa.log" 2>&1 &
pids+=($!); rasa_pid=$!
.venv/bin/python -m coach.cli webchat --port "$WEBCHAT_PORT" >"$var/log/webchat.log" 2>&1 &
pids+=($!); webchat_pid=$!
.venv/bin/python -m coach.cli dev-mailbox --port "$SMTP_PORT" --maildir "$var/mail" \
  >"$var/log/mailbox.log" 2>&1 &
pids+=($!)
.venv/bin/python -m coach.cli scheduler >"$var/log/scheduler.log" 2>&1 &
pids+=($!)
.venv/bin/python -m coach.cli portal --port "${PORTAL_PORT:-8000}" >"$var/log/portal.log" 2>&1 &
pids+=($!); portal_pid=$!

echo "starting: action server, Rasa server (loading the model takes ~30 s), scheduler, portal, web chat, mail sink..."
wait_http "http://127.0.0.1:$ACTIONS_PORT/health" actions 60 "$actions_pid"
wait_http "http://127.0.0.1:${PORTAL_PORT:-8000}/healthz" portal 60 "$portal_pid"
wait_http "http://127.0.0.1:$WEBCHAT_PORT/chat" webchat 60 "$webchat_pid"
wait_http "http://127.0.0.1:$RASA_PORT/status?token=$RASA_TOKEN" rasa 180 "$rasa_pid"
web_link=$(.venv/bin/python -m coach.cli token webchat webchat:demo-patient)
rest_token=$(.venv/bin/python -m coach.cli token rest demo-patient)

cat <<TXT

The coach is up.
  web chat       $web_link
                 (the demo patient's chat on a phone-sized page; keep this link private)
  REST channel   POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook   {"sender": "demo-patient", "message": "hi"}
                 with "Authorization: Bearer $rest_token"
  Rasa HTTP API  http://127.0.0.1:$RASA_PORT/  (token in $var/rasa_token or RASA_TOKEN)
  channels       /webhooks/{whatsapp,sms,telegram}/webhook  (set TWILIO_* / TELEGRAM_* to use them)
  enrol/invite   http://127.0.0.1:${PORTAL_PORT:-8000}/enrol  (portal: new patient, one-time invite with links and QR codes)
                 or .venv/bin/coach patients invite PATIENT_ID
  action server  http://127.0.0.1:$ACTIONS_PORT/health
  portal         http://127.0.0.1:${PORTAL_PORT:-8000}/  (therapists, clinic admin, caregivers; acknowledge links land here)
  duty inbox     ${CLINIC_DUTY_EMAIL:-(none set)}  (red flags from people with no therapist)
  email (dev)    SMTP 127.0.0.1:$SMTP_PORT -> $var/mail/new/  (therapist and caregiver messages)
  database       $DATABASE_URL
  logs           $var/log/{rasa,actions,scheduler,portal,webchat,mailbox}.log
TXT
.venv/bin/python -m coach.cli demo-logins

if [ "${1:-}" = "--chat" ]; then
  echo
  .venv/bin/python -m coach.cli chat --sender demo-patient
else
  echo "Press Ctrl-C to stop."
  wait -n "${pids[@]}"
fi
