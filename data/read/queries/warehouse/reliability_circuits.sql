-- Each circuit's IEEE 1366 totals over a period, with all days and without the major event days
-- given (%(med_days)s: comma-separated dates, or NULL). CEMI-n and CELID-t count the customers of
-- each transformer (they share every interruption): more than %(cemi_n)s sustained interruptions,
-- and %(celid_minutes)s minutes or more of them.
WITH served AS (
    SELECT CIRCUIT_ID, COUNT(*) AS N FROM CUSTOMERS_MASTER_DATA GROUP BY CIRCUIT_ID
),
med AS (
    SELECT NULLIF(VALUE::VARCHAR, '')::DATE AS DAY FROM TABLE(FLATTEN(INPUT => SPLIT(COALESCE(%(med_days)s, ''), ',')))
),
h AS (
    SELECT o.CIRCUIT_ID, o.TRANSFORMER_ID, o.CUSTOMERS, o.DURATION_MINUTES, o.MOMENTARY,
           m.DAY IS NOT NULL AS IS_MED
    FROM OUTAGE_HISTORY o LEFT JOIN med m ON o.START_DATE = m.DAY
    WHERE o.START_DATE BETWEEN %(from_date)s AND %(to_date)s
      AND (%(circuit_id)s IS NULL OR o.CIRCUIT_ID = %(circuit_id)s)
),
per_circuit AS (
    SELECT CIRCUIT_ID,
           SUM(IFF(MOMENTARY, 0, CUSTOMERS))                                     AS CI_ALL,
           SUM(IFF(MOMENTARY, 0, CUSTOMERS * DURATION_MINUTES))                  AS CMI_ALL,
           SUM(IFF(MOMENTARY, CUSTOMERS, 0))                                     AS MI_ALL,
           SUM(IFF(MOMENTARY OR IS_MED, 0, CUSTOMERS))                           AS CI_EX,
           SUM(IFF(MOMENTARY OR IS_MED, 0, CUSTOMERS * DURATION_MINUTES))        AS CMI_EX,
           SUM(IFF(MOMENTARY AND NOT IS_MED, CUSTOMERS, 0))                      AS MI_EX
    FROM h GROUP BY CIRCUIT_ID
),
per_transformer AS (
    SELECT CIRCUIT_ID, TRANSFORMER_ID, MAX(CUSTOMERS) AS CUSTOMERS,
           COUNT(*) AS N_ALL, SUM(DURATION_MINUTES) AS MIN_ALL,
           SUM(IFF(IS_MED, 0, 1)) AS N_EX, SUM(IFF(IS_MED, 0, DURATION_MINUTES)) AS MIN_EX
    FROM h WHERE NOT MOMENTARY GROUP BY CIRCUIT_ID, TRANSFORMER_ID
),
per_group AS (
    SELECT CIRCUIT_ID,
           SUM(IFF(N_ALL > %(cemi_n)s, CUSTOMERS, 0))          AS CEMI_ALL,
           SUM(IFF(N_EX > %(cemi_n)s, CUSTOMERS, 0))           AS CEMI_EX,
           SUM(IFF(MIN_ALL >= %(celid_minutes)s, CUSTOMERS, 0)) AS CELID_ALL,
           SUM(IFF(MIN_EX >= %(celid_minutes)s, CUSTOMERS, 0))  AS CELID_EX
    FROM per_transformer GROUP BY CIRCUIT_ID
)
SELECT c.CIRCUIT_ID, c.SUBSTATION_ID,
       COALESCE(s.N, 0)::INTEGER           AS CUSTOMERS_SERVED,
       COALESCE(p.CI_ALL, 0)::FLOAT        AS CI_ALL,
       COALESCE(p.CMI_ALL, 0)::FLOAT       AS CMI_ALL,
       COALESCE(p.MI_ALL, 0)::FLOAT        AS MI_ALL,
       COALESCE(g.CEMI_ALL, 0)::FLOAT      AS CEMI_ALL,
       COALESCE(g.CELID_ALL, 0)::FLOAT     AS CELID_ALL,
       COALESCE(p.CI_EX, 0)::FLOAT         AS CI_EX,
       COALESCE(p.CMI_EX, 0)::FLOAT        AS CMI_EX,
       COALESCE(p.MI_EX, 0)::FLOAT         AS MI_EX,
       COALESCE(g.CEMI_EX, 0)::FLOAT       AS CEMI_EX,
       COALESCE(g.CELID_EX, 0)::FLOAT      AS CELID_EX
FROM CIRCUITS c
LEFT JOIN served s ON s.CIRCUIT_ID = c.CIRCUIT_ID
LEFT JOIN per_circuit p ON p.CIRCUIT_ID = c.CIRCUIT_ID
LEFT JOIN per_group g ON g.CIRCUIT_ID = c.CIRCUIT_ID
WHERE %(circuit_id)s IS NULL OR c.CIRCUIT_ID = %(circuit_id)s
ORDER BY c.CIRCUIT_ID
