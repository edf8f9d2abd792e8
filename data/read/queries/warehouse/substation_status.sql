-- Per-substation roll-up of circuit status (critical: load over 85 percent, warning: 70 to 85).
SELECT s.SUBSTATION_ID,
       s.SUBSTATION_NAME,
       COUNT(c.CIRCUIT_ID)                                                      AS CIRCUIT_COUNT,
       ROUND(AVG(c.LOAD_PERCENT), 2)::FLOAT                                     AS AVG_LOAD,
       ROUND(AVG(c.HEALTH_SCORE), 2)::FLOAT                                     AS AVG_HEALTH,
       MAX(c.LOAD_PERCENT)::FLOAT                                               AS WORST_CIRCUIT_LOAD,
       MIN(c.HEALTH_SCORE)::FLOAT                                               AS WORST_CIRCUIT_HEALTH,
       COUNT(CASE WHEN c.LOAD_PERCENT > 85 THEN 1 END)                          AS CRITICAL_CIRCUITS,
       COUNT(CASE WHEN c.LOAD_PERCENT > 70 AND c.LOAD_PERCENT <= 85 THEN 1 END) AS WARNING_CIRCUITS,
       CASE WHEN MAX(c.LOAD_PERCENT) > 85 OR MIN(c.HEALTH_SCORE) < 50 THEN 'critical'
            WHEN MAX(c.LOAD_PERCENT) > 70 OR MIN(c.HEALTH_SCORE) < 70 THEN 'warning'
            ELSE 'good' END                                                     AS STATUS,
       MAX(c.LAST_UPDATED)                                                      AS LAST_UPDATED,
       s.LATITUDE,
       s.LONGITUDE,
       s.CAPACITY_MVA,
       (SELECT MAX(LAST_UPDATED) FROM CIRCUIT_STATUS_REALTIME)                  AS _FRESHNESS
FROM SUBSTATIONS s
JOIN CIRCUIT_STATUS_REALTIME c ON c.SUBSTATION_ID = s.SUBSTATION_ID
GROUP BY s.SUBSTATION_ID, s.SUBSTATION_NAME, s.LATITUDE, s.LONGITUDE, s.CAPACITY_MVA
ORDER BY s.SUBSTATION_ID
