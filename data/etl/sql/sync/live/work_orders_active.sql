-- Work orders changed since the watermark; a completed or cancelled one leaves the cache.
SELECT WORK_ORDER_ID AS work_order_id, ASSET_ID AS asset_id, ASSET_TYPE AS asset_type,
       SUBSTATION_ID AS substation_id, CIRCUIT_ID AS circuit_id, OUTAGE_ID AS outage_id,
       WORK_TYPE AS work_type, PRIORITY AS priority, STATUS AS status,
       ASSIGNED_CREW AS assigned_crew, CREATED_DATE AS created_date,
       TO_VARCHAR(SCHEDULED_DATE) AS scheduled_date, TO_VARCHAR(DUE_DATE) AS due_date,
       ESTIMATED_COST AS estimated_cost, LABOR_HOURS AS labor_hours, LATITUDE AS latitude,
       LONGITUDE AS longitude, DESCRIPTION AS description, UPDATED_AT AS updated_at,
       LOWER(STATUS) IN ('completed', 'cancelled') AS gone, UPDATED_AT AS mark
FROM WORK_ORDERS
WHERE UPDATED_AT > %(since)s
