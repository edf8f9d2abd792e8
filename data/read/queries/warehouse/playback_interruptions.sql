-- Sustained interruptions under way at some time in [from_time, to_time): one row each, with the
-- customers and transformers it took out and where (the mean position of its transformers).
SELECT h.INTERRUPTION_ID,
       MIN(h.START_TIME)                 AS START_TIME,
       MAX(h.END_TIME)                   AS END_TIME,
       SUM(h.CUSTOMERS)::INTEGER         AS CUSTOMERS,
       COUNT(*)::INTEGER                 AS TRANSFORMERS,
       MAX(h.CIRCUIT_ID)                 AS CIRCUIT_ID,
       MAX(h.DEVICE)                     AS DEVICE,
       MAX(h.CAUSE)                      AS CAUSE,
       MAX(h.STORM_ID)                   AS STORM_ID,
       ROUND(AVG(a.LATITUDE), 5)::FLOAT  AS LATITUDE,
       ROUND(AVG(a.LONGITUDE), 5)::FLOAT AS LONGITUDE
FROM OUTAGE_HISTORY h
JOIN GRID_ASSETS a ON a.ASSET_ID = h.TRANSFORMER_ID
WHERE NOT h.MOMENTARY
  AND h.START_TIME < %(to_time)s
  AND h.END_TIME > %(from_time)s
GROUP BY h.INTERRUPTION_ID
ORDER BY START_TIME, h.INTERRUPTION_ID
