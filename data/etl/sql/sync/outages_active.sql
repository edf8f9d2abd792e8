-- Outages still open. Nullable timestamps travel as text: fakesnow returns a NULL TIMESTAMP as
-- 1970-01-01, and Postgres parses the text into timestamptz all the same.
SELECT OUTAGE_ID AS outage_id, START_TIME AS start_time, CAUSE AS cause, SEVERITY AS severity,
       PRIORITY AS priority, RESTORATION_STATUS AS restoration_status,
       AFFECTED_CUSTOMERS_COUNT AS affected_customers_count, LATITUDE AS latitude,
       LONGITUDE AS longitude, TRANSFORMER_ID AS transformer_id,
       AFFECTED_TRANSFORMERS AS affected_transformers,
       TO_VARCHAR(ESTIMATED_RESTORATION_TIME) AS estimated_restoration_time,
       ASSIGNED_CREW_COUNT AS assigned_crew_count, CIRCUIT_ID AS circuit_id,
       SUBSTATION_ID AS substation_id, UPDATED_AT AS updated_at
FROM OUTAGE_EVENTS
WHERE END_TIME IS NULL
