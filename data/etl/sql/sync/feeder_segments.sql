SELECT SEGMENT_ID AS segment_id, CIRCUIT_ID AS circuit_id, SUBSTATION_ID AS substation_id,
       UPSTREAM_SEGMENT_ID AS upstream_segment_id, SEQ AS seq, FROM_NODE AS from_node,
       TO_NODE AS to_node, VOLTAGE_KV AS voltage_kv, RATED_AMPS AS rated_amps,
       CONDUCTOR AS conductor, LENGTH_M AS length_m, LOAD_PERCENT AS load_percent,
       GEOM_WKT AS geom_wkt, GEOM_SIMPLIFIED_WKT AS geom_simplified_wkt, UPDATED_AT AS updated_at
FROM FEEDER_SEGMENTS
