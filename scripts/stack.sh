#!/usr/bin/env bash
# The embedded local stack: bash scripts/stack.sh up | down | status
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m scripts.localstack "${1:-status}"
