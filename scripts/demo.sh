#!/usr/bin/env bash
# Sets everything up, builds the demo site (once) and runs the server until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
HOST=${ROUNDS_HOST:-127.0.0.1}
PORT=${ROUNDS_PORT:-8000}
export ROUNDS_DATA_DIR=${ROUNDS_DATA_DIR:-var/server}
.venv/bin/python -m server.demo
cat <<MSG

  Rounds server:  http://$HOST:$PORT/docs   (API and its documentation)
  Demo logins (password rounds2026):
    guard1, guard2 (guards)      lead (guard lead)
    cleaner1, cleaner2 (cleaners) supervisor (cleaning supervisor)
    manager (manager)            admin (admin)

MSG
exec .venv/bin/uvicorn server.main:create_app --factory --host "$HOST" --port "$PORT"
