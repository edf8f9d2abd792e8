-- The storms in the interruption history, newest first: when they began, when the last customer
-- they interrupted was restored, and their size.
SELECT STORM_ID,
       MAX(STORM_TYPE)                                               AS STORM_TYPE,
       MIN(START_TIME)                                               AS START_TIME,
       MAX(END_TIME)                                                 AS END_TIME,
       MIN(START_DATE)                                               AS FIRST_DAY,
       MAX(START_DATE)                                               AS LAST_DAY,
       COUNT(DISTINCT IFF(MOMENTARY, NULL, INTERRUPTION_ID))         AS INTERRUPTIONS,
       SUM(IFF(MOMENTARY, 0, CUSTOMERS))::INTEGER                    AS CUSTOMERS_INTERRUPTED,
       ROUND(SUM(IFF(MOMENTARY, 0, CUSTOMERS * DURATION_MINUTES)), 1)::FLOAT AS CUSTOMER_MINUTES
FROM OUTAGE_HISTORY
WHERE STORM_ID IS NOT NULL
GROUP BY STORM_ID
ORDER BY START_TIME DESC
