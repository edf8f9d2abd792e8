#!/usr/bin/env bash
# Deploy Flux Operations Center to Snowpark Container Services.
#
# Uses the Snowflake CLI (`snow`, https://docs.snowflake.com/developer-guide/snowflake-cli) for
# every Snowflake call, through one named connection from ~/.snowflake/config.toml, and Docker
# to build and push the image. Idempotent: re-running upgrades the service in place.
#
#   FLUX_DEPLOY_PG_HOST=<id>.postgres.snowflake.app \
#   FLUX_DEPLOY_PG_APP_PASSWORD=... FLUX_DEPLOY_PG_SYNC_PASSWORD=... \
#   bash spcs/deploy.sh
#
# Environment:
#   SNOW_CONNECTION              snow connection name (default: default)
#   FLUX_DEPLOY_ACCOUNT_SETUP    1 to run spcs/sql/01_account.sql (needs ACCOUNTADMIN; default 1)
#   FLUX_DEPLOY_PG_HOST          Postgres host (required); FLUX_DEPLOY_PG_PORT, _PG_DATABASE,
#                                _PG_APP_USER, _PG_SYNC_USER have defaults (spcs/render.py)
#   FLUX_DEPLOY_PG_APP_PASSWORD  read-only login's password (required)
#   FLUX_DEPLOY_PG_SYNC_PASSWORD writer login's password for the cache sync (required)
#   FLUX_DEPLOY_IMAGE_TAG        image tag (default: the git commit)
#   FLUX_DEPLOY_READY_TIMEOUT_S  how long to wait for READY (default: 900)
set -euo pipefail
cd "$(dirname "$0")/.."

CONN="${SNOW_CONNECTION:-default}"
SERVICE="FLUX.APP.FLUX_OPS"
STAGE="@FLUX.APP.FLUX_DEPLOY"
IMAGE_NAME="flux-ops"
READY_TIMEOUT_S="${FLUX_DEPLOY_READY_TIMEOUT_S:-900}"
PYTHON="${PYTHON:-python3}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }

for tool in snow docker git "$PYTHON"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
for var in FLUX_DEPLOY_PG_HOST FLUX_DEPLOY_PG_APP_PASSWORD FLUX_DEPLOY_PG_SYNC_PASSWORD; do
  [ -n "${!var:-}" ] || die "$var is not set"
done

FLUX_DEPLOY_IMAGE_TAG="${FLUX_DEPLOY_IMAGE_TAG:-$(git rev-parse --short=12 HEAD)}"
export FLUX_DEPLOY_IMAGE_TAG

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

sql_file() {  # run one setup file, rendered
  log "snow sql: $1"
  "$PYTHON" -m spcs.render "$1" | snow sql -c "$CONN" --stdin
}

sql_query() {  # one query, JSON rows on stdout
  snow sql -c "$CONN" --format json -q "$1"
}

json_field() {  # json_field FIELD: the field of the first row of `snow sql --format json` output
  "$PYTHON" -c '
import json, sys
rows = json.load(sys.stdin)
while rows and isinstance(rows[0], list):  # one list per statement
    rows = rows[-1]
print(rows[0][sys.argv[1]] if rows else "")' "$1"
}

# 1. Account, database, pool, secrets, egress ------------------------------------------------
if [ "${FLUX_DEPLOY_ACCOUNT_SETUP:-1}" = "1" ]; then
  sql_file spcs/sql/01_account.sql
fi
sql_file spcs/sql/02_database.sql
sql_file spcs/sql/03_compute_pool.sql
log "snow sql: spcs/sql/04_secrets.sql (output hidden: it carries the passwords)"
"$PYTHON" -m spcs.render spcs/sql/04_secrets.sql | snow sql -c "$CONN" --stdin >/dev/null 2>&1 \
  || die "04_secrets.sql failed; check FLUX_DEPLOYER's privileges, then re-run"
sql_file spcs/sql/05_network.sql

