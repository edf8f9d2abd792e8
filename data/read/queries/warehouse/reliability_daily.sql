-- Daily sums for IEEE 1366 (data/reliability/ieee1366.py), days with interruptions only: sustained
-- customer interruptions (CI), their customer minutes (CMI), customer momentary interruptions (MI).
-- An interruption counts, whole, on the local day it began (START_DATE).
SELECT START_DATE AS DAY,
       SUM(IFF(MOMENTARY, 0, CUSTOMERS))::FLOAT                    AS CI,
       SUM(IFF(MOMENTARY, 0, CUSTOMERS * DURATION_MINUTES))::FLOAT AS CMI,
       SUM(IFF(MOMENTARY, CUSTOMERS, 0))::FLOAT                    AS MI
FROM OUTAGE_HISTORY
WHERE START_DATE BETWEEN %(from_date)s AND %(to_date)s
  AND (%(circuit_id)s IS NULL OR CIRCUIT_ID = %(circuit_id)s)
GROUP BY START_DATE
ORDER BY START_DATE
