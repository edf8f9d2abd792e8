SELECT ASSET_ID, ASSET_NAME, ASSET_TYPE, LATITUDE, LONGITUDE, LOAD_PERCENT, HEALTH_SCORE, STATUS,
       VOLTAGE, CIRCUIT_ID, CITY, ZIP_CODE, CONNECTED_CUSTOMERS, CAPACITY, SUBSTATION_ID, SEGMENT_ID,
       (SELECT MAX(UPDATED_AT) FROM GRID_ASSETS) AS _FRESHNESS
FROM GRID_ASSETS
WHERE (%(circuits)s IS NULL
       OR CIRCUIT_ID IN (SELECT VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => SPLIT(%(circuits)s, ',')))))
  AND (%(asset_ids)s IS NULL
       OR ASSET_ID IN (SELECT VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => SPLIT(%(asset_ids)s, ',')))))
  AND (%(asset_type)s IS NULL OR ASSET_TYPE = %(asset_type)s)
  AND (%(min_lon)s IS NULL
       OR (LONGITUDE BETWEEN %(min_lon)s AND %(max_lon)s AND LATITUDE BETWEEN %(min_lat)s AND %(max_lat)s))
-- in a viewport, the assets nearest its centre first (as Postgres's KNN order); else by id
ORDER BY CASE WHEN %(min_lon)s IS NULL THEN 0
              ELSE SQUARE(LONGITUDE - (%(min_lon)s + %(max_lon)s) / 2) + SQUARE(LATITUDE - (%(min_lat)s + %(max_lat)s) / 2)
         END,
         ASSET_ID
LIMIT %(limit)s
