-- Local agent, verified query feeders_above_threshold, served from the real-time cache.
-- min_customers narrows a follow-up ("which of those serve more than 500 customers?").
SELECT circuit_id, substation_id, round(load_percent::numeric, 1) AS load_percent,
       round(load_mw::numeric, 2) AS load_mw, customers_served, status
FROM flux.circuit_status_realtime
WHERE load_percent > %(threshold)s
  AND (%(min_customers)s::integer IS NULL OR customers_served > %(min_customers)s::integer)
ORDER BY load_percent DESC, circuit_id
