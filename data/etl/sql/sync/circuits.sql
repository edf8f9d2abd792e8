SELECT CIRCUIT_ID AS circuit_id, CIRCUIT_NAME AS circuit_name, SUBSTATION_ID AS substation_id,
       VOLTAGE_LEVEL_KV AS voltage_level_kv, RATED_MVA AS rated_mva, SEGMENT_COUNT AS segment_count,
       TRANSFORMER_COUNT AS transformer_count, METER_COUNT AS meter_count,
       CUSTOMER_COUNT AS customer_count, CENTER_LAT AS center_lat, CENTER_LON AS center_lon,
       MIN_LAT AS min_lat, MIN_LON AS min_lon, MAX_LAT AS max_lat, MAX_LON AS max_lon,
       GEOM_OVERVIEW_WKT AS geom_overview_wkt, UPDATED_AT AS updated_at
FROM CIRCUITS
