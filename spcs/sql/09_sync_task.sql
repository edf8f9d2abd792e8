-- 09: the warehouse -> Postgres cache sync, every 5 minutes. Run as FLUX_SYNC.
-- A Snowflake task cannot reach Postgres itself, so it runs `python -m data.etl.sync` from the app
-- image as a job service (spcs/sync_job.yaml) with the writer secret and the Postgres egress.
-- The job has a fixed name; the previous run's record is dropped first. Runs never overlap.
USE ROLE FLUX_SYNC;
USE SCHEMA FLUX.APP;

CREATE TASK IF NOT EXISTS FLUX.APP.FLUX_CACHE_SYNC
    SCHEDULE = '5 MINUTE'
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    ALLOW_OVERLAPPING_EXECUTION = FALSE
    USER_TASK_TIMEOUT_MS = 1200000
    COMMENT = 'Flux: sync the Postgres operational cache from PRODUCTION'
AS
EXECUTE IMMEDIATE $$
BEGIN
    DROP SERVICE IF EXISTS FLUX.APP.FLUX_CACHE_SYNC_JOB;
    EXECUTE JOB SERVICE
        IN COMPUTE POOL FLUX_POOL
        FROM @FLUX.APP.FLUX_DEPLOY
        SPECIFICATION_FILE = 'sync_job.yaml'
        NAME = FLUX.APP.FLUX_CACHE_SYNC_JOB
        QUERY_WAREHOUSE = FLUX_WH
        EXTERNAL_ACCESS_INTEGRATIONS = (FLUX_PG_EAI);
END;
$$;

ALTER TASK FLUX.APP.FLUX_CACHE_SYNC RESUME;
