-- Interruption history for IEEE 1366 reliability reporting (data/reliability/ieee1366.py): one
-- row per interruption per service transformer, i.e. the customers who shared it. Six years:
-- five to fit the major event day threshold on, and the reporting year.
CREATE TABLE IF NOT EXISTS PRODUCTION.OUTAGE_HISTORY (
    INTERRUPTION_ID     VARCHAR NOT NULL,        -- the same for every transformer one interruption took out
    TRANSFORMER_ID      VARCHAR NOT NULL,
    CIRCUIT_ID          VARCHAR NOT NULL,
    SUBSTATION_ID       VARCHAR NOT NULL,
    DEVICE              VARCHAR NOT NULL,        -- transformer | lateral | feeder: what operated
    CAUSE               VARCHAR NOT NULL,
    START_TIME          TIMESTAMP_NTZ NOT NULL,  -- UTC
    END_TIME            TIMESTAMP_NTZ NOT NULL,
    START_DATE          DATE NOT NULL,           -- Houston calendar day it began (IEEE 1366 counts it there)
    DURATION_MINUTES    FLOAT NOT NULL,
    CUSTOMERS           INTEGER NOT NULL,        -- customers of this transformer
    MOMENTARY           BOOLEAN NOT NULL,        -- under 5 minutes
    STORM_ID            VARCHAR,
    STORM_TYPE          VARCHAR
);
