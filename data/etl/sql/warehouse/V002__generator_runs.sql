-- What the synthetic generator last loaded (python -m data.generate --if-empty reads it).
CREATE TABLE IF NOT EXISTS PRODUCTION.GENERATOR_RUNS (
    SCALE               VARCHAR NOT NULL,
    SEED                INTEGER NOT NULL,
    AS_OF               TIMESTAMP_NTZ NOT NULL,
    AMI_METERS          INTEGER NOT NULL,
    AMI_DAYS            INTEGER NOT NULL,
    ROW_COUNTS          VARCHAR NOT NULL,        -- JSON: rows loaded per table
    LOADED_AT           TIMESTAMP_NTZ NOT NULL
);
