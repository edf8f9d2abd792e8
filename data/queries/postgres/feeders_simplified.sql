-- Feeder segments, simplified geometry (mid zoom).
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
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name IN ('feeder_segments')) AS _freshness
FROM (
    SELECT f.segment_id AS id, f.circuit_id, f.load_percent AS load_percent,
           ST_AsGeoJSON(f.geom_simplified, %(decimals)s) AS j
    FROM flux.feeder_segments f
    WHERE %(min_lon)s::float8 IS NULL
       OR f.geom_simplified && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)
    ORDER BY f.segment_id COLLATE "C"
) f
