#!/usr/bin/env bash
# Run every test: lint, types, then the whole pytest suite (unit, integration, e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy protocol edge cloud simulators shedwatch
# The state-store tests run against PostgreSQL: start it when it is not running.
bash scripts/ensure-postgres.sh
exec .venv/bin/python -m pytest "$@"
