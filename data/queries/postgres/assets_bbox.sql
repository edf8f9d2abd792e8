-- Grid assets inside a viewport (GiST), plus the same optional filters as assets.sql.
-- The few thousand rows in a viewport are sorted with COLLATE "C" (byte order, as the warehouse
-- sorts): at seed scale that sort takes half the time of one under the database's C.UTF-8.
SELECT asset_id, asset_name, asset_type, latitude, longitude, load_percent, health_score, status,
       voltage, circuit_id, city, zip_code, connected_customers, capacity, substation_id, segment_id,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'grid_assets') AS _freshness
FROM flux.grid_assets
WHERE geom && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)
  AND (%(circuits)s::text[] IS NULL OR circuit_id = ANY(%(circuits)s::text[]))
  AND (%(asset_ids)s::text[] IS NULL OR asset_id = ANY(%(asset_ids)s::text[]))
  AND (%(asset_type)s::text IS NULL OR asset_type = %(asset_type)s::text)
ORDER BY asset_id COLLATE "C"
LIMIT %(limit)s
