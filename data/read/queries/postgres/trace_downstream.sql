-- Everything fed through a segment: the segment itself and all segments below it, with the
-- transformers on them and the customers those transformers serve.
WITH RECURSIVE down AS (
    SELECT segment_id, 0 AS hops
    FROM flux.feeder_segments WHERE segment_id = %(segment_id)s
    UNION ALL
    SELECT f.segment_id, down.hops + 1
    FROM flux.feeder_segments f JOIN down ON f.upstream_segment_id = down.segment_id
    WHERE down.hops < 100000
),
xf AS (
    SELECT a.segment_id, count(*)::int AS transformers, sum(a.connected_customers)::int AS customers
    FROM flux.grid_assets a JOIN down ON a.segment_id = down.segment_id
    WHERE a.asset_type = 'transformer'
    GROUP BY a.segment_id
)
SELECT f.segment_id, f.circuit_id, f.substation_id, f.upstream_segment_id, f.seq, down.hops,
       f.load_percent, coalesce(xf.transformers, 0) AS transformer_count,
       coalesce(xf.customers, 0) AS customer_count,
       ST_AsGeoJSON(f.geom, 5)::json -> 'coordinates' AS path,
       (SELECT max(synced_at) FROM flux.cache_freshness
         WHERE table_name IN ('feeder_segments', 'grid_assets')) AS _freshness
FROM down
JOIN flux.feeder_segments f ON f.segment_id = down.segment_id
LEFT JOIN xf ON xf.segment_id = down.segment_id
ORDER BY down.hops, f.segment_id COLLATE "C"
