-- One simplified path per circuit (WKT; the store turns it into the same JSON as Postgres).
SELECT c.CIRCUIT_ID AS ID, c.CIRCUIT_ID,
       COALESCE(s.LOAD_PERCENT, 0)::FLOAT AS LOAD_PERCENT,
       c.GEOM_OVERVIEW_WKT AS WKT,
       (SELECT MAX(UPDATED_AT) FROM CIRCUITS) AS _FRESHNESS
FROM CIRCUITS c
LEFT JOIN CIRCUIT_STATUS_REALTIME s ON s.CIRCUIT_ID = c.CIRCUIT_ID
WHERE c.GEOM_OVERVIEW_WKT IS NOT NULL
  AND (%(min_lon)s IS NULL
       OR (c.MAX_LON >= %(min_lon)s AND c.MIN_LON <= %(max_lon)s
           AND c.MAX_LAT >= %(min_lat)s AND c.MIN_LAT <= %(max_lat)s))
ORDER BY c.CIRCUIT_ID
