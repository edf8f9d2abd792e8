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

-- Each meter's power state from the head-end's last gasp / power restore events (warehouse
-- METER_EVENTS, the live feed's V003), kept by the incremental sync beside its last reading;
-- the full sync of ami_realtime leaves these two columns as they are.
ALTER TABLE flux.ami_realtime ADD COLUMN IF NOT EXISTS power_state text NOT NULL DEFAULT 'on';
ALTER TABLE flux.ami_realtime ADD COLUMN IF NOT EXISTS power_state_at timestamptz;
