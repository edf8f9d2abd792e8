-- Feeder segments at full detail inside a viewport (high zoom): one compact JSON text built from
-- each row's stored entry (full_json, V004). Rows come ordered from a subquery so the text (and
-- its ETag) is stable.
SELECT '[' || coalesce(string_agg(f.full_json, ','), '') || ']' AS body,
       count(f.full_json)::int AS n,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name IN ('feeder_segments')) AS _freshness
FROM (
    SELECT f.full_json
    FROM flux.feeder_segments f
    WHERE f.geom && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326)
    ORDER BY f.segment_id COLLATE "C"
) f
