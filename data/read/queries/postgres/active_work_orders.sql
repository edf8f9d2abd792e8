-- The table holds active orders only (the sync never copies completed or cancelled ones).
SELECT work_order_id, asset_id, asset_type, substation_id, circuit_id, outage_id, work_type,
       priority, status, assigned_crew, created_date, scheduled_date, due_date, estimated_cost,
       labor_hours, latitude, longitude, description,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'work_orders_active') AS _freshness
FROM flux.work_orders_active
WHERE (%(status)s::text IS NULL OR status = %(status)s::text)
  AND (%(priority)s::text IS NULL OR priority = %(priority)s::text)
  AND (%(substation_id)s::text IS NULL OR substation_id = %(substation_id)s::text)
  AND (%(circuit_id)s::text IS NULL OR circuit_id = %(circuit_id)s::text)
  AND (%(outage_id)s::text IS NULL OR outage_id = %(outage_id)s::text)
  AND (%(crew)s::text IS NULL OR assigned_crew = %(crew)s::text)
-- (V006 indexes this order)
ORDER BY CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
         created_date, work_order_id COLLATE "C"
LIMIT %(limit)s
