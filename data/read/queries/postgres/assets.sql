-- Grid assets filtered by circuits, ids, type and viewport; NULL filters are off.
-- Ordered by the primary key index (no sort) when there is no viewport; see assets_bbox.sql.
SELECT api_json,  -- the row as the API sends it (V005)
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'grid_assets') AS _freshness
FROM flux.grid_assets
WHERE (%(circuits)s::text[] IS NULL OR circuit_id = ANY(%(circuits)s::text[]))
  AND (%(asset_ids)s::text[] IS NULL OR asset_id = ANY(%(asset_ids)s::text[]))
  AND (%(asset_type)s::text IS NULL OR asset_type = %(asset_type)s::text)
  AND (%(min_lon)s::float8 IS NULL
       OR geom && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326))
ORDER BY asset_id
LIMIT %(limit)s
