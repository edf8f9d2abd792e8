-- 01: account-level set-up. Run as ACCOUNTADMIN (or SECURITYADMIN + SYSADMIN). Idempotent.
-- Four roles, each with only what its job needs:
--   FLUX_DEPLOYER  builds and owns the database, warehouse, pool, repository and integrations.
--   FLUX_SERVICE   owns the dashboard service; the service's OAuth session runs as this role, so it
--                  gets read-only access to PRODUCTION and nothing else.
--   FLUX_SYNC      owns the scheduled cache-sync task and its job service.
--   FLUX_VIEWER    granted to the people who open the dashboard (the endpoint's service role).
USE ROLE ACCOUNTADMIN;

CREATE ROLE IF NOT EXISTS FLUX_DEPLOYER COMMENT = 'Flux Operations Center: builds and owns the deployment';
CREATE ROLE IF NOT EXISTS FLUX_SERVICE COMMENT = 'Flux Operations Center: runs the dashboard service (read-only)';
CREATE ROLE IF NOT EXISTS FLUX_SYNC COMMENT = 'Flux Operations Center: runs the warehouse-to-Postgres cache sync';
CREATE ROLE IF NOT EXISTS FLUX_VIEWER COMMENT = 'Flux Operations Center: dashboard users';

-- The deployer creates the runtime roles' objects and grants on them.
GRANT ROLE FLUX_SERVICE TO ROLE FLUX_DEPLOYER;
GRANT ROLE FLUX_SYNC TO ROLE FLUX_DEPLOYER;
GRANT ROLE FLUX_VIEWER TO ROLE FLUX_DEPLOYER;
GRANT ROLE FLUX_DEPLOYER TO ROLE SYSADMIN;

GRANT CREATE DATABASE ON ACCOUNT TO ROLE FLUX_DEPLOYER;
GRANT CREATE WAREHOUSE ON ACCOUNT TO ROLE FLUX_DEPLOYER;
GRANT CREATE COMPUTE POOL ON ACCOUNT TO ROLE FLUX_DEPLOYER;
GRANT CREATE INTEGRATION ON ACCOUNT TO ROLE FLUX_DEPLOYER;

-- A public endpoint needs BIND SERVICE ENDPOINT on the service owner's role.
GRANT BIND SERVICE ENDPOINT ON ACCOUNT TO ROLE FLUX_SERVICE;
-- The sync runs as a serverless scheduled task.
GRANT EXECUTE TASK ON ACCOUNT TO ROLE FLUX_SYNC;
GRANT EXECUTE MANAGED TASK ON ACCOUNT TO ROLE FLUX_SYNC;
-- The Grid Intelligence chat calls the Cortex Agent as the service role.
GRANT DATABASE ROLE SNOWFLAKE.CORTEX_USER TO ROLE FLUX_SERVICE;
