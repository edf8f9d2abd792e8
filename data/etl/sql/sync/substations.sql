SELECT SUBSTATION_ID AS substation_id, SUBSTATION_NAME AS substation_name, LATITUDE AS latitude,
       LONGITUDE AS longitude, CAPACITY_MVA AS capacity_mva, VOLTAGE_LEVEL AS voltage_level,
       HIGH_SIDE_KV AS high_side_kv, LOW_SIDE_KV AS low_side_kv,
       COMMISSIONED_DATE AS commissioned_date, OPERATIONAL_STATUS AS operational_status,
       CITY AS city, COUNTY AS county, UPDATED_AT AS updated_at
FROM SUBSTATIONS
