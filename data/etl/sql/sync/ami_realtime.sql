-- The AMI hot window: each meter's latest deduplicated reading. The circuit comes from the
-- customer record, else from the meter's transformer; a meter with neither is left out.
SELECT r.METER_ID AS meter_id, r.TRANSFORMER_ID AS transformer_id,
       COALESCE(c.CIRCUIT_ID, a.CIRCUIT_ID) AS circuit_id, r.READING_TIME AS reading_time,
       r.USAGE_KWH AS usage_kwh, r.VOLTAGE AS voltage, r.POWER_FACTOR AS power_factor
FROM AMI_DEDUPLICATED r
-- silver holds one row per (meter, interval), so joining on each meter's newest interval picks
-- exactly one row; a grouped MAX is several times cheaper than a window over all of silver
JOIN (
    SELECT METER_ID, MAX(READING_TIME) AS LAST_TIME
    FROM AMI_DEDUPLICATED
    GROUP BY METER_ID
) l ON l.METER_ID = r.METER_ID AND l.LAST_TIME = r.READING_TIME
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
WHERE COALESCE(c.CIRCUIT_ID, a.CIRCUIT_ID) IS NOT NULL
