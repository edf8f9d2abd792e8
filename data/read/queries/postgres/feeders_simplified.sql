-- Feeder segments, simplified geometry (mid zoom): one compact JSON text built server-side from
-- each row's stored entry (simplified_json, V004), so no per-row work in Python or here. Rows
-- come ordered from a subquery so the text (and its ETag) is stable.
SELECT '[' || coalesce(string_agg(f.simplified_json, ','), '') || ']' AS body,
       count(f.simplified_json)::int AS n,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name IN ('feeder_segments')) AS _freshness
FROM (
    SELECT f.simplified_json
    FROM flux.feeder_segments f
    WHERE %(min_lon)s::float8 IS NULL
       OR f.geom_simplified && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)
    ORDER BY f.segment_id COLLATE "C"
) f
