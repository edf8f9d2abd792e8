-- Each meter's newest power event among those that arrived since the watermark (re-read with
-- the overlap, like UPDATED_AT): last_gasp = off, power_restore = on. mark: INGESTION_TIME.
SELECT METER_ID AS meter_id,
       IFF(EVENT_TYPE = 'last_gasp', 'off', 'on') AS power_state,
       EVENT_TIME AS power_state_at,
       INGESTION_TIME AS mark
FROM METER_EVENTS
WHERE INGESTION_TIME > %(since)s
  AND EVENT_TYPE IN ('last_gasp', 'power_restore')
QUALIFY ROW_NUMBER() OVER (PARTITION BY METER_ID ORDER BY EVENT_TIME DESC, INGESTION_TIME DESC) = 1
