-- Feeder segments of the circuits whose extent meets the viewport; the store clips per segment.
SELECT f.SEGMENT_ID AS ID, f.CIRCUIT_ID, f.LOAD_PERCENT::FLOAT AS LOAD_PERCENT,
       IFF(%(full)s, f.GEOM_WKT, f.GEOM_SIMPLIFIED_WKT) AS WKT,
       (SELECT MAX(UPDATED_AT) FROM FEEDER_SEGMENTS) AS _FRESHNESS
FROM FEEDER_SEGMENTS f
JOIN CIRCUITS c ON c.CIRCUIT_ID = f.CIRCUIT_ID
WHERE %(min_lon)s IS NULL
   OR (c.MAX_LON >= %(min_lon)s AND c.MIN_LON <= %(max_lon)s
       AND c.MAX_LAT >= %(min_lat)s AND c.MIN_LAT <= %(max_lat)s)
ORDER BY f.SEGMENT_ID
