-- 04: the Postgres logins as Snowflake secrets. Run as FLUX_DEPLOYER. Rendered by spcs/render.py
-- from FLUX_DEPLOY_PG_APP_PASSWORD / FLUX_DEPLOY_PG_SYNC_PASSWORD and piped to `snow sql --stdin`
-- with its output discarded: the passwords never touch a file, a command line or a log.
USE ROLE FLUX_DEPLOYER;
USE SCHEMA FLUX.APP;

-- The dashboard's read-only Postgres login, and the sync's writer login. Separate secrets, so
-- the dashboard service never holds a credential that can write.
CREATE SECRET IF NOT EXISTS FLUX.APP.FLUX_PG_APP_SECRET
    TYPE = PASSWORD
    USERNAME = '<% pg_app_user %>'
    PASSWORD = '<% pg_app_password %>';
ALTER SECRET FLUX.APP.FLUX_PG_APP_SECRET SET USERNAME = '<% pg_app_user %>' PASSWORD = '<% pg_app_password %>';

CREATE SECRET IF NOT EXISTS FLUX.APP.FLUX_PG_SYNC_SECRET
    TYPE = PASSWORD
    USERNAME = '<% pg_sync_user %>'
    PASSWORD = '<% pg_sync_password %>';
ALTER SECRET FLUX.APP.FLUX_PG_SYNC_SECRET SET USERNAME = '<% pg_sync_user %>' PASSWORD = '<% pg_sync_password %>';

-- A service reads a secret named in its spec with READ (and USAGE) on it.
GRANT USAGE, READ ON SECRET FLUX.APP.FLUX_PG_APP_SECRET TO ROLE FLUX_SERVICE;
GRANT USAGE, READ ON SECRET FLUX.APP.FLUX_PG_SYNC_SECRET TO ROLE FLUX_SYNC;
