-- A reading for an interval that ended after a meter's last gasp says its power came back: the
-- head-end loses some power-restore events, and the meter must not stay "off" for good.
UPDATE flux.ami_realtime t
SET power_state = 'on', power_state_at = t.reading_time
FROM sync_live_stage s
WHERE t.meter_id = s.meter_id
  AND t.power_state = 'off'
  AND t.reading_time >= t.power_state_at + INTERVAL '15 minutes'
