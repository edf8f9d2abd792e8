-- flux_app reads the cache and nothing else: PostgreSQL grants every role TEMPORARY on a
-- database by default (through PUBLIC), which let it create temporary tables, and functions in
-- its pg_temp schema. Taken from PUBLIC and given back to the role that runs the migrations
-- (the sync's writer, which stages each table in a temporary table). Idempotent.
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM flux_app', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), current_user);
END
$$;
