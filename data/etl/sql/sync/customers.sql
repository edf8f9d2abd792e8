SELECT CUSTOMER_ID AS customer_id, FULL_NAME AS full_name, SEGMENT AS segment,
       PRIMARY_METER_ID AS primary_meter_id, TRANSFORMER_ID AS transformer_id,
       CIRCUIT_ID AS circuit_id, SUBSTATION_ID AS substation_id,
       SERVICE_ADDRESS AS service_address, CITY AS city, ZIP_CODE AS zip_code, COUNTY AS county,
       ACCOUNT_STATUS AS account_status, LATITUDE AS latitude, LONGITUDE AS longitude,
       UPDATED_AT AS updated_at
FROM CUSTOMERS_MASTER_DATA
