#!/usr/bin/env bash
# The whole check: set up, lint, format and type checks, then every test (browser ones too).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff, mypy"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
