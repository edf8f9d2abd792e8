-- Per-substation roll-up of circuit status (critical: load over 85 percent, warning: 70 to 85).
SELECT s.substation_id,
       s.substation_name,
       count(c.circuit_id)::int                                           AS circuit_count,
       round(avg(c.load_percent)::numeric, 2)::float8                     AS avg_load,
       round(avg(c.health_score)::numeric, 2)::float8                     AS avg_health,
       max(c.load_percent)::float8                                        AS worst_circuit_load,
       min(c.health_score)::float8                                        AS worst_circuit_health,
       (count(*) FILTER (WHERE c.load_percent > 85))::int                 AS critical_circuits,
       (count(*) FILTER (WHERE c.load_percent > 70 AND c.load_percent <= 85))::int AS warning_circuits,
       CASE WHEN max(c.load_percent) > 85 OR min(c.health_score) < 50 THEN 'critical'
            WHEN max(c.load_percent) > 70 OR min(c.health_score) < 70 THEN 'warning'
            ELSE 'good' END                                               AS status,
       max(c.last_updated)                                                AS last_updated,
       s.latitude,
       s.longitude,
       s.capacity_mva,
       (SELECT max(synced_at) FROM flux.cache_freshness
         WHERE table_name IN ('substations', 'circuit_status_realtime'))  AS _freshness
FROM flux.substations s
JOIN flux.circuit_status_realtime c ON c.substation_id = s.substation_id
GROUP BY s.substation_id, s.substation_name, s.latitude, s.longitude, s.capacity_mva
ORDER BY s.substation_id COLLATE "C"
