-- Circuit load and health written since the watermark.
SELECT CIRCUIT_ID AS circuit_id, SUBSTATION_ID AS substation_id, LOAD_PERCENT AS load_percent,
       LOAD_MW AS load_mw, HEALTH_SCORE AS health_score, CUSTOMERS_SERVED AS customers_served,
       CUSTOMERS_OUT AS customers_out, STATUS AS status, LAST_UPDATED AS last_updated,
       FALSE AS gone, LAST_UPDATED AS mark
FROM CIRCUIT_STATUS_REALTIME
WHERE LAST_UPDATED > %(since)s
