#!/usr/bin/env bash
# Sets everything up, builds the demo site (once), then runs the server and the field app
# (Flet web, in the browser) side by side until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
HOST=${ROUNDS_HOST:-127.0.0.1}
PORT=${ROUNDS_PORT:-8000}
APP_PORT=${ROUNDS_APP_PORT:-8550}
export ROUNDS_DATA_DIR=${ROUNDS_DATA_DIR:-var/server}
export ROUNDS_APP_DATA=${ROUNDS_APP_DATA:-var/app}
if [ "${ROUNDS_DEMO:-1}" = "0" ]; then
    # An empty server: no demo data. ROUNDS_ADMIN=name makes the first admin account
    # (its one-time password is printed); sign in to the console and create a site.
    if [ -n "${ROUNDS_ADMIN:-}" ]; then
        .venv/bin/python -m server.bootstrap --admin "$ROUNDS_ADMIN" || true
    fi
else
    .venv/bin/python -m server.demo
fi

.venv/bin/uvicorn server.main:create_app --factory --host "$HOST" --port "$PORT" \
    --log-level warning &
server_pid=$!
.venv/bin/python -m app.main --web --host "$HOST" --port "$APP_PORT" \
    --server "http://$HOST:$PORT" &
app_pid=$!
trap 'kill $server_pid $app_pid 2>/dev/null; wait' INT TERM EXIT

for _ in $(seq 60); do
    curl -fs "http://$HOST:$PORT/healthz" >/dev/null 2>&1 && curl -fs "http://$HOST:$APP_PORT" \
        >/dev/null 2>&1 && break
    sleep 0.5
done
cat <<MSG

  Manager console (leads, supervisors, manager): http://$HOST:$PORT/console/
  Field app (phone screen, open in a browser):  http://$HOST:$APP_PORT
  Server API and its documentation:             http://$HOST:$PORT/docs
MSG
if [ "${ROUNDS_DEMO:-1}" = "0" ]; then
    cat <<MSG

  An empty server: sign in to the console as the admin made above (ROUNDS_ADMIN) and
  create the first site; labels are printed from 站点与点位.

  Ctrl-C stops both.
MSG
else
    cat <<MSG
  QR labels to print or hold up to the camera:  $ROUNDS_DATA_DIR/labels/
  (the short code under each QR can be typed in instead)

  Demo logins, all with password  rounds2026
    guard1, guard2      guards (秩序维护员)       lead        guard lead (保安队长)
    cleaner1, cleaner2  cleaners (保洁员)         supervisor  cleaning supervisor (保洁主管)
    manager             manager (项目经理)        admin       admin (管理员)

  Ctrl-C stops both.
MSG
fi
wait
