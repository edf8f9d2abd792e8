-- One simplified path per circuit (overview zoom).
-- One compact JSON text built server-side (no per-row work in Python). Measured at seed scale:
-- to_json() per id costs twice the quote-escaping replace() below, and slicing the coordinates
-- out of ST_AsGeoJSON's fixed '{"type":"LineString","coordinates":...}' text is cheaper than a
-- json cast and '->'. Rows come ordered from a subquery so the text (and its ETag) is stable.
SELECT '[' || coalesce(string_agg(
           '{"id":"' || replace(replace(f.id, '\', '\\'), '"', '\"')
           || '","circuit_id":"' || replace(replace(f.circuit_id, '\', '\\'), '"', '\"')
           || '","load_percent":' || (round(f.load_percent * 10) / 10)::text
           || ',"path":' || substr(f.j, 36, length(f.j) - 36)
           || '}', ','), '') || ']' AS body,
       count(*)::int AS n,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name IN ('circuits', 'circuit_status_realtime')) AS _freshness
FROM (
    SELECT c.circuit_id AS id, c.circuit_id, coalesce(s.load_percent, 0) AS load_percent,
           ST_AsGeoJSON(c.geom_overview, %(decimals)s) AS j
    FROM flux.circuits c
    LEFT JOIN flux.circuit_status_realtime s ON s.circuit_id = c.circuit_id
    WHERE c.geom_overview IS NOT NULL
      AND (%(min_lon)s::float8 IS NULL
           OR c.geom_overview && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326))
    ORDER BY c.circuit_id COLLATE "C"
) f
