-- Outages changed since the watermark (UPDATED_AT > %(since)s), open or not: a restored one
-- (END_TIME set) comes back with gone = TRUE and leaves the cache. Nullable timestamps travel as
-- text (see ../outages_active.sql). mark: the watermark column.
SELECT OUTAGE_ID AS outage_id, START_TIME AS start_time, CAUSE AS cause, SEVERITY AS severity,
       PRIORITY AS priority, RESTORATION_STATUS AS restoration_status,
       AFFECTED_CUSTOMERS_COUNT AS affected_customers_count, LATITUDE AS latitude,
       LONGITUDE AS longitude, TRANSFORMER_ID AS transformer_id,
       AFFECTED_TRANSFORMERS AS affected_transformers,
       TO_VARCHAR(ESTIMATED_RESTORATION_TIME) AS estimated_restoration_time,
       ASSIGNED_CREW_COUNT AS assigned_crew_count, CIRCUIT_ID AS circuit_id,
       SUBSTATION_ID AS substation_id, UPDATED_AT AS updated_at,
       END_TIME IS NOT NULL AS gone, UPDATED_AT AS mark
FROM OUTAGE_EVENTS
WHERE UPDATED_AT > %(since)s
