-- The pipeline's lag: bronze not yet in silver (the same bound the pipeline's own backlog check
-- uses, so it reads only rows past silver's watermark) and when silver last moved.
SELECT w.WATERMARK AS SILVER_WATERMARK, w.UPDATED_AT AS SILVER_UPDATED_AT,
       b.PENDING AS PENDING_ROWS, b.OLDEST AS OLDEST_PENDING
FROM PIPELINE_WATERMARKS w
CROSS JOIN (
    SELECT COUNT(*) AS PENDING, MIN(INGESTION_TIME) AS OLDEST
    FROM AMI_INTERVAL_READINGS
    WHERE INGESTION_TIME > (SELECT MAX(WATERMARK) FROM PIPELINE_WATERMARKS WHERE STEP = 'silver')
) b
WHERE w.STEP = 'silver'
