-- The crews that repair distribution interruptions (line and vegetation crews; substation crews
-- work inside stations): the cap on the crews at work a storm's playback derives.
SELECT COUNT(*)::INTEGER AS CREWS
FROM CREWS
WHERE CREW_TYPE IN ('line', 'vegetation')
