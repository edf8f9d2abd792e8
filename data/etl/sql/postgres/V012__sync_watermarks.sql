-- The incremental sync's bookkeeping (data/etl/sync_live.py): per operational cache table, the
-- newest source change it has applied (UPDATED_AT / LAST_UPDATED, or silver's INGESTION_TIME for
-- ami_realtime), written in the same transaction as the rows. The full sync sets it too, to the
-- source's newest change before its read. flux_app may read it (default privileges, V002).
CREATE TABLE IF NOT EXISTS flux.sync_watermarks (
    table_name           text PRIMARY KEY,
    watermark            timestamptz NOT NULL,
    applied_at           timestamptz NOT NULL,
    rows_applied         bigint NOT NULL DEFAULT 0
);
GRANT SELECT ON flux.sync_watermarks TO flux_app;
