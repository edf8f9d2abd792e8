-- Grid assets inside a viewport, plus the same optional filters as assets.sql. When the viewport
-- holds more than the limit, the ones nearest its centre: a KNN walk of the GiST index stops after
-- `limit` rows (~3 ms for 2,000 of 108K in a zoom-11 view at seed scale, where sorting them all by
-- id took 120 ms). Distance is planar in degrees, as the warehouse computes it.
SELECT api_json,  -- the row as the API sends it (V005)
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'grid_assets') AS _freshness
FROM flux.grid_assets
WHERE geom && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)
  AND (%(circuits)s::text[] IS NULL OR circuit_id = ANY(%(circuits)s::text[]))
  AND (%(asset_ids)s::text[] IS NULL OR asset_id = ANY(%(asset_ids)s::text[]))
  AND (%(asset_type)s::text IS NULL OR asset_type = %(asset_type)s::text)
ORDER BY geom <-> ST_SetSRID(ST_MakePoint((%(min_lon)s::float8 + %(max_lon)s::float8) / 2,
                                          (%(min_lat)s::float8 + %(max_lat)s::float8) / 2), 4326)
LIMIT %(limit)s
