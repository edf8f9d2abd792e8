#!/usr/bin/env bash
# Run the whole test suite against the real local stack (Postgres+PostGIS, fakesnow, Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/python -m scripts.localstack up
exec .venv/bin/python -m pytest "$@"
