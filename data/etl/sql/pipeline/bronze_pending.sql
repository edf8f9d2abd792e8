-- How much bronze arrived since the silver watermark, and up to when (the run's upper bound).
SELECT COUNT(*) AS PENDING, MAX(INGESTION_TIME) AS HIGH_WATER
FROM AMI_INTERVAL_READINGS
WHERE INGESTION_TIME > %(lo)s;
