-- Each meter's newest reading among the silver rows that arrived in (since, upto], upto being
-- the pipeline's silver watermark: everything at or below it is in silver for good, so this
-- window needs no overlap. The circuit as in ../ami_realtime.sql.
SELECT r.METER_ID AS meter_id, r.TRANSFORMER_ID AS transformer_id,
       COALESCE(c.CIRCUIT_ID, a.CIRCUIT_ID) AS circuit_id, r.READING_TIME AS reading_time,
       r.USAGE_KWH AS usage_kwh, r.VOLTAGE AS voltage, r.POWER_FACTOR AS power_factor,
       FALSE AS gone, r.INGESTION_TIME AS mark
FROM AMI_DEDUPLICATED r
LEFT JOIN (
    SELECT PRIMARY_METER_ID, MAX(CIRCUIT_ID) AS CIRCUIT_ID
    FROM CUSTOMERS_MASTER_DATA
    GROUP BY PRIMARY_METER_ID
) c ON c.PRIMARY_METER_ID = r.METER_ID
LEFT JOIN (
    SELECT ASSET_ID, MAX(CIRCUIT_ID) AS CIRCUIT_ID
    FROM GRID_ASSETS
    GROUP BY ASSET_ID
) a ON a.ASSET_ID = r.TRANSFORMER_ID
WHERE r.INGESTION_TIME > %(since)s AND r.INGESTION_TIME <= %(upto)s
  AND COALESCE(c.CIRCUIT_ID, a.CIRCUIT_ID) IS NOT NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY r.METER_ID ORDER BY r.READING_TIME DESC) = 1
