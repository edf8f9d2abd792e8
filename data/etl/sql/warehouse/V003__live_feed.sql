-- The live feed (python -m data.etl.live): meter events, the ingestion ledger and the feed's
-- heartbeat. Idempotent.

-- Head-end meter events: last gasp (power fail) and power restore. Some never arrive, and those
-- that do arrive late: EVENT_TIME is the meter's clock, INGESTION_TIME when the row landed.
CREATE TABLE IF NOT EXISTS PRODUCTION.METER_EVENTS (
    EVENT_ID            VARCHAR NOT NULL,
    METER_ID            VARCHAR NOT NULL,
    TRANSFORMER_ID      VARCHAR NOT NULL,
    CIRCUIT_ID          VARCHAR,
    EVENT_TYPE          VARCHAR NOT NULL,        -- last_gasp | power_restore
    EVENT_TIME          TIMESTAMP_NTZ NOT NULL,
    INGESTION_TIME      TIMESTAMP_NTZ NOT NULL,
    BATCH_ID            VARCHAR NOT NULL
);

-- One row per micro-batch the feed delivered: rows and a checksum of their content, so a batch
-- missing from its table (or present twice) is detectable. At-least-once: a batch replayed after
-- a crash between its load and this row may appear twice here and in bronze; silver dedups.
CREATE TABLE IF NOT EXISTS PRODUCTION.INGEST_BATCHES (
    BATCH_ID            VARCHAR NOT NULL,
    FEED                VARCHAR NOT NULL,
    TABLE_NAME          VARCHAR NOT NULL,
    SEQ                 INTEGER NOT NULL,        -- order of creation within the feed
    ROW_COUNT           INTEGER NOT NULL,
    CHECKSUM            VARCHAR NOT NULL,        -- sha256 of the batch's rows (Arrow IPC)
    CREATED_AT          TIMESTAMP_NTZ NOT NULL,  -- when the feed cut the batch
    LOADED_AT           TIMESTAMP_NTZ NOT NULL,  -- its INGESTION_TIME / UPDATED_AT
    WRITER              VARCHAR NOT NULL,        -- stage (PUT + COPY) | bound (one bound JSON)
    REPLAYED            BOOLEAN NOT NULL         -- came back from the on-disk spill queue
);

-- The feed's latest heartbeat (one row per feed, rewritten every few seconds).
CREATE TABLE IF NOT EXISTS PRODUCTION.FEED_HEARTBEATS (
    FEED                VARCHAR NOT NULL,
    BEAT_AT             TIMESTAMP_NTZ NOT NULL,
    SIM_TIME            TIMESTAMP_NTZ NOT NULL,
    SPEED               FLOAT NOT NULL,
    SCENARIO            VARCHAR NOT NULL,
    METERS              INTEGER NOT NULL,
    ROWS_PER_S          FLOAT NOT NULL,          -- rows delivered per wall second, last window
    LAG_S               FLOAT NOT NULL,          -- wall seconds from a batch's cut to its load (last)
    BUFFERED_ROWS       INTEGER NOT NULL,        -- waiting in memory
    SPILLED_BATCHES     INTEGER NOT NULL,        -- waiting on disk
    ROWS_TOTAL          INTEGER NOT NULL,
    ACTIVE_OUTAGES      INTEGER NOT NULL,
    STATUS              VARCHAR NOT NULL         -- running | degraded (warehouse down) | stopped
);
