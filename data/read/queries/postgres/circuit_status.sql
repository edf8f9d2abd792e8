-- Circuit status with names, for a details panel scope (a substation or one circuit).
SELECT c.circuit_id, c.circuit_name, c.substation_id, s.load_percent, s.load_mw, s.health_score,
       s.customers_served, s.customers_out, s.status, s.last_updated,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'circuit_status_realtime') AS _freshness
FROM flux.circuits c
JOIN flux.circuit_status_realtime s ON s.circuit_id = c.circuit_id
WHERE (%(substation_id)s::text IS NULL OR c.substation_id = %(substation_id)s::text)
  AND (%(circuit_id)s::text IS NULL OR c.circuit_id = %(circuit_id)s::text)
ORDER BY c.circuit_id COLLATE "C"
