-- Active orders only: completed and cancelled ones are history.
SELECT WORK_ORDER_ID, ASSET_ID, ASSET_TYPE, SUBSTATION_ID, CIRCUIT_ID, OUTAGE_ID, WORK_TYPE,
       PRIORITY, STATUS, ASSIGNED_CREW, CREATED_DATE, SCHEDULED_DATE, DUE_DATE, ESTIMATED_COST,
       LABOR_HOURS, LATITUDE, LONGITUDE, DESCRIPTION,
       (SELECT MAX(UPDATED_AT) FROM WORK_ORDERS) AS _FRESHNESS
FROM WORK_ORDERS
WHERE STATUS IN ('open', 'assigned', 'in_progress', 'on_hold')
  AND (%(status)s IS NULL OR STATUS = %(status)s)
  AND (%(priority)s IS NULL OR PRIORITY = %(priority)s)
  AND (%(substation_id)s IS NULL OR SUBSTATION_ID = %(substation_id)s)
  AND (%(circuit_id)s IS NULL OR CIRCUIT_ID = %(circuit_id)s)
  AND (%(outage_id)s IS NULL OR OUTAGE_ID = %(outage_id)s)
  AND (%(crew)s IS NULL OR ASSIGNED_CREW = %(crew)s)
ORDER BY CASE PRIORITY WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
         CREATED_DATE, WORK_ORDER_ID
LIMIT %(limit)s
