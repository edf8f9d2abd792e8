-- Bronze not yet in silver: how many rows, and the oldest and newest arrival among them.
SELECT COUNT(*) AS PENDING, MIN(INGESTION_TIME) AS OLDEST, MAX(INGESTION_TIME) AS NEWEST
FROM AMI_INTERVAL_READINGS
WHERE INGESTION_TIME > %(lo)s;
