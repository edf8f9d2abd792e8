SELECT substation_id, substation_name, latitude, longitude, capacity_mva, voltage_level,
       commissioned_date, operational_status, city, county,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'substations') AS _freshness
FROM flux.substations
ORDER BY substation_id COLLATE "C"
