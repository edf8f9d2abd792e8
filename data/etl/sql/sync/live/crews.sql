-- Crews changed since the watermark (status, position, work order).
SELECT CREW_ID AS crew_id, CREW_NAME AS crew_name, CREW_TYPE AS crew_type, STATUS AS status,
       LATITUDE AS latitude, LONGITUDE AS longitude, WORK_ORDER_ID AS work_order_id,
       UPDATED_AT AS updated_at, FALSE AS gone, UPDATED_AT AS mark
FROM CREWS
WHERE UPDATED_AT > %(since)s
