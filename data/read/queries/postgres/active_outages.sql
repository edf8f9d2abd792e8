SELECT outage_id, start_time, cause, severity, priority, restoration_status,
       affected_customers_count, latitude, longitude, transformer_id, affected_transformers,
       estimated_restoration_time, assigned_crew_count, circuit_id, substation_id,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'outages_active') AS _freshness
FROM flux.outages_active
WHERE (%(status)s::text IS NULL OR restoration_status = %(status)s::text)
  AND (%(priority)s::text IS NULL OR priority = %(priority)s::text)
  AND (%(substation_id)s::text IS NULL OR substation_id = %(substation_id)s::text)
  AND (%(circuit_id)s::text IS NULL OR circuit_id = %(circuit_id)s::text)
  AND (%(outage_id)s::text IS NULL OR outage_id = %(outage_id)s::text)
ORDER BY start_time DESC, outage_id COLLATE "C"
