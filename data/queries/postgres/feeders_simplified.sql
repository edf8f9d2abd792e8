-- Feeder segments, simplified geometry (mid zoom).
-- Built as one compact JSON text server-side: no per-row parsing in Python, no whitespace.
SELECT '[' || coalesce(string_agg(
           '{"id":' || to_json(f.segment_id)::text
           || ',"circuit_id":' || to_json(f.circuit_id)::text
           || ',"substation_id":' || to_json(f.substation_id)::text
           || ',"load_percent":' || round(f.load_percent::numeric, 1)::text
           || ',"path":' || (ST_AsGeoJSON(f.geom_simplified, %(decimals)s)::json -> 'coordinates')::text
           || '}', ',' ORDER BY f.segment_id), '') || ']' AS body,
       count(*)::int AS n,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name IN ('feeder_segments')) AS _freshness
FROM flux.feeder_segments f
WHERE %(min_lon)s::float8 IS NULL
   OR f.geom_simplified && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)
