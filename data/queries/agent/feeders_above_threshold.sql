-- Local agent, verified query feeders_above_threshold, served from the real-time cache.
SELECT circuit_id, substation_id, round(load_percent::numeric, 1) AS load_percent,
       round(load_mw::numeric, 2) AS load_mw, status
FROM flux.circuit_status_realtime
WHERE load_percent > %(threshold)s
ORDER BY load_percent DESC, circuit_id
