-- Statements the generator's warehouse loader runs (data/etl/synth/bulk.py).
-- {table} is always a name from the generator's fixed table list and {load_id} a fresh hex token
-- (one stage folder per load, so a leftover file from a failed load is never copied); values are
-- bound parameters (so a literal % is written %% in statements that take them).

-- name: clear_table
DELETE FROM {table};

-- name: put_file
PUT %(url)s @%%{table}/{load_id}/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE;

-- name: copy_file
COPY INTO {table} FROM @%{table}/{load_id}/
FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE PURGE = TRUE;

-- name: runs_for
-- a load from before the interruption history (warehouse V004) existed counts as not loaded
SELECT COUNT(*) FROM GENERATOR_RUNS
WHERE SCALE = %(scale)s AND SEED = %(seed)s AND EXISTS (SELECT 1 FROM OUTAGE_HISTORY);

-- name: clear_runs
DELETE FROM GENERATOR_RUNS;

-- name: record_run
INSERT INTO GENERATOR_RUNS (SCALE, SEED, AS_OF, AMI_METERS, AMI_DAYS, ROW_COUNTS, LOADED_AT)
VALUES (%(scale)s, %(seed)s, %(as_of)s, %(ami_meters)s, %(ami_days)s, %(row_counts)s, %(loaded_at)s);
