SELECT segment_id, circuit_id, substation_id, upstream_segment_id, seq, voltage_kv, rated_amps,
       conductor, length_m, load_percent,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'feeder_segments') AS _freshness
FROM flux.feeder_segments
WHERE segment_id = %(segment_id)s
