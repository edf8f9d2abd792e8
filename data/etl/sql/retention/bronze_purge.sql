-- Raw bronze readings past their retention. Only rows silver has consumed (at or below the
-- silver watermark) may go: an unprocessed row is never lost, however old its arrival.
DELETE FROM AMI_INTERVAL_READINGS
WHERE INGESTION_TIME < %(cutoff)s
  AND INGESTION_TIME <= (
      SELECT COALESCE(MAX(WATERMARK), '1970-01-01'::TIMESTAMP_NTZ)
      FROM PIPELINE_WATERMARKS
      WHERE STEP = 'silver'
  );
