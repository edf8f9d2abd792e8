-- Operator KPIs computed from data. Reliability indices per IEEE 1366 over the 12 months before
-- the latest outage start (the data's "now"): sustained interruptions (> 5 min) that have ended.
--   SAIFI = sum(customers interrupted) / customers served
--   SAIDI = sum(customer-minutes interrupted) / customers served
--   CAIDI = SAIDI / SAIFI
WITH anchor AS (
    SELECT COALESCE(MAX(START_TIME), CURRENT_TIMESTAMP()::TIMESTAMP_NTZ) AS AS_OF FROM OUTAGE_EVENTS
),
served AS (SELECT COUNT(*) AS N FROM CUSTOMERS_MASTER_DATA),
active AS (
    SELECT COUNT(*) AS N, COALESCE(SUM(AFFECTED_CUSTOMERS_COUNT), 0)::INTEGER AS CUSTOMERS
    FROM OUTAGE_EVENTS WHERE END_TIME IS NULL
),
sustained AS (
    SELECT COUNT(*) AS EVENTS,
           COALESCE(SUM(o.AFFECTED_CUSTOMERS_COUNT), 0)::FLOAT AS CI,
           COALESCE(SUM(o.AFFECTED_CUSTOMERS_COUNT * o.DURATION_MINUTES), 0)::FLOAT AS CMI,
           AVG(o.DURATION_MINUTES)::FLOAT AS AVG_MINUTES
    FROM OUTAGE_EVENTS o CROSS JOIN anchor a
    WHERE o.END_TIME IS NOT NULL
      AND o.DURATION_MINUTES > 5
      AND o.START_TIME > DATEADD('month', -12, a.AS_OF)
      AND o.START_TIME <= a.AS_OF
),
grid AS (SELECT COALESCE(SUM(LOAD_MW), 0)::FLOAT AS MW FROM CIRCUIT_STATUS_REALTIME),
crew AS (SELECT COUNT(CASE WHEN STATUS IN ('dispatched', 'on_site') THEN 1 END) AS N FROM CREWS),
ercot_last AS (SELECT MAX(INTERVAL_START) AS T FROM ERCOT_PRICES_5MIN),
ercot_now AS (
    SELECT AVG(e.LMP_USD_MWH)::FLOAT AS LMP, SUM(e.HOUSTON_LOAD_MW)::FLOAT AS LOAD_MW, MAX(e.INTERVAL_START) AS T
    FROM ERCOT_PRICES_5MIN e JOIN ercot_last l ON e.INTERVAL_START = l.T
),
ercot_peak AS (
    SELECT MAX(h.MW)::FLOAT AS PEAK_MW FROM (
        SELECT e.INTERVAL_START, SUM(e.HOUSTON_LOAD_MW) AS MW
        FROM ERCOT_PRICES_5MIN e CROSS JOIN ercot_last l
        WHERE e.INTERVAL_START > DATEADD('day', -365, l.T)
        GROUP BY e.INTERVAL_START
    ) h
),
wx AS (
    SELECT w.TIMESTAMP_UTC, w.TEMP_F FROM HOUSTON_WEATHER_HOURLY w
    WHERE w.TIMESTAMP_UTC = (SELECT MAX(TIMESTAMP_UTC) FROM HOUSTON_WEATHER_HOURLY)
)
SELECT served.N                                                   AS TOTAL_CUSTOMERS,
       active.N                                                   AS ACTIVE_OUTAGES,
       active.CUSTOMERS                                           AS CUSTOMERS_OUT,
       ROUND(grid.MW, 2)::FLOAT                                   AS TOTAL_LOAD_MW,
       crew.N                                                     AS CREWS_ACTIVE,
       ROUND(sustained.AVG_MINUTES, 1)::FLOAT                     AS AVG_RESTORATION_MINUTES,
       sustained.EVENTS                                           AS SUSTAINED_INTERRUPTIONS,
       IFF(served.N = 0, NULL, ROUND(sustained.CMI / served.N, 3))::FLOAT AS SAIDI,
       IFF(served.N = 0, NULL, ROUND(sustained.CI / served.N, 4))::FLOAT  AS SAIFI,
       IFF(sustained.CI = 0, NULL, ROUND(sustained.CMI / sustained.CI, 2))::FLOAT AS CAIDI,
       DATEADD('month', -12, anchor.AS_OF)                        AS PERIOD_START,
       anchor.AS_OF                                               AS PERIOD_END,
       ROUND((SELECT LOAD_MW FROM ercot_now), 1)::FLOAT           AS SYSTEM_LOAD_MW,
       ROUND((SELECT PEAK_MW FROM ercot_peak), 1)::FLOAT          AS SYSTEM_PEAK_MW,
       ROUND(100 * (SELECT LOAD_MW FROM ercot_now)
             / NULLIF((SELECT PEAK_MW FROM ercot_peak), 0), 1)::FLOAT AS SYSTEM_LOAD_PCT_OF_PEAK,
       ROUND((SELECT LMP FROM ercot_now), 2)::FLOAT               AS ERCOT_PRICE_USD_MWH,
       (SELECT T FROM ercot_now)                                  AS ERCOT_INTERVAL,
       (SELECT TEMP_F FROM wx)::FLOAT                             AS TEMP_F,
       (SELECT TIMESTAMP_UTC FROM wx)                             AS WEATHER_TIME,
       GREATEST(anchor.AS_OF, COALESCE((SELECT MAX(LAST_UPDATED) FROM CIRCUIT_STATUS_REALTIME), anchor.AS_OF)) AS _FRESHNESS
FROM served, active, sustained, grid, crew, anchor
