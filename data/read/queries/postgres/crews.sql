SELECT crew_id, crew_name, crew_type, status, latitude, longitude, work_order_id,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'crews') AS _freshness
FROM flux.crews
WHERE (%(status)s::text IS NULL OR status = %(status)s::text)
ORDER BY crew_id COLLATE "C"
