-- The work-order queue's order (data/queries/postgres/active_work_orders.sql): critical first,
-- then oldest, then id. An index scan stops after the page's 500 orders; sorting all ~1,200
-- active orders per read took ~1.4 of its ~2.4 ms at seed scale. The expression must stay
-- identical to the query's ORDER BY for the planner to use it.
CREATE INDEX IF NOT EXISTS work_orders_active_queue_idx ON flux.work_orders_active (
    (CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END),
    created_date,
    work_order_id COLLATE "C");
