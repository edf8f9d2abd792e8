SELECT ASSET_ID AS asset_id, ASSET_NAME AS asset_name, ASSET_TYPE AS asset_type,
       LATITUDE AS latitude, LONGITUDE AS longitude, LOAD_PERCENT AS load_percent,
       HEALTH_SCORE AS health_score, STATUS AS status, VOLTAGE AS voltage, CAPACITY AS capacity,
       CIRCUIT_ID AS circuit_id, SEGMENT_ID AS segment_id, SUBSTATION_ID AS substation_id,
       CITY AS city, ZIP_CODE AS zip_code, CONNECTED_CUSTOMERS AS connected_customers,
       INSTALL_YEAR AS install_year, UPDATED_AT AS updated_at
FROM GRID_ASSETS
