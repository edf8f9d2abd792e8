-- Each feeder segment's entry in the map's feeder layers, kept by Postgres whenever the sync
-- changes the row. A layer is then one string_agg over stored text: the full-extent simplified
-- layer (66K segments at seed scale) takes ~60 ms where serialising every geometry per request
-- took ~140 ms (its budget uncached is 150 ms, gzip included); a zoom-13 viewport 4 ms, not 21.
-- Quote-escaping replace() beats to_json() per id by half, and slicing the coordinates out of
-- ST_AsGeoJSON's fixed '{"type":"LineString","coordinates":' prefix beats a json cast.
-- The search path is pinned: a writer session with another one must still find PostGIS.
CREATE OR REPLACE FUNCTION flux.feeder_entry(segment_id text, circuit_id text, load_percent double precision,
                                             path geometry, decimals integer)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT AS $$
    SELECT '{"id":"' || replace(replace(segment_id, '\', '\\'), '"', '\"')
           || '","circuit_id":"' || replace(replace(circuit_id, '\', '\\'), '"', '\"')
           || '","load_percent":' || (round(load_percent * 10) / 10)::text
           || ',"path":' || substr(ST_AsGeoJSON(path, decimals), 36, length(ST_AsGeoJSON(path, decimals)) - 36)
           || '}'
$$;

-- Decimals per level of detail as in data/store.py LOD_DECIMALS (simplified 4, full 5).
ALTER TABLE flux.feeder_segments ADD COLUMN IF NOT EXISTS simplified_json text
    GENERATED ALWAYS AS (flux.feeder_entry(segment_id, circuit_id, load_percent, geom_simplified, 4)) STORED;
ALTER TABLE flux.feeder_segments ADD COLUMN IF NOT EXISTS full_json text
    GENERATED ALWAYS AS (flux.feeder_entry(segment_id, circuit_id, load_percent, geom, 5)) STORED;
