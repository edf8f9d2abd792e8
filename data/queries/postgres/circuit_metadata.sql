SELECT circuit_id, circuit_name, substation_id, voltage_level_kv, rated_mva, segment_count,
       transformer_count, meter_count, customer_count, center_lat, center_lon,
       min_lat, min_lon, max_lat, max_lon,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'circuits') AS _freshness
FROM flux.circuits
WHERE (%(substation_id)s::text IS NULL OR substation_id = %(substation_id)s::text)
  AND (%(circuit_id)s::text IS NULL OR circuit_id = %(circuit_id)s::text)
ORDER BY circuit_id COLLATE "C"
