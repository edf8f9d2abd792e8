-- The next window of bronze past the silver watermark: at most %(cap)s rows by INGESTION_TIME,
-- and up to when (the window's upper bound). Rows sharing the bound's INGESTION_TIME all fall in
-- the window, so a delivery is never split between two windows.
SELECT COUNT(*) AS PENDING, MAX(INGESTION_TIME) AS HIGH_WATER
FROM (
    SELECT INGESTION_TIME
    FROM AMI_INTERVAL_READINGS
    WHERE INGESTION_TIME > %(lo)s
    ORDER BY INGESTION_TIME
    LIMIT %(cap)s
) w;
