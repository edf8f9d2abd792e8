-- Hourly load of one transformer, or the sum over a circuit or substation, for the last N hours.
WITH last AS (SELECT MAX(LOAD_HOUR) AS T FROM TRANSFORMER_HOURLY_LOAD)
SELECT t.LOAD_HOUR,
       ROUND(SUM(t.LOAD_KW), 2)::FLOAT AS LOAD_KW,
       ROUND(SUM(t.RATED_KVA), 2)::FLOAT AS RATED_KVA,
       ROUND(100 * SUM(t.LOAD_KW) / NULLIF(SUM(t.RATED_KVA), 0), 2)::FLOAT AS LOAD_FACTOR_PCT,
       COUNT(CASE WHEN t.IS_OVERLOADED THEN 1 END) AS OVERLOADED_TRANSFORMERS,
       COUNT(*) AS TRANSFORMER_COUNT,
       last.T AS _FRESHNESS
FROM TRANSFORMER_HOURLY_LOAD t CROSS JOIN last
WHERE t.LOAD_HOUR > DATEADD('hour', -%(hours)s, last.T)
  AND (%(transformer_id)s IS NULL OR t.TRANSFORMER_ID = %(transformer_id)s)
  AND (%(circuit_id)s IS NULL OR t.CIRCUIT_ID = %(circuit_id)s)
  AND (%(substation_id)s IS NULL OR t.SUBSTATION_ID = %(substation_id)s)
GROUP BY t.LOAD_HOUR, last.T
ORDER BY t.LOAD_HOUR
