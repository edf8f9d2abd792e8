-- Each segment's entry in the simplified feeder layer (4 decimals, data/store.py LOD_DECIMALS),
-- kept by Postgres whenever the sync changes the row. The full-extent layer is then one
-- string_agg over stored text: ~60 ms at seed scale, where serialising 66K geometries per
-- request took ~140 ms (the issue's budget for it uncached is 150 ms, gzip included).
-- Quote-escaping replace() and slicing ST_AsGeoJSON's fixed prefix: see feeders_simplified.sql.
ALTER TABLE flux.feeder_segments ADD COLUMN IF NOT EXISTS simplified_json text GENERATED ALWAYS AS (
    '{"id":"' || replace(replace(segment_id, '\', '\\'), '"', '\"')
    || '","circuit_id":"' || replace(replace(circuit_id, '\', '\\'), '"', '\"')
    || '","load_percent":' || (round(load_percent * 10) / 10)::text
    || ',"path":' || substr(ST_AsGeoJSON(geom_simplified, 4), 36, length(ST_AsGeoJSON(geom_simplified, 4)) - 36)
    || '}'
) STORED;
