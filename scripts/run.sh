#!/usr/bin/env bash
# Bring everything up and serve the dashboard on the embedded local stack:
# install what is missing, start Postgres+PostGIS and the warehouse, apply the schemas, load the
# seed-scale synthetic grid (once), run the AMI pipeline and the cache sync, keep both running in
# the background with the live grid feed (unless FLUX_LIVE_FEED=false), and serve the app under
# gunicorn with the production configuration.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
PY=.venv/bin/python
$PY -m scripts.localstack up
$PY -m data.etl.schema
$PY -m data.etl.generate --if-empty
$PY -m data.etl.pipeline --once
$PY -m data.etl.sync --once

mkdir -p .stack/log
# The continuous pipeline (gold every FLUX_PIPELINE_EVERY_S = 5 s when bronze arrives, bronze
# retention) and the incremental sync of the operational tables (every FLUX_SYNC_LIVE_EVERY_S =
# 2 s, with the full sync as its periodic reconcile); `bash scripts/stack.sh status` shows both
# with their lag. Stopped when this script exits.
$PY -m data.etl.pipeline --every >>.stack/log/pipeline.log 2>&1 &
pipeline_pid=$!
$PY -m data.etl.sync_live --every >>.stack/log/sync.log 2>&1 &
sync_pid=$!
pids=("$pipeline_pid" "$sync_pid")
# The live grid feed (FLUX_LIVE_FEED, on by default): readings, outages, crews into the warehouse.
if [ "$($PY -c 'from settings import Settings; print(int(Settings().live_feed))')" = "1" ]; then
    $PY -m data.etl.live >>.stack/log/live.log 2>&1 &
    pids+=("$!")
fi
# SIGTERM lets the feed flush its last batches (or keep them on disk for the next start).
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM

export FLUX_BIND="${FLUX_BIND:-127.0.0.1:8080}"
echo "Flux Operations Center: http://${FLUX_BIND}/  (stop with Ctrl-C; stop the stack with: bash scripts/stack.sh down)"
.venv/bin/gunicorn -c app/gunicorn_conf.py app.wsgi:server
