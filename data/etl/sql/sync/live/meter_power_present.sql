-- Does the warehouse have the live feed's meter events (warehouse migration V003)?
SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES
WHERE TABLE_SCHEMA = CURRENT_SCHEMA() AND TABLE_NAME = 'METER_EVENTS'
