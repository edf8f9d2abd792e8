-- Each circuit's and grid asset's row as the API sends it (api_json), kept by Postgres whenever
-- the sync writes the row, as V004 does for feeder segments. A read of 1,456 circuits or 1,000
-- assets is then a join of stored strings: turning 22K binary values into dicts and dumping them
-- again took ~2.5 of the ~5 ms those reads cost. Keys come in the warehouse queries' order, and
-- values are written as orjson writes them (a float always has a '.0' or an exponent, NaN and
-- Infinity are null), so either store's rows decode to the same keys, values and types.
--
-- The helpers are plain SQL with no SET clause and only immutable calls, so Postgres inlines them
-- into the generated-column expressions: ~1 s per 500K assets, where a non-inlined function (a
-- SET clause, or to_json() on every string) took 4 s. Float text follows extra_float_digits; the
-- default (1) gives the shortest exact digits, as Python does.

-- Strings with a quote, a backslash or a control character take the slow, exact escaping.
CREATE OR REPLACE FUNCTION flux.json_escaped(s text)
RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN to_json(s)::text;
END
$$;

CREATE OR REPLACE FUNCTION flux.json_string(s text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s IS NULL THEN 'null'
                WHEN s ~ '[\x01-\x1f"\\]' THEN flux.json_escaped(s)
                ELSE '"' || s || '"' END
$$;

CREATE OR REPLACE FUNCTION flux.json_float(x double precision)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN x IS NULL OR x IN ('NaN', 'Infinity', '-Infinity') THEN 'null'
                WHEN x = trunc(x) AND abs(x) < 1e15 THEN x::text || '.0'
                ELSE x::text END
$$;

CREATE OR REPLACE FUNCTION flux.json_int(n bigint)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(n::text, 'null')
$$;

-- The fields of /api/circuits/metadata (data/queries/warehouse/circuit_metadata.sql).
CREATE OR REPLACE FUNCTION flux.circuit_json(
    circuit_id text, circuit_name text, substation_id text, voltage_level_kv double precision,
    rated_mva double precision, segment_count integer, transformer_count integer, meter_count integer,
    customer_count integer, center_lat double precision, center_lon double precision,
    min_lat double precision, min_lon double precision, max_lat double precision, max_lon double precision)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '{"circuit_id":' || flux.json_string(circuit_id)
           || ',"circuit_name":' || flux.json_string(circuit_name)
           || ',"substation_id":' || flux.json_string(substation_id)
           || ',"voltage_level_kv":' || flux.json_float(voltage_level_kv)
           || ',"rated_mva":' || flux.json_float(rated_mva)
           || ',"segment_count":' || flux.json_int(segment_count)
           || ',"transformer_count":' || flux.json_int(transformer_count)
           || ',"meter_count":' || flux.json_int(meter_count)
           || ',"customer_count":' || flux.json_int(customer_count)
           || ',"center_lat":' || flux.json_float(center_lat)
           || ',"center_lon":' || flux.json_float(center_lon)
           || ',"min_lat":' || flux.json_float(min_lat)
           || ',"min_lon":' || flux.json_float(min_lon)
           || ',"max_lat":' || flux.json_float(max_lat)
           || ',"max_lon":' || flux.json_float(max_lon)
           || '}'
$$;

-- The fields of /api/assets (data/queries/warehouse/assets.sql).
CREATE OR REPLACE FUNCTION flux.asset_json(
    asset_id text, asset_name text, asset_type text, latitude double precision,
    longitude double precision, load_percent double precision, health_score double precision,
    status text, voltage double precision, circuit_id text, city text, zip_code text,
    connected_customers integer, capacity double precision, substation_id text, segment_id text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '{"asset_id":' || flux.json_string(asset_id)
           || ',"asset_name":' || flux.json_string(asset_name)
           || ',"asset_type":' || flux.json_string(asset_type)
           || ',"latitude":' || flux.json_float(latitude)
           || ',"longitude":' || flux.json_float(longitude)
           || ',"load_percent":' || flux.json_float(load_percent)
           || ',"health_score":' || flux.json_float(health_score)
           || ',"status":' || flux.json_string(status)
           || ',"voltage":' || flux.json_float(voltage)
           || ',"circuit_id":' || flux.json_string(circuit_id)
           || ',"city":' || flux.json_string(city)
           || ',"zip_code":' || flux.json_string(zip_code)
           || ',"connected_customers":' || flux.json_int(connected_customers)
           || ',"capacity":' || flux.json_float(capacity)
           || ',"substation_id":' || flux.json_string(substation_id)
           || ',"segment_id":' || flux.json_string(segment_id)
           || '}'
$$;

ALTER TABLE flux.circuits ADD COLUMN IF NOT EXISTS api_json text
    GENERATED ALWAYS AS (flux.circuit_json(circuit_id, circuit_name, substation_id, voltage_level_kv,
        rated_mva, segment_count, transformer_count, meter_count, customer_count, center_lat,
        center_lon, min_lat, min_lon, max_lat, max_lon)) STORED;

ALTER TABLE flux.grid_assets ADD COLUMN IF NOT EXISTS api_json text
    GENERATED ALWAYS AS (flux.asset_json(asset_id, asset_name, asset_type, latitude, longitude,
        load_percent, health_score, status, voltage, circuit_id, city, zip_code, connected_customers,
        capacity, substation_id, segment_id)) STORED;
