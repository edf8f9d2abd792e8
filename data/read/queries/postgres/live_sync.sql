-- The incremental sync's progress per operational table (V012): the newest source change applied
-- and when its last cycle committed (every cycle writes it, changed rows or not).
SELECT table_name, watermark, applied_at, rows_applied
FROM flux.sync_watermarks
ORDER BY table_name COLLATE "C"
