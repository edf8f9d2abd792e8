-- One simplified path per circuit (overview zoom).
-- Built as one compact JSON text server-side: no per-row parsing in Python, no whitespace.
SELECT '[' || coalesce(string_agg(
           '{"id":' || to_json(c.circuit_id)::text
           || ',"circuit_id":' || to_json(c.circuit_id)::text
           || ',"substation_id":' || to_json(c.substation_id)::text
           || ',"load_percent":' || round(coalesce(s.load_percent, 0)::numeric, 1)::text
           || ',"path":' || (ST_AsGeoJSON(c.geom_overview, %(decimals)s)::json -> 'coordinates')::text
           || '}', ',' ORDER BY c.circuit_id), '') || ']' AS body,
       count(*)::int AS n,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name IN ('circuits', 'circuit_status_realtime')) AS _freshness
FROM flux.circuits c
LEFT JOIN flux.circuit_status_realtime s ON s.circuit_id = c.circuit_id
WHERE c.geom_overview IS NOT NULL
  AND (%(min_lon)s::float8 IS NULL
       OR c.geom_overview && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326))
