-- From a segment up its upstream_segment_id chain to the circuit head (topology, not distance).
WITH RECURSIVE up AS (
    SELECT segment_id, upstream_segment_id, 0 AS hops
    FROM flux.feeder_segments WHERE segment_id = %(segment_id)s
    UNION ALL
    SELECT f.segment_id, f.upstream_segment_id, up.hops + 1
    FROM flux.feeder_segments f JOIN up ON f.segment_id = up.upstream_segment_id
    WHERE up.hops < 100000
)
SELECT f.segment_id, f.circuit_id, f.substation_id, f.upstream_segment_id, f.seq, up.hops,
       f.load_percent, ST_AsGeoJSON(f.geom, 5)::json -> 'coordinates' AS path,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'feeder_segments') AS _freshness
FROM up JOIN flux.feeder_segments f ON f.segment_id = up.segment_id
ORDER BY up.hops DESC
