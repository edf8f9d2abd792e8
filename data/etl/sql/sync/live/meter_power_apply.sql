-- A meter's state moves only to a newer event than the one it shows.
UPDATE flux.ami_realtime t
SET power_state = s.power_state, power_state_at = s.power_state_at
FROM sync_power_stage s
WHERE t.meter_id = s.meter_id
  AND (t.power_state_at IS NULL OR t.power_state_at <= s.power_state_at)
  AND (t.power_state, t.power_state_at) IS DISTINCT FROM (s.power_state, s.power_state_at)
