-- Year-over-year change for the affected months and for the same months a year later, whose
-- baseline just moved. Compared on average daily kWh so that a partly sampled month compares
-- fairly with a full one.
MERGE INTO AMI_MONTHLY_USAGE t
USING (
    WITH affected AS (
        SELECT DISTINCT METER_ID, DATE_TRUNC('MONTH', READING_TIME)::DATE AS USAGE_MONTH
        FROM AMI_ENRICHED
        WHERE INGESTION_TIME > %(lo)s AND INGESTION_TIME <= %(hi)s
    ),
    keys AS (
        SELECT METER_ID, USAGE_MONTH FROM affected
        UNION
        SELECT METER_ID, DATEADD('YEAR', 1, USAGE_MONTH)::DATE FROM affected
    )
    SELECT cur.METER_ID,
           cur.USAGE_MONTH,
           ROUND(100 * (cur.AVG_DAILY_KWH - prev.AVG_DAILY_KWH) / NULLIF(prev.AVG_DAILY_KWH, 0), 2)
               AS YOY_CHANGE_PCT
    FROM keys k
    JOIN AMI_MONTHLY_USAGE cur
      ON cur.METER_ID = k.METER_ID AND cur.USAGE_MONTH = k.USAGE_MONTH
    LEFT JOIN AMI_MONTHLY_USAGE prev
      ON prev.METER_ID = cur.METER_ID AND prev.USAGE_MONTH = DATEADD('YEAR', -1, cur.USAGE_MONTH)::DATE
) s
ON t.METER_ID = s.METER_ID AND t.USAGE_MONTH = s.USAGE_MONTH
WHEN MATCHED AND (t.YOY_CHANGE_PCT IS DISTINCT FROM s.YOY_CHANGE_PCT) THEN UPDATE SET
    YOY_CHANGE_PCT = s.YOY_CHANGE_PCT;
