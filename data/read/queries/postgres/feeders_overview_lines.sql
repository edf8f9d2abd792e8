-- The overview (one simplified path per circuit) as straight lines, one per consecutive pair of
-- the path's vertices: deck.gl's LineLayer draws them with a shader SwiftShader compiles in a
-- third of the PathLayer's time, the map's first frame's largest cost. Each line carries its
-- circuit's id, name and load, so tooltip, colour and click read it as they read a path.
-- ST_DumpSegments keeps the vertex order; ST_AsGeoJSON of a two-point line is
-- '{"type":"LineString","coordinates":[[x0,y0],[x1,y1]]}', sliced into source and target.
SELECT '[' || coalesce(string_agg(
           '{"id":"' || replace(replace(f.id, '\', '\\'), '"', '\"')
           || '","circuit_id":"' || replace(replace(f.circuit_id, '\', '\\'), '"', '\"')
           || '","load_percent":' || (round(f.load_percent * 10) / 10)::text
           || ',"source":' || replace(substr(f.j, 37, length(f.j) - 38), '],[', '],"target":[')
           || '}', ','), '') || ']' AS body,
       count(*)::int AS n,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name IN ('circuits', 'circuit_status_realtime')) AS _freshness
FROM (
    SELECT c.circuit_id AS id, c.circuit_id, coalesce(s.load_percent, 0) AS load_percent,
           ST_AsGeoJSON(d.geom, %(decimals)s) AS j
    FROM flux.circuits c
    LEFT JOIN flux.circuit_status_realtime s ON s.circuit_id = c.circuit_id
    CROSS JOIN LATERAL ST_DumpSegments(c.geom_overview) d
    WHERE c.geom_overview IS NOT NULL
      AND (%(min_lon)s::float8 IS NULL
           OR c.geom_overview && ST_MakeEnvelope(%(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, 4326))
    ORDER BY c.circuit_id COLLATE "C", d.path[1]
) f
