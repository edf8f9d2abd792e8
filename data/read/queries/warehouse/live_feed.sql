-- The live feed's latest heartbeat (V003, one row per feed, rewritten every few seconds).
SELECT FEED, BEAT_AT, SIM_TIME, SPEED, SCENARIO, ROWS_PER_S, LAG_S, BUFFERED_ROWS, SPILLED_BATCHES,
       ROWS_TOTAL, ACTIVE_OUTAGES, STATUS
FROM FEED_HEARTBEATS
WHERE FEED = %(feed)s
