-- 07: the dashboard service. Run as FLUX_SERVICE, so the service's own OAuth session has only
-- that role's read-only privileges. deploy.sh uploads the rendered spcs/service.yaml first;
-- on an existing service it runs ALTER SERVICE ... FROM @stage SPECIFICATION_FILE (a rolling
-- upgrade) after this file.
USE ROLE FLUX_SERVICE;
USE SCHEMA FLUX.APP;

-- Instance counts belong here, not in the specification (SPCS ignores min_instances in YAML).
CREATE SERVICE IF NOT EXISTS FLUX.APP.FLUX_OPS
    IN COMPUTE POOL FLUX_POOL
    FROM @FLUX.APP.FLUX_DEPLOY
    SPECIFICATION_FILE = 'service.yaml'
    EXTERNAL_ACCESS_INTEGRATIONS = (FLUX_PG_EAI, FLUX_TILES_EAI)
    AUTO_RESUME = TRUE
    MIN_INSTANCES = 1
    MAX_INSTANCES = 5
    QUERY_WAREHOUSE = FLUX_WH
    COMMENT = 'Flux Operations Center dashboard';

-- Converge an existing service's properties on re-run.
ALTER SERVICE IF EXISTS FLUX.APP.FLUX_OPS SET
    MIN_INSTANCES = 1
    MAX_INSTANCES = 5
    QUERY_WAREHOUSE = FLUX_WH
    EXTERNAL_ACCESS_INTEGRATIONS = (FLUX_PG_EAI, FLUX_TILES_EAI);