# 2. Warehouse tables, Dynamic Tables, semantic view, customer search, agent (the repo's files) -
for f in data/etl/sql/warehouse/*.sql; do
  snow stage copy "$f" "$STAGE/warehouse/" -c "$CONN" --overwrite >/dev/null
done
sql_file spcs/sql/06_warehouse.sql
# The agent's search tool needs its service: fail here, not at the first customer question.
search="$(sql_query "SHOW CORTEX SEARCH SERVICES LIKE 'CUSTOMER_SEARCH_SERVICE' IN SCHEMA FLUX.PRODUCTION" | json_field name)"
[ -n "$search" ] || die "Cortex Search service FLUX.PRODUCTION.CUSTOMER_SEARCH_SERVICE was not created"

# 3. Build for linux/amd64 and push ----------------------------------------------------------
repo_url="$(sql_query "SHOW IMAGE REPOSITORIES LIKE 'FLUX_IMAGES' IN SCHEMA FLUX.APP" | json_field repository_url)"
[ -n "$repo_url" ] || die "image repository FLUX.APP.FLUX_IMAGES not found"
image="$repo_url/$IMAGE_NAME:$FLUX_DEPLOY_IMAGE_TAG"
log "docker build --platform linux/amd64 -> $image"
docker build --platform linux/amd64 -t "$image" .
snow spcs image-registry login -c "$CONN"
docker push "$image"

# 4. Specifications to the stage, then create or upgrade the service ------------------------
"$PYTHON" -m spcs.render spcs/service.yaml > "$WORK/service.yaml"
"$PYTHON" -m spcs.render spcs/sync_job.yaml > "$WORK/sync_job.yaml"
snow stage copy "$WORK/service.yaml" "$STAGE" -c "$CONN" --overwrite >/dev/null
snow stage copy "$WORK/sync_job.yaml" "$STAGE" -c "$CONN" --overwrite >/dev/null

existing="$(sql_query "SHOW SERVICES LIKE 'FLUX_OPS' IN SCHEMA FLUX.APP" | json_field name)"
sql_file spcs/sql/07_service.sql
if [ -n "$existing" ]; then
  log "upgrading $SERVICE to $FLUX_DEPLOY_IMAGE_TAG"
  snow sql -c "$CONN" -q "USE ROLE FLUX_SERVICE; ALTER SERVICE $SERVICE FROM $STAGE SPECIFICATION_FILE = 'service.yaml'"
fi
sql_file spcs/sql/08_endpoint_grants.sql
sql_file spcs/sql/09_sync_task.sql

# 5. Wait for READY --------------------------------------------------------------------------
log "waiting for $SERVICE to be READY (up to ${READY_TIMEOUT_S}s)"
deadline=$((SECONDS + READY_TIMEOUT_S))
while :; do
  status_json="$(sql_query "SELECT SYSTEM\$GET_SERVICE_STATUS('$SERVICE') AS STATUS" | json_field STATUS)"
  states="$(printf '%s' "$status_json" | "$PYTHON" -c '
import json, sys
print(" ".join(sorted({c.get("status", "?") for c in json.load(sys.stdin)})))')"
  log "status: $states"
  [ "$states" = "READY" ] && break
  case " $states " in
    *" FAILED "*|*" DONE "*) die "service is $states; see the logs: SYSTEM\$GET_SERVICE_LOGS('$SERVICE', '0', 'flux-ops', 200)" ;;
  esac
  [ "$SECONDS" -lt "$deadline" ] || die "not READY after ${READY_TIMEOUT_S}s"
  sleep 10
done

# 6. Endpoint URL and recent logs ------------------------------------------------------------
url="$(sql_query "SHOW ENDPOINTS IN SERVICE $SERVICE" | json_field ingress_url)"
log "recent logs (instance 0):"
sql_query "SELECT SYSTEM\$GET_SERVICE_LOGS('$SERVICE', '0', 'flux-ops', 50) AS LOGS" | json_field LOGS
printf '\nFlux Operations Center is READY: https://%s\n' "$url"
