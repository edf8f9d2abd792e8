-- The next window of bronze past the silver watermark: up to the arrival time of its %(cap)s-th
-- row by INGESTION_TIME, and how many rows that is. Rows sharing the bound's INGESTION_TIME all
-- fall in the window, so a delivery is never split between two windows.
WITH bound AS (
    SELECT MAX(INGESTION_TIME) AS HI
    FROM (
        SELECT INGESTION_TIME
        FROM AMI_INTERVAL_READINGS
        WHERE INGESTION_TIME > %(lo)s
        ORDER BY INGESTION_TIME
        LIMIT %(cap)s
    ) first_rows
)
SELECT COUNT(*) AS PENDING, MAX(b.INGESTION_TIME) AS HIGH_WATER
FROM AMI_INTERVAL_READINGS b, bound
WHERE b.INGESTION_TIME > %(lo)s AND b.INGESTION_TIME <= bound.HI;
