-- Local agent, verified query customers_out_now, served from the real-time cache.
SELECT circuit_id, substation_id, count(*) AS active_outages,
       sum(affected_customers_count) AS customers_out
FROM flux.outages_active
WHERE (%(circuit_id)s::text IS NULL OR circuit_id = %(circuit_id)s::text)
  AND (%(substation_id)s::text IS NULL OR substation_id = %(substation_id)s::text)
GROUP BY circuit_id, substation_id
ORDER BY customers_out DESC, circuit_id
