-- Local agent, verified query crew_work_orders (the cache holds active orders only).
SELECT w.work_order_id, w.work_type, w.priority, w.status, w.substation_id, w.asset_id, w.due_date
FROM flux.work_orders_active w
WHERE w.assigned_crew = %(crew_id)s::text
   OR w.assigned_crew IN (SELECT crew_name FROM flux.crews WHERE crew_id = %(crew_id)s::text)
ORDER BY CASE w.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
         w.due_date, w.work_order_id
