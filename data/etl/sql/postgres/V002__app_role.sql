-- The app connects as flux_app: it can read the cache and nothing else. Idempotent.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'flux_app') THEN
        CREATE ROLE flux_app NOLOGIN;
    END IF;
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO flux_app', current_database());
END
$$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA flux TO flux_app;
GRANT SELECT ON ALL TABLES IN SCHEMA flux TO flux_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA flux GRANT SELECT ON TABLES TO flux_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA flux FROM flux_app;
ALTER ROLE flux_app SET default_transaction_read_only = on;
