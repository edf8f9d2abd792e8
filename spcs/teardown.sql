-- Teardown: removes the service, the sync task and job, the pool, the integrations, the APP
-- schema (image repository, stage, secrets, network rules) and the roles. Idempotent.
-- The warehouse data (FLUX.PRODUCTION) and the FLUX_WH warehouse are kept; to remove them too:
--   DROP DATABASE IF EXISTS FLUX; DROP WAREHOUSE IF EXISTS FLUX_WH;
-- Run as ACCOUNTADMIN:  snow sql -f spcs/teardown.sql
USE ROLE ACCOUNTADMIN;

ALTER TASK IF EXISTS FLUX.APP.FLUX_CACHE_SYNC SUSPEND;
DROP TASK IF EXISTS FLUX.APP.FLUX_CACHE_SYNC;
DROP SERVICE IF EXISTS FLUX.APP.FLUX_CACHE_SYNC_JOB;
DROP SERVICE IF EXISTS FLUX.APP.FLUX_OPS;

-- A pool with running services cannot be dropped; stop everything on it first.
ALTER COMPUTE POOL IF EXISTS FLUX_POOL STOP ALL;
DROP COMPUTE POOL IF EXISTS FLUX_POOL;

DROP EXTERNAL ACCESS INTEGRATION IF EXISTS FLUX_PG_EAI;
DROP EXTERNAL ACCESS INTEGRATION IF EXISTS FLUX_TILES_EAI;

-- Image repository, stage, secrets and network rules live in APP.
DROP SCHEMA IF EXISTS FLUX.APP CASCADE;

-- Dropping a role hands whatever it still owns (the database, the warehouse) to the role that
-- drops it, and removes the future grants made to it.
DROP ROLE IF EXISTS FLUX_VIEWER;
DROP ROLE IF EXISTS FLUX_SYNC;
DROP ROLE IF EXISTS FLUX_SERVICE;
DROP ROLE IF EXISTS FLUX_DEPLOYER;
