-- Local agent, verified query open_work_orders_by_priority (the cache holds active orders only).
SELECT priority, count(*) AS work_orders, round(sum(estimated_cost)::numeric, 0) AS estimated_cost
FROM flux.work_orders_active
GROUP BY priority
ORDER BY CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END
