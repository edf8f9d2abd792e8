-- Each segment's entry in the full-detail feeder layer (5 decimals), kept like simplified_json
-- (V004). Map pans at zoom 13+ mostly ask for viewports nobody asked for in the last minute,
-- so this layer is built cold far more often than the others.
ALTER TABLE flux.feeder_segments ADD COLUMN IF NOT EXISTS full_json text GENERATED ALWAYS AS (
    '{"id":"' || replace(replace(segment_id, '\', '\\'), '"', '\"')
    || '","circuit_id":"' || replace(replace(circuit_id, '\', '\\'), '"', '\"')
    || '","load_percent":' || (round(load_percent * 10) / 10)::text
    || ',"path":' || substr(ST_AsGeoJSON(geom, 5), 36, length(ST_AsGeoJSON(geom, 5)) - 36)
    || '}'
) STORED;
